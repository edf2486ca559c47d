import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pairedTTest } from '@embrec/eval';
import { afterAll, describe, expect, it } from 'vitest';
import { holm, matchBaselines, parseAssignments, sweepReport } from '../../packages/cli/src/report.ts';
import { runCli } from '../helpers/cli.ts';
import { type FakeTrial, writeSweep } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'embrec-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** 2 × 2 grid (power × dim), 2 seeds; per-user NDCG@20 shifted by the power so that tests differ. */
function grid(): FakeTrial[] {
  const out: FakeTrial[] = [];
  for (const power of [1, 10])
    for (const dim of [8, 16])
      for (const seed of [1, 2]) {
        const shift = power === 10 ? 0.05 : 0;
        const base = dim / 100 + seed / 1000;
        const users = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((u, i) => u + base + shift + (i % 2) * 0.01 * seed);
        const ndcg = users.reduce((a, b) => a + b, 0) / users.length;
        out.push({
          name: `power=${power},dim=${dim},seed=${seed}`,
          group: `power=${power},dim=${dim}`,
          values: { 'NDCG@20': ndcg, 'Recall@20': ndcg * 2, 'HR@20': 0.9, 'NDCG@20 (pipeline)': ndcg },
          perUser: { 'NDCG@20': users, 'Recall@20': users.map((x) => x * 2) },
          history: [
            { loss: 3, 'NDCG@20': 0.1 + power / 1000 },
            // the best validation epoch of dim=16 is power=1's; dim=8 is flat
            { loss: 2, 'NDCG@20': dim === 16 ? 0.3 - power / 100 : 0.05 },
            { loss: 1, 'NDCG@20': 0.01 },
          ],
          earlyStopping: 'NDCG@20',
        });
      }
  return out;
}

describe('holm', () => {
  it("matches R's p.adjust(c(0.01, 0.04, 0.03, 0.005), 'holm')", () => {
    const adj = holm([0.01, 0.04, 0.03, 0.005]);
    expect(adj.map((x) => Number(x.toFixed(10)))).toEqual([0.03, 0.06, 0.06, 0.02]);
  });
  it('caps at 1 and leaves NaN out of the family', () => {
    const adj = holm([0.5, Number.NaN, 0.4]);
    expect(adj[0]).toBe(0.8);
    expect(adj[1]).toBeNaN();
    expect(adj[2]).toBe(0.8);
  });
});

describe('parseAssignments', () => {
  it('keeps commas inside component values and decodes escapes', () => {
    const a = parseAssignments(
      'sampler=mixed(num=256,distribution=uniform),loss.temperature=0.1,model=toy~popular',
    );
    expect(a && Object.fromEntries(a)).toEqual({
      sampler: 'mixed(num=256,distribution=uniform)',
      'loss.temperature': '0.1',
      model: 'toy/popular',
    });
    expect(parseAssignments('x=1%23')?.get('x')).toBe('1#');
  });
  it('refuses a shortened name', () => {
    expect(parseAssignments('model=mf,abc^0123456789abcdef')).toBeUndefined();
  });
});

describe('baseline matching by axis values', () => {
  const groups = ['power=1,dim=8', 'power=10,dim=8', 'power=1,dim=16', 'power=10,dim=16'].map((name) => ({
    name,
    trials: [],
    values: {},
    axes: parseAssignments(name),
  }));
  it('power=1 does not match power=10, and each row is compared at its own dim', () => {
    const warnings: string[] = [];
    const { baselines } = matchBaselines(groups, 'power=1', warnings);
    expect(warnings).toEqual([]);
    expect(baselines.get(groups[1]!)?.name).toBe('power=1,dim=8');
    expect(baselines.get(groups[3]!)?.name).toBe('power=1,dim=16');
    expect(baselines.has(groups[0]!)).toBe(false);
  });
  it('reads an axis that is not the first', () => {
    const { baselines } = matchBaselines(groups, 'dim=16', []);
    expect(baselines.get(groups[0]!)?.name).toBe('power=1,dim=16');
    expect(baselines.get(groups[1]!)?.name).toBe('power=10,dim=16');
  });
  it('a component type matches its parameterised value (model=mf → mf(dim=64))', () => {
    const gs = ['model=mf(dim=64)', 'model=two-tower(dim=64)'].map((name) => ({
      name,
      trials: [],
      values: {},
      axes: parseAssignments(name),
    }));
    const { baselines } = matchBaselines(gs, 'model=mf', []);
    expect(baselines.get(gs[1]!)?.name).toBe('model=mf(dim=64)');
  });
  it('a missing baseline is a warning naming the axes', () => {
    const warnings: string[] = [];
    const { baselines } = matchBaselines(groups, 'temperature=1', warnings);
    expect(baselines.size).toBe(0);
    expect(warnings[0]).toMatch(/"temperature" is not a sweep axis; axes: power, dim/);
  });
});

describe('shortened group names (whole component blocks as sweep values)', () => {
  // `model: [{ type: lightgcn, … }, { type: lightgcn++, … }]` gives names over 96 bytes, cut with a hash
  const long = (t: string) =>
    `model=${t}(dim=64,layers=2,l2=0.0001,train={epochs=240,batchSize=2048,lr=0.001,validateEvery=5})`;
  const cut = (t: string) =>
    `${long(t).slice(0, 70)}^${t === 'lightgcn' ? '0123456789abcdef' : 'fedcba9876543210'}`;
  const trials = grid()
    .filter((t) => t.group.endsWith('dim=8'))
    .map((t) => {
      const type = t.group.startsWith('power=1,') ? 'lightgcn' : 'lightgcn++';
      const seed = t.name.split(',').pop()!;
      return { ...t, name: `${cut(type)},${seed}`, group: cut(type) };
    });
  it('match the baseline on the axis values sweep.json recorded', () => {
    const dir = join(root, 'cut');
    const axes = Object.fromEntries(
      ['lightgcn', 'lightgcn++'].map((t) => [cut(t), { model: long(t).slice('model='.length) }]),
    );
    writeSweep(dir, trials, { baseline: 'model=lightgcn', axes });
    const r = sweepReport(dir, { format: 'md' });
    expect(r.warnings).toEqual([]);
    const row = r.text.split('\n').find((l) => l.startsWith(`| ${cut('lightgcn++')} `))!;
    expect(row).toMatch(/\| \+0\.05000 \(\+/);
    expect(r.text.split('\n').find((l) => l.startsWith(`| ${cut('lightgcn')} `))).toContain('baseline');
  });
  it('without recorded axes (a sweep.json from before) the baseline is a warning, not a wrong match', () => {
    const dir = join(root, 'cut-old');
    writeSweep(dir, trials, { baseline: 'model=lightgcn' });
    const r = sweepReport(dir, { format: 'md' });
    expect(r.warnings[0]).toMatch(/baseline "model=lightgcn" matches no trial group/);
  });
});

describe('sweepReport on a synthetic sweep', () => {
  const dir = join(root, 'grid');
  const trials = grid();
  const exp = join(root, 'grid.yaml');
  writeFileSync(exp, 'name: fake\nevaluate: { type: full, ks: [20], metrics: [ndcg] }\n');
  writeSweep(dir, trials, { baseline: 'power=1', experimentFile: exp });

  it('compact table: the requested metrics, mean ± CI, Δ, p and Holm over the two comparisons', () => {
    const r = sweepReport(dir, { format: 'md' });
    expect(r.warnings).toEqual([]);
    const lines = r.text.split('\n');
    expect(lines[0]).toMatch(/\| group +\| seeds \| NDCG@20 +\| Δ NDCG@20 +\| p \(NDCG@20\) \| p Holm +\|/);
    expect(r.text).not.toContain('Recall@20');
    expect(r.text).not.toContain('HR@20');
    // p of power=10,dim=8 against power=1,dim=8 (per-user means over the two seeds)
    const mean = (g: string) => {
      const ts = trials.filter((t) => t.group === g);
      return ts[0]!.perUser!['NDCG@20']!.map(
        (_, i) => ts.reduce((a, t) => a + Math.fround(t.perUser!['NDCG@20']![i]!), 0) / ts.length,
      );
    };
    const p8 = pairedTTest(mean('power=10,dim=8'), mean('power=1,dim=8')).p;
    const p16 = pairedTTest(mean('power=10,dim=16'), mean('power=1,dim=16')).p;
    const row = lines.find((l) => l.startsWith('| power=10,dim=8 '))!;
    expect(row).toContain(`| ${p8.toPrecision(4)} `);
    expect(row).toContain(`| ${holm([p8, p16])[0]!.toPrecision(4)} |`);
    expect(row).toMatch(/\| \+0\.05000 \(\+/);
    expect(lines.find((l) => l.startsWith('| power=1,dim=8 '))).toContain('baseline');
  });

  it('--all shows every metric; --metric chooses', () => {
    const all = sweepReport(dir, { format: 'md', all: true }).text;
    expect(all).toContain('Recall@20');
    expect(all).toContain('HR@20');
    expect(all).toContain('NDCG@20 (pipeline)');
    const one = sweepReport(dir, { format: 'md', metrics: ['HR@20'] }).text;
    expect(one.split('\n')[0]).toContain('HR@20');
    expect(() => sweepReport(dir, { format: 'md', metrics: ['MRR@5'] })).toThrow(/Available: NDCG@20/);
  });

  it('CSV puts mean, CI low and CI high in separate columns, 4 significant digits', () => {
    const csv = sweepReport(dir, { format: 'csv' }).text.split('\n');
    expect(csv[0]).toBe(
      'group,seeds,NDCG@20 mean,NDCG@20 ci_low,NDCG@20 ci_high,NDCG@20 delta,p (NDCG@20),p Holm',
    );
    const cells = csv
      .find((l) => l.startsWith('"power=1,dim=16"'))!
      .split(',')
      .slice(3);
    const [mean, lo, hi] = cells.map(Number);
    expect(lo!).toBeLessThan(mean!);
    expect(hi!).toBeGreaterThan(mean!);
    for (const c of cells.slice(0, 3)) expect(c.replace(/^-?0\.0*/, '').replace('.', '')).toHaveLength(4);
  });

  it('--select valid.NDCG@20 picks the best validation mean (early-stopping epoch) and hides the rest', () => {
    const r = sweepReport(dir, { format: 'md', select: 'valid.NDCG@20' });
    // dim=16 power=1 has the best epoch (0.29); the last epoch (0.01) would tie every group
    expect(r.selected).toBe('power=1,dim=16');
    const lines = r.text.split('\n');
    expect(lines[0]).toContain('valid.NDCG@20');
    expect(lines[2]).toMatch(/^\| power=1,dim=16 ← selected \| 2 +\| 0\.2900 ± 0\.000 +\| 0\.5\d+ ± /);
    for (const l of lines.slice(3, 6)) expect(l).toContain('hidden');
    const shown = sweepReport(dir, { format: 'md', select: 'valid.NDCG@20', showTest: true }).text;
    expect(shown).not.toContain('hidden');
    expect(shown).toContain('← selected');
  });

  it('--select with a metric that does not exist lists the validation metrics', () => {
    expect(() => sweepReport(dir, { format: 'md', select: 'valid.NDCG@5' })).toThrow(
      /no trial .* has the validation metric "NDCG@5"\. Validation metrics: valid\.NDCG@20/,
    );
    expect(() => sweepReport(dir, { format: 'md', select: 'NDCG@20' })).toThrow(
      /expected a validation metric/,
    );
  });
});

describe('embrec report (CLI)', () => {
  const dir = join(root, 'cli');
  writeSweep(dir, grid(), { baseline: 'power=3' });

  it('a missing baseline warns and still prints the table (exit 0)', async () => {
    const r = await runCli(['report', dir]);
    expect(r.stderr).toMatch(/⚠ baseline "power=3" matches no trial group/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| power=10,dim=16 ');
    expect(r.stdout).not.toContain('Δ');
  });

  it('report --select valid.NDCG@20 marks the selected group', async () => {
    const r = await runCli(['report', dir, '--select', 'valid.NDCG@20', '--baseline', 'power=1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('power=1,dim=16 ← selected');
    expect(r.stdout).toContain('hidden');
  });

  it('an unknown validation metric is a usage error (exit 2)', async () => {
    const r = await runCli(['report', dir, '--select', 'valid.MRR@7']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Validation metrics: valid.NDCG@20');
    expect(r.stdout).toBe('');
  });
});
