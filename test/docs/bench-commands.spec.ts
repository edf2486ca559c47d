import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';
import { dataDir } from './shell.ts';
import { commandsOf, shownLine } from './shown.ts';

// Every benchmark command docs/benchmarks.md shows (and README's `npm run bench` lines), run as written
// from the repository root with EMBREC_BENCH_SMOKE=1: bench/lib/smoke.ts shrinks the sizes (points,
// steps, repetitions, seeds) and skips the Python peer, so each prints its table in seconds. Full runs
// and their peers are by hand (scripts/bench-setup.sh installs the peers); this checks that each line
// still starts, takes its arguments and reaches its table.
const BENCHMARKS = 'docs/benchmarks.md';

function run(line: string) {
  const r = spawnSync('bash', ['-c', line], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, EMBREC_BENCH_SMOKE: '1', EMBREC_DATA: dataDir, FORCE_COLOR: '0' },
    timeout: 280_000,
  });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}`, stdout: r.stdout };
}

/** What each benchmark's table must show (beside the smoke line and a Markdown table row). */
const EXPECT: [RegExp, RegExp][] = [
  [/bench\/eval-fullrank\.ts/, /\| embrec \(native topkDot\) +\| \d/],
  [/bench\/eval-ease\.ts/, /\| embrec native \(OpenBLAS\/LAPACK\) \| \d/],
  [/bench\/native-gemm\.ts/, /\| \(2000×64\)·\(64×256\) \| Node: @embrec\/native sgemm \| \d/],
  [/bench\/twotower-step\.ts/, /\| native \+ fused q·pᵀ\+CE, dense, LayerNorm, Adam \| \d/],
  [/bench\/ann-1m\.ts/, /QPS at equal recall@100/],
  [/bench\/faiss-node-vs-python\.ts/, /\| IVF1024,Flat \| nprobe=16 \| 256 \| \d+ \| none \|/],
  [/bench\/train-epoch\.ts/, /\| embrec \(native: .*\) \| \d+ \| -?\d+\.\d \| -?\d/], // pool; 2 smoke steps: noise, can be < 0
  [/bench\/item2vec\.ts/, /\| embrec native item2vecTrain \| 2 +\| 1 /],
  [/bench\/lightgcn-epoch\.ts/, /\| embrec lightgcn \(native: .*\) +\| \d/],
];

describe('docs/benchmarks.md: every bench command, smoke-sized (EMBREC_BENCH_SMOKE=1)', () => {
  const lines = commandsOf(BENCHMARKS)
    .map((c) => c.text)
    .filter((l) => /^(nice -n 10 )?node .*bench\/[\w-]+\.ts/.test(l));
  it('finds them', () => {
    expect(lines.length).toBeGreaterThanOrEqual(15);
    for (const l of lines)
      expect(
        EXPECT.some(([file]) => file.test(l)),
        `no expectation for: ${l}`,
      ).toBe(true);
  });
  for (const line of lines) {
    it(line.replace(/^.*bench\//, 'bench/'), () => {
      const r = run(line);
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toContain('smoke run (EMBREC_BENCH_SMOKE=1)');
      expect(r.stdout).toMatch(/^\|.*\|$/m);
      const want = EXPECT.find(([file]) => file.test(line))![1];
      expect(r.out).toMatch(want);
      if (!/--no-peer|--no-torch/.test(line) && !/native-gemm/.test(line))
        expect(r.stdout).toMatch(/smoke run: peer \S+ skipped/);
    }, 300_000);
  }
});

describe('README.md: npm run bench', () => {
  it('npm run bench lists the benchmarks', () => {
    const r = run(shownLine('README.md', /^npm run bench$/));
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^ {2}ann-1m +\S/m);
    expect(r.stdout).toMatch(/^ {2}cli-start +\S/m);
  }, 120_000);

  it('npm run bench -- cli-start --runs 3 times embrec --help', () => {
    const r = run(shownLine('README.md', /^npm run bench -- cli-start --runs 3$/));
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toContain('3 starts each');
    expect(r.stdout).toMatch(/\| embrec --help \| \d+\.\d{3} \|/);
  }, 180_000);
});
