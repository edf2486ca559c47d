import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { npyBytes, Rng } from '@embrec/core';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.ts';
import { said, scratch } from './shell.ts';
import { shownLine } from './shown.ts';

// README.md's "Using it" and "Development" lines that test/cli/readme.spec.ts and test/serve/readme.spec.ts
// do not run, and docs/indexes.md's recall and speed tools, run as written (bash, in a scratch folder
// under os.tmpdir(); `npx embrec` / `npm run embrec --` = the CLI from source, test/docs/shell.ts) on
// copies of the experiment files they name. What a line needs (runs/a/run, items.npy) is made small
// first. test/docs/commands.spec.ts lists which test runs each command the docs show.
const { root, sh } = scratch('embrec-docs-cli-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const README = 'README.md';
const INDEXES = 'docs/indexes.md';
const copy = (name: string, to = `experiments/${name}`) => {
  mkdirSync(join(root, to, '..'), { recursive: true });
  cpSync(join(repoRoot, 'experiments', name), join(root, to));
};

describe('README: plan, validate, plugins, schema', () => {
  it('plan lists the six trials of the real ex1 file', async () => {
    copy('ex1-two-tower-vs-mf.yaml');
    const r = await sh(shownLine(README, /^npx embrec plan experiments\/ex1-two-tower-vs-mf\.yaml$/));
    expect(r.code, said(r)).toBe(0);
    expect(r.stdout).toMatch(/ex1-two-tower-vs-mf: 6 trial\(s\)/);
    expect(r.stdout.split('\n').filter((l) => /^model=(mf|two-tower)\(/.test(l))).toHaveLength(6);
  }, 120_000);

  it('validate my.yaml (a copy of experiments/quickstart.yaml) passes, and a broken copy fails with its line', async () => {
    cpSync(join(repoRoot, 'experiments', 'quickstart.yaml'), join(root, 'my.yaml'));
    const line = shownLine(README, /^npx embrec validate my\.yaml$/);
    const ok = await sh(line);
    expect(ok.code, said(ok)).toBe(0);
    writeFileSync(
      join(root, 'my.yaml'),
      readFileSync(join(root, 'my.yaml'), 'utf8').replace('temperature: 0.1', 'temprature: 0.1'),
    );
    const bad = await sh(line);
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/my\.yaml[\s\S]*temprature/);
  }, 120_000);

  it('plugins --kind model lists the models only', async () => {
    const r = await sh(shownLine(README, /^npx embrec plugins --kind model$/));
    expect(r.code, said(r)).toBe(0);
    for (const m of ['two-tower', 'mf', 'lightgcn', 'item2vec']) expect(r.stdout).toContain(m);
    expect(r.stdout).not.toContain('infonce');
  }, 120_000);

  it('schema --out docs/embrec.schema.json writes the committed schema (it is up to date)', async () => {
    mkdirSync(join(root, 'docs'), { recursive: true });
    const r = await sh(shownLine(README, /^npx embrec schema --out docs\/embrec\.schema\.json$/));
    expect(r.code, said(r)).toBe(0);
    const made = readFileSync(join(root, 'docs', 'embrec.schema.json'), 'utf8');
    const committed = readFileSync(join(repoRoot, 'docs', 'embrec.schema.json'), 'utf8');
    expect(
      JSON.parse(made),
      'docs/embrec.schema.json is stale: rerun `npm run embrec -- schema --out docs/embrec.schema.json`',
    ).toEqual(JSON.parse(committed));
  }, 120_000);

  it('npm run embrec -- --help (in the repository, with npm)', () => {
    const line = shownLine(README, /^npm run embrec -- --help$/);
    const r = spawnSync('bash', ['-c', line], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('embrec run <file>');
  }, 130_000);
});

describe('README: report and compare', () => {
  it('report runs/ex1-two-tower-vs-mf: the ex1 sweep (2 seeds, 1 epoch) with mean ± CI and the paired test vs MF', async () => {
    copy('ex1-two-tower-vs-mf.yaml');
    const shrink = [
      `--set 'sweep.seeds=[1, 2]'`,
      `--set 'sweep.params.model=[{type: mf, dim: 16, normalize: true, train: {epochs: 1, batchSize: 512}}, {type: two-tower, dim: 16, featureDim: 16, hidden: [], train: {epochs: 1, batchSize: 512}}]'`,
    ].join(' ');
    const run = await sh(
      `npx embrec run experiments/ex1-two-tower-vs-mf.yaml --output runs --quiet ${shrink}`,
    );
    expect(run.code, said(run)).toBe(0);
    const r = await sh(shownLine(README, /^npx embrec report runs\/ex1-two-tower-vs-mf$/));
    expect(r.code, said(r)).toBe(0);
    expect(r.stdout).toMatch(/mean ± 95% CI over seeds/);
    expect(r.stdout).toMatch(/model=mf[^\n]*\| 2 /);
    expect(r.stdout).toMatch(/model=two-tower[^\n]*\| 2 /);
    expect(r.stdout).toMatch(/\d\.\d+ ± \d/);
    expect(r.stdout).toMatch(/baseline|vs model=mf|paired/i);
  }, 300_000);

  it('compare runs/a/run runs/b/run: two quickstart runs (seeds 1 and 2, 1 epoch)', async () => {
    copy('quickstart.yaml');
    const make = (name: string, seed: number) =>
      sh(
        `npx embrec run experiments/quickstart.yaml --output runs --quiet --set name=${name} --set seed=${seed} --set model.train.epochs=1`,
      );
    const [a, b] = await Promise.all([make('a', 1), make('b', 2)]);
    expect(a.code, said(a)).toBe(0);
    expect(b.code, said(b)).toBe(0);
    const r = await sh(shownLine(README, /^npx embrec compare runs\/a\/run runs\/b\/run$/));
    expect(r.code, said(r)).toBe(0);
    expect(r.stdout).toMatch(/\| NDCG@10 +\| 0\.\d+ +\| 0\.\d+ +\| [-+]\d/);
    expect(r.stdout).toContain('95% CI (bootstrap)');
    expect(r.stdout).toContain('p (paired t)');
    expect(r.stdout).toMatch(/A = runs\/a\/run, B = runs\/b\/run/);
  }, 300_000);
});

describe('docs/indexes.md: index sweep and auto-tune', () => {
  it('index sweep on the ex3 run folder, and auto-tune on the ex3 file (its run made on demo data, 1 epoch)', async () => {
    copy('ex3-ann-recall.yaml');
    // the ex3 file as it is (mf, IVF64,PQ16x4fs, retrieve 100) on a small demo data set instead of ML-1M
    const run = await sh(
      `npx embrec run experiments/ex3-ann-recall.yaml --quiet --set model.train.epochs=1 --set 'dataset={type: demo, users: 300, items: 600}' --set 'split={type: random, ratio: 0.2}'`,
    );
    expect(run.code, said(run)).toBe(0);
    const sweep = await sh(
      shownLine(INDEXES, /^npm run embrec -- index sweep experiments\/runs\/ex3-ann-recall\//),
    );
    expect(sweep.code, said(sweep)).toBe(0);
    expect(sweep.stdout).toContain('## Pareto front');
    // exact is measured in every mode; on the front a mode's recall-1 row is exact or a setting that
    // matches its recall faster (timing decides which), so the front is checked for recall 1 only
    expect(sweep.stdout).toMatch(/^\| \S[^|]* \| 1 \| 1 \| 1\.0000 \|/m);
    expect(sweep.stdout).toMatch(/^\| exact \| 1 \| 1 \| (≥ )?\d+ \|/m);
    expect(sweep.stdout).toMatch(/wrote .*artifacts\/index-sweep\/sweep\.json/);
    const tune = await sh(
      shownLine(INDEXES, /^npm run embrec -- index auto-tune experiments\/ex3-ann-recall\.yaml/),
    );
    expect(tune.code, said(tune)).toBe(0);
    expect(tune.stdout + tune.stderr).toMatch(/IVF64,PQ16x4fs nprobe=\d+ +recall@100 0\.\d{4}/);
    expect(tune.stdout + tune.stderr).toMatch(/✔ \S+: recall@100 \d\.\d{4} at \d+ q\/s/);
  }, 400_000);

  it('index sweep items.npy with exact, IVF1024,Flat and HNSW (2,000 random 16-d items)', async () => {
    const n = 2000;
    const d = 16;
    const v = new Float32Array(n * d);
    const rng = new Rng(7);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    writeFileSync(join(root, 'items.npy'), npyBytes(v, [n, d]));
    const r = await sh(shownLine(INDEXES, /^npm run embrec -- index sweep items\.npy /));
    expect(r.code, said(r)).toBe(0);
    // each measured setting on stderr as it goes, the Pareto front and equal-recall tables on stdout
    for (const nprobe of [1, 4, 16, 64])
      expect(r.stderr).toMatch(
        new RegExp(`^IVF1024,Flat nprobe=${nprobe} +batch 256 × 2t +recall@100 0\\.\\d{4}`, 'm'),
      );
    expect(r.stderr).toMatch(/^hnsw M=32 efSearch=\d+ +batch 256 × 2t +recall@100 \d\.\d{4}/m);
    expect(r.stderr).toMatch(/^exact +batch +1 × 1t +recall@100 1\.0000/m);
    expect(r.stdout).toContain('## Pareto front');
    expect(r.stdout).toMatch(/^\| exact \| 256 \| 2 \| 1\.0000 \|/m);
  }, 300_000);
});
