import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../../test/helpers/cli.ts';

/**
 * End to end through the real CLI: the four finance experiment files (the data shrunk with --set so
 * that each runs in seconds), then the commands docs/finance.md shows on their output.
 */
const out = mkdtempSync(join(tmpdir(), 'embrec-finance-e2e-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const SMALL = ['--set', 'dataset.securities=160', '--set', 'dataset.portfolios=90'];

async function run(file: string, extra: readonly string[]): Promise<string> {
  const r = await runCli(['run', `experiments/${file}.yaml`, '--output', out, '--quiet', ...extra]);
  expect(r.stderr + r.stdout).not.toMatch(/✖|FAILED/);
  expect(r.code).toBe(0);
  return join(out, file);
}

function json(file: string): { rows: Record<string, unknown>[] } {
  return JSON.parse(readFileSync(file, 'utf8')) as { rows: Record<string, unknown>[] };
}

describe('finance experiment files through the CLI', () => {
  it('similar securities on three worlds: `embrec finance securities` prints each beside its co-holding baseline, then pooled', async () => {
    // the command docs/finance.md reports with: one sweep over the worlds of seeds 5, 6 and 7
    const sweep = await run('finance-similar-securities', [
      ...SMALL,
      '--set',
      "sweep.params['dataset.seed']=[5, 6, 7]",
    ]);
    const r = await runCli(['finance', 'securities', sweep]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('co-holding cosine (baseline)');
    expect(r.stdout).toContain('embrec/item2vec embeddings');
    expect(r.stdout).toContain('embrec/co-holding embeddings');
    expect(r.stdout).toMatch(/chance \(random neighbours\), seed 6: SectorPurity@10 0\.1\d+/);
    expect(r.stdout).toContain('Pooled over worlds');
    const report = json(join(sweep, 'finance-securities.json')) as unknown as {
      rows: {
        world: string;
        values: Record<string, number>;
        ci: Record<string, { low: number; high: number }>;
      }[];
      pooled: { measure: string; worlds: number; test: { n: number; meanDiff: number } }[];
    };
    const rows = report.rows;
    // five models (weighted and unweighted Item2Vec, MF, two-tower, weighted co-holding) × three
    // worlds, each beside its world's baseline
    expect(rows.length).toBe(30);
    expect(new Set(rows.map((r) => r.world))).toEqual(new Set(['seed 5', 'seed 6', 'seed 7']));
    for (const row of rows) {
      const v = row.values;
      expect(v['SectorPurity@10']).toBeGreaterThan(0);
      expect(v['SectorPurity@10']).toBeLessThanOrEqual(1);
      expect(Number.isFinite(v['Loading R²'])).toBe(true);
    }
    const model = rows.find((r) => r.ci['SectorPurity@10'])!;
    expect(model.ci['SectorPurity@10']!.low).toBeLessThanOrEqual(model.ci['SectorPurity@10']!.high);
    // per model and measure, the pairs of the three worlds pooled: securities of all worlds
    expect(report.pooled.length).toBe(10);
    for (const p of report.pooled) expect(p.worlds).toBe(3);
    const perWorld = new Map(rows.map((r) => [r.world, r.values.securities!]));
    const pooledPurity = report.pooled.find((p) => p.measure === 'SectorPurity@10')!;
    expect(pooledPurity.test.n).toBe([...perWorld.values()].reduce((s, n) => s + n, 0));
  }, 600_000);

  it('client matching: `embrec finance clients` reports style NMI and same-style peers', async () => {
    const sweep = await run('finance-client-matching', SMALL);
    const r = await runCli(['finance', 'clients', sweep]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('raw holdings rows (baseline)');
    const rows = json(join(sweep, 'finance-clients.json')).rows;
    expect(rows.length).toBe(4);
    for (const row of rows) expect((row.values as Record<string, number>)['Style NMI']).toBeGreaterThan(0);
  }, 600_000);

  it('factor tower: `embrec finance cold-start` pairs the factor tower with the ID-only tower', async () => {
    // the command docs/finance.md reports with: the worlds of seeds 8, 9 and 10
    const sweep = await run('finance-factor-tower', [
      ...SMALL,
      '--set',
      "sweep.params['dataset.seed']=[8, 9, 10]",
    ]);
    const r = await runCli(['finance', 'cold-start', sweep]);
    expect(r.code).toBe(0);
    const report = json(join(sweep, 'finance-cold-start.json')) as unknown as {
      rows: { world: string; users: number; baseline: string; trial: string; test: { n: number } | null }[];
      pooled: { worlds: number; test: { n: number } }[];
    };
    const rows = report.rows;
    expect(rows.length).toBe(6);
    // each world's first trial (the ID-only tower) is that world's baseline
    for (const world of ['seed 8', 'seed 9', 'seed 10']) {
      const [base, tower] = rows.filter((x) => x.world === world);
      expect(base!.test).toBeNull();
      expect(base!.baseline).toBe(base!.trial);
      expect(tower!.baseline).toBe(base!.trial);
      expect(tower!.test!.n).toBe(base!.users);
    }
    expect(report.pooled.length).toBe(1);
    expect(report.pooled[0]!.worlds).toBe(3);
    expect(report.pooled[0]!.test.n).toBe(rows.filter((x) => x.test).reduce((s, x) => s + x.users, 0));
  }, 600_000);

  it('trade ideas: run, then `embrec report` shows Recall@10 beside BM25', async () => {
    const sweep = await run('finance-trade-ideas', [
      '--set',
      'dataset.notes=240',
      '--set',
      'dataset.events=60',
    ]);
    const r = await runCli(['report', sweep, '--metric', 'Recall@10', '--metric', 'Recall@10 (pipeline)']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/model=bm25\(minDf=2,maxDf=0\.15\).*baseline/);
    expect(r.stdout).toContain('model=topic-oracle');
  }, 600_000);
});
