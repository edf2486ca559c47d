import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';
import { docFiles, indentedCommands, shownCommands } from './shown.ts';

// "Every command the README or docs show is run by a test." Every line of every shell block of
// README.md and docs/*.md (test/docs/shown.ts extracts them) must have an entry below saying what runs
// it. A command added to the docs fails here until someone runs it and adds it; an entry whose command
// the docs no longer show fails too, so the table stays the list of what is shown.
//
// - `spec`: a test file that runs the line. It must read the doc file the line is in (its source names
//   the file as a string, 'docs/x.md' or join(…, 'docs', 'x.md')), so the mapping cannot rot silently:
//   a spec that stops reading the doc breaks this test.
// - `ci`: .ci/run runs it on the CI clone (directly, or through scripts/test.sh); `evidence` is the text
//   that must be in those files.
// - `manual`: not run by any test, with the reason. Keep these few.
type Entry = { spec: string | string[]; weak?: string } | { ci: string } | { manual: string };

const CLI = 'test/docs/cli-commands.spec.ts';
const BENCH = 'test/docs/bench-commands.spec.ts';
const ANALYSIS = 'test/docs/analysis-commands.spec.ts';
const SCALE = 'test/docs/scale-out-commands.spec.ts';
const README_CLI = 'test/cli/readme.spec.ts';
const README_SERVE = 'test/serve/readme.spec.ts';
const PLUGINS = 'test/packaging/pack-install.spec.ts';
const FINANCE = 'packages/eval/test/finance/experiments-cli.spec.ts';
const FINANCE_WEAK =
  'runs these experiment files and `embrec finance`/`report` on them with the data shrunk by --set and --output (seconds instead of minutes); it names docs/finance.md only in its header';
const bench = { spec: BENCH };

const COMMANDS = new Map<string, Entry>([
  // README.md: the two commands
  ['./scripts/quickstart.sh', { ci: './scripts/quickstart.sh' }],
  ['./scripts/test.sh', { ci: './scripts/test.sh' }],
  // README.md: using it
  ['npx embrec run experiments/quickstart.yaml', { spec: [README_CLI, README_SERVE] }],
  ['npx embrec plan experiments/ex1-two-tower-vs-mf.yaml', { spec: CLI }],
  ['npx embrec validate my.yaml', { spec: CLI }],
  ['npx embrec plugins --kind model', { spec: CLI }],
  ['npx embrec schema --out docs/embrec.schema.json', { spec: CLI }],
  ['npx embrec report runs/ex1-two-tower-vs-mf', { spec: CLI }],
  ['npx embrec compare runs/a/run runs/b/run', { spec: CLI }],
  ['npx embrec report experiments/runs/quickstart --select valid.NDCG@20', { spec: README_CLI }],
  ['npx embrec recommend experiments/runs/quickstart/run --user 7 --k 20', { spec: README_CLI }],
  ['npx embrec similar-items experiments/runs/quickstart/run --item 42', { spec: README_CLI }],
  ['npx embrec ui experiments/runs', { spec: README_CLI }],
  ['npx embrec export experiments/runs/quickstart --out runs/quickstart-bundle', { spec: README_SERVE }],
  ['npx embrec serve runs/quickstart-bundle', { spec: README_SERVE }],
  ['MLFLOW_TRACKING_URI=http://127.0.0.1:5000 npx embrec run sweep.yaml', { spec: SCALE }],
  ['npx embrec track sync runs/my-sweep --uri http://127.0.0.1:5000', { spec: SCALE }],
  ['npx embrec run sweep.yaml --shard 2/3', { spec: SCALE }],
  // README.md: development
  ['npm test', { ci: 'npm test' }],
  ['npm run typecheck', { ci: 'npm run -s typecheck' }],
  ['npm run lint', { ci: 'npm run -s lint' }],
  ['npm run build', { ci: 'npm run build' }],
  ['npm run embrec -- --help', { spec: CLI }],
  ['npm run bench', bench],
  ['npm run bench -- cli-start --runs 3', bench],
  // docs/analysis.md
  ['npm run embrec -- run experiments/ex4-item2vec-tsne.yaml', { spec: ANALYSIS }],
  ['npm run embrec -- analyze experiments/runs/ex4-item2vec-tsne --attribute genres', { spec: ANALYSIS }],
  ['npm run embrec -- run experiments/ex5-genre-similarity.yaml', { spec: ANALYSIS }],
  ['npm run embrec -- analyze experiments/runs/ex5-genre-similarity --attribute genres', { spec: ANALYSIS }],
  [
    'npm run embrec -- report experiments/runs/ex5-genre-similarity --metric NDCG@10 --metric "Analysis intra-inter (genres)" --metric "Analysis p (genres)"',
    { spec: ANALYSIS },
  ],
  // docs/benchmarks.md (each bench line runs with EMBREC_BENCH_SMOKE=1: tiny sizes, no Python peer)
  [
    './scripts/bench-setup.sh',
    {
      manual:
        'installs the Python peers from PyPI into venvs under ~/.cache/embrec (GBs with PyTorch); the test suite runs each bench line below with EMBREC_BENCH_SMOKE=1, without its peer',
    },
  ],
  [
    './scripts/bench-setup.sh --faiss173',
    { manual: 'the same, plus FAISS 1.7.3 (pip --target) for the same-version peers' },
  ],
  ['nice -n 10 node --conditions=source --import tsx bench/eval-fullrank.ts --threads 2', bench],
  ['nice -n 10 node --conditions=source --import tsx bench/eval-ease.ts ml-1m-lightgcnpp --threads 2', bench],
  ['nice -n 10 node --conditions=source --import tsx bench/eval-ease.ts lastfm-lightgcnpp --no-peer', bench],
  ['nice -n 10 node --conditions=source --import tsx bench/native-gemm.ts --reps 40 --rounds 6', bench],
  ['nice -n 10 node --conditions=source --import tsx bench/twotower-step.ts --steps 30 --cpu-steps 0', bench],
  ['nice -n 10 node --conditions=source --import tsx bench/twotower-step.ts --steps 20 --cpu-steps 1', bench],
  [
    'nice -n 10 node --conditions=source --import tsx bench/ann-1m.ts --skip ivfpq,hnsw,hnswlib --nprobe 16,32,64,128,256',
    bench,
  ],
  [
    'nice -n 10 node --conditions=source --import tsx bench/ann-1m.ts --n 100000 --skip exact,ivfflat,ivfpq --ef 100,200,400,800',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/ann-1m.ts --n 1000000 --nlist 4096 --ef 64,128,256,512,1024,2048,4096 --nprobe 16,32,64,128,256 --kfactor 4,16,64',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/faiss-node-vs-python.ts --faiss173 ~/.cache/embrec/faiss173',
    bench,
  ],
  [
    'nice -n 10 node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --steps 20',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data lastfm-lightgcnpp --dim 256 --tau 0.15 --history 0.5 --steps 58 --rounds 3',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data lastfm-lightgcnpp --dim 512 --tau 0.15 --history 0.5 --steps 58 --rounds 3',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data lastfm-lightgcnpp --dim 256 --tau 0.15 --history 0.5 --steps 58 --rounds 3 --optimizer-precision float32',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data gowalla/lightgcnpp --dim 128 --tau 0.1 --steps 40 --rounds 3',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data gowalla/lightgcnpp --dim 128 --tau 0.1 --steps 40 --rounds 3 --optimizer-precision float32',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --dim 128 --tau 0.15 --steps 40 --rounds 3',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --dim 256 --tau 0.15 --steps 40 --rounds 3',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data gowalla/lightgcnpp --dim 64 --tau 0.1 --steps 40 --rounds 3',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data gowalla/lightgcnpp --dim 256 --tau 0.1 --steps 40 --rounds 3',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/lightgcn-epoch.ts --data gowalla/lightgcnpp --steps 20 --warm 3 --layouts coo',
    bench,
  ],
  [
    'nice -n 10 node --conditions=source --import tsx bench/train-epoch.ts --data gowalla/lightgcnpp --steps 20',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data lastfm-lightgcnpp --dim 64 --tau 0.15 --history 0.5 --steps 60',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --dim 128 --tau 0.15 --steps 20',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --dim 128 --tau 0.15 --history 0.5 --steps 20',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --steps 20 --pool 0,1024,4096,16384',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data lastfm-lightgcnpp --dim 64 --tau 0.15 --history 0.5 --steps 58',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --dim 128 --tau 0.15 --steps 40',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data ml-1m-lightgcnpp --dim 128 --tau 0.15 --history 0.5 --steps 40',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data gowalla/lightgcnpp --dim 64 --tau 0.1 --steps 40',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data lastfm-lightgcnpp --dim 256 --tau 0.15 --history 0.5 --steps 58',
    bench,
  ],
  [
    'node --conditions=source --import tsx bench/train-epoch.ts --data gowalla/lightgcnpp --dim 128 --tau 0.1 --steps 40',
    bench,
  ],
  ['nice -n 10 node --conditions=source --import tsx bench/item2vec.ts --threads 2 --seeds 3', bench],
  [
    'nice -n 10 node --conditions=source --import tsx bench/lightgcn-epoch.ts --data ml-1m-lightgcnpp --steps 20 --warm 3',
    bench,
  ],
  [
    'nice -n 10 node --conditions=source --import tsx bench/lightgcn-epoch.ts --data gowalla/lightgcnpp --steps 20 --warm 3 --layouts coo',
    bench,
  ],
  // docs/finance.md
  [
    'npm run embrec -- run experiments/finance-similar-securities.yaml',
    { spec: FINANCE, weak: FINANCE_WEAK },
  ],
  [
    'npm run embrec -- finance securities experiments/runs/finance-similar-securities',
    { spec: FINANCE, weak: FINANCE_WEAK },
  ],
  ['npm run embrec -- run experiments/finance-client-matching.yaml', { spec: FINANCE, weak: FINANCE_WEAK }],
  [
    'npm run embrec -- finance clients experiments/runs/finance-client-matching',
    { spec: FINANCE, weak: FINANCE_WEAK },
  ],
  ['npm run embrec -- run experiments/finance-trade-ideas.yaml', { spec: FINANCE, weak: FINANCE_WEAK }],
  [
    'npm run embrec -- report experiments/runs/finance-trade-ideas --metric Recall@10 --metric "Recall@10 (pipeline)"',
    { spec: FINANCE, weak: FINANCE_WEAK },
  ],
  ['npm run embrec -- run experiments/finance-factor-tower.yaml', { spec: FINANCE, weak: FINANCE_WEAK }],
  [
    'npm run embrec -- finance cold-start experiments/runs/finance-factor-tower',
    { spec: FINANCE, weak: FINANCE_WEAK },
  ],
  [
    'npm run embrec -- run experiments/finance-similar-securities.yaml --set "sweep.params[\'dataset.seed\']=[5, 6, 7]"',
    { spec: FINANCE, weak: FINANCE_WEAK },
  ],
  [
    'npm run embrec -- run experiments/finance-factor-tower.yaml --set "sweep.params[\'dataset.seed\']=[8, 9, 10]"',
    { spec: FINANCE, weak: FINANCE_WEAK },
  ],
  // docs/indexes.md
  ['npm run embrec -- index sweep experiments/runs/ex3-ann-recall/run', { spec: CLI }],
  [
    'npm run embrec -- index sweep items.npy --index exact --index "faiss:IVF1024,Flat" --index hnsw:M=32 --k 100 --grid nprobe=1,4,16,64 --batch 1 256 --threads 1 2',
    { spec: CLI },
  ],
  [
    'npm run embrec -- index auto-tune experiments/ex3-ann-recall.yaml --target 0.95 --batch 1 --threads 1',
    { spec: CLI },
  ],
  [
    'git clone https://github.com/facebookresearch/faiss.git ~/faiss',
    {
      manual:
        'the opt-in FAISS source build: a clone from GitHub (not reachable from CI) and ~10 minutes of compiling; packages/native/test/faiss-source.spec.ts checks how the install script validates EMBREC_FAISS_SRC',
    },
  ],
  [
    'cmake -S ~/faiss -B ~/faiss/build -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=OFF -DFAISS_OPT_LEVEL=avx2 -DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON',
    {
      manual: 'configures the FAISS clone of the line above (run by hand for docs/benchmarks.md, 2026-12-07)',
    },
  ],
  [
    'make -C ~/faiss/build -j2 faiss_avx2',
    {
      manual:
        'compiles FAISS from the clone above (~10 minutes on 2 cores; run by hand for docs/benchmarks.md)',
    },
  ],
  [
    'EMBREC_FAISS_SRC=~/faiss npm run -w @embrec/native rebuild',
    {
      manual:
        'needs the FAISS build of the lines above; without it the install script refuses with the files it looked for (packages/native/test/faiss-source.spec.ts)',
    },
  ],
  // docs/plugins.md
  ['npx vitest run embrec-plugin-toy', { spec: PLUGINS }],
  ['npx embrec run toy.yaml', { spec: PLUGINS }],
  ['npx embrec plugins --plugin toy', { spec: PLUGINS }],
  // docs/results.md
  ['npx vitest run packages/models/test/baselines/reproduce.int.spec.ts', { ci: 'npm test' }],
  [
    'EMBREC_SLOW=1 npx vitest run packages/models/test/baselines/reproduce.int.spec.ts -t "λ = 80"',
    {
      manual:
        'Gowalla EASE: a dense 40,981² inverse, ~30 min of wall and 6.7 GB; the same spec without EMBREC_SLOW runs in CI',
    },
  ],
  [
    'npm run embrec -- run experiments/baselines-ml1m.yaml',
    {
      manual:
        'the reproduction run of the baselines on real ML-1M; the same models and data are checked by packages/models/test/baselines/reproduce.int.spec.ts (npm test)',
    },
  ],
  [
    'npm run embrec -- run experiments/baselines-gowalla.yaml',
    {
      manual:
        'includes Gowalla EASE (~30 min, 6.7 GB); reproduce.int.spec.ts checks its MostPop in CI and its EASE under EMBREC_SLOW=1',
    },
  ],
  // docs/scale-out.md
  ['npx embrec run sweep.yaml --shard 1/3 &', { spec: SCALE }],
  ['npx embrec run sweep.yaml --shard 2/3 &', { spec: SCALE }],
  ['npx embrec run sweep.yaml --shard 3/3 &', { spec: SCALE }],
  ['wait', { spec: SCALE }],
  ['npx embrec report runs/my-sweep', { spec: SCALE }],
  ['cd "$SLURM_SUBMIT_DIR"', { spec: SCALE }],
  [
    'npx embrec run experiments/my-sweep.yaml --output /shared/runs --shard $((SLURM_ARRAY_TASK_ID + 1))/$SLURM_ARRAY_TASK_COUNT',
    { spec: SCALE },
  ],
  ['redis-server --port 6379 --appendonly yes --dir /var/lib/embrec-redis', { spec: SCALE }],
  ['npx embrec run sweep.yaml --queue redis://HOST:6379 --output /shared/runs', { spec: SCALE }],
  ['npx embrec worker --queue redis://HOST:6379 --output /shared/runs --concurrency 2', { spec: SCALE }],
  ['npx embrec run sweep.yaml --retries 1', { spec: SCALE }],
  [
    'npx embrec report --mlflow http://127.0.0.1:5000 --experiment my-sweep --baseline model.power=1',
    { spec: SCALE },
  ],
  ['npx embrec report --mlflow http://127.0.0.1:5000 --run 0c5e…', { spec: SCALE }],
  // docs/serving.md
  ['npx embrec export experiments/runs/quickstart --out runs/quickstart-bundle', { spec: README_SERVE }],
  [
    'npx embrec serve runs/quickstart-bundle --workers 2',
    {
      spec: 'test/serve/workers.spec.ts',
      weak: 'runs the line as shown (EMBREC_PORT=0) on a tiny bundle instead of the quickstart one',
    },
  ],
]);

const ciText = ['.ci/run', 'scripts/test.sh'].map((f) => readFileSync(join(repoRoot, f), 'utf8')).join('\n');

/** The spec's source names the doc file as a string: 'docs/x.md', "README.md", or join(…, 'docs', 'x.md'). */
function readsDoc(source: string, doc: string): boolean {
  const [dir, name] = doc.includes('/') ? doc.split('/') : ['', doc];
  const q = (s: string) => `['"\`]${s.replace(/[.]/g, '\\.')}['"\`]`;
  const literal = new RegExp(`['"\`]${doc.replace(/[./]/g, '\\$&')}['"\`]`);
  const joined = dir ? new RegExp(`${q(dir!)},\\s*${q(name!)}`) : literal;
  return literal.test(source) || joined.test(source);
}

describe('every command the docs show is run by a test', () => {
  const shown = shownCommands();

  it('finds the commands of README.md and docs/*.md', () => {
    expect(shown.length).toBeGreaterThan(60);
    expect(new Set(shown.map((c) => c.file))).toContain('README.md');
  });

  it('every shown command has an entry (add new ones to the table in test/docs/commands.spec.ts)', () => {
    const missing = shown.filter((c) => !COMMANDS.has(c.text)).map((c) => `${c.file}:${c.line}: ${c.text}`);
    expect(missing, `commands the docs show that no test runs:\n${missing.join('\n')}`).toEqual([]);
  });

  it('every entry is still shown somewhere (remove stale ones)', () => {
    const texts = new Set(shown.map((c) => c.text));
    const stale = [...COMMANDS.keys()].filter((k) => !texts.has(k));
    expect(stale).toEqual([]);
  });

  it('no command hides in an indented code block (fence it as ```sh)', () => {
    const hidden = docFiles().flatMap((f) => indentedCommands(f).map((c) => `${f}:${c.line}: ${c.text}`));
    expect(hidden).toEqual([]);
  });

  it('each spec named reads the doc file its commands are in', () => {
    const problems: string[] = [];
    for (const c of shown) {
      const e = COMMANDS.get(c.text);
      if (!e || !('spec' in e)) continue;
      const specs = Array.isArray(e.spec) ? e.spec : [e.spec];
      const sources = specs.map((s) => {
        if (!existsSync(join(repoRoot, s))) problems.push(`${s} (for ${c.file}:${c.line}) does not exist`);
        return existsSync(join(repoRoot, s)) ? readFileSync(join(repoRoot, s), 'utf8') : '';
      });
      const ok = e.weak
        ? sources.some((src) => src.includes(c.file))
        : sources.some((src) => readsDoc(src, c.file));
      if (!ok) problems.push(`${c.file}:${c.line} "${c.text}": ${specs.join(' / ')} does not read ${c.file}`);
    }
    expect(problems).toEqual([]);
  });

  it('the commands run by CI are in .ci/run (or scripts/test.sh, which it runs)', () => {
    expect(ciText).toContain('./scripts/test.sh');
    for (const [cmd, e] of COMMANDS)
      if ('ci' in e) expect(ciText, `${cmd}: .ci/run does not run "${e.ci}"`).toContain(e.ci);
  });

  it('manual entries say why', () => {
    for (const [cmd, e] of COMMANDS) if ('manual' in e) expect(e.manual.length, cmd).toBeGreaterThan(30);
  });
});
