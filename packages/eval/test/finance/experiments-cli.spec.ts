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
  it('similar securities: run, then `embrec finance securities` prints the measures beside co-holding', async () => {
    const sweep = await run('finance-similar-securities', SMALL);
    const r = await runCli(['finance', 'securities', sweep]);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('co-holding cosine (baseline)');
    expect(r.stdout).toContain('embrec/item2vec embeddings');
    const rows = json(join(sweep, 'finance-securities.json')).rows;
    expect(rows.length).toBe(6); // three models, each beside the baseline
    for (const row of rows) {
      const v = row.values as Record<string, number>;
      expect(v['SectorPurity@10']).toBeGreaterThan(0);
      expect(v['SectorPurity@10']).toBeLessThanOrEqual(1);
      expect(Number.isFinite(v['Loading R²'])).toBe(true);
    }
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
    const sweep = await run('finance-factor-tower', SMALL);
    const r = await runCli(['finance', 'cold-start', sweep]);
    expect(r.code).toBe(0);
    const rows = json(join(sweep, 'finance-cold-start.json')).rows;
    expect(rows.length).toBe(2);
    expect(rows[0]!.test).toBeNull();
    expect((rows[1]!.test as { n: number }).n).toBe(rows[0]!.users);
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
