import { describe, expect, it } from 'vitest';
import { autoTune } from '../src/tuning/autotune.ts';
import {
  equalRecallCell,
  equalRecallMarkdown,
  equalRecallRows,
  fastestAtRecall,
  qpsAtRecall,
  recallFront,
} from '../src/tuning/equal-recall.ts';
import type { SweepRow } from '../src/tuning/sweep.ts';

const row = (recall: number, qps: number, extra: Partial<SweepRow> = {}): SweepRow => ({
  index: 'x',
  params: {},
  k: 100,
  batch: 1,
  threads: 1,
  recall,
  qps,
  p50Ms: 1,
  p99Ms: 2,
  buildMs: 0,
  memoryBytes: 0,
  ...extra,
});

describe('qpsAtRecall (log-QPS linear in recall between neighbouring points)', () => {
  const curve = [
    { recall: 0.8, qps: 1000 },
    { recall: 0.9, qps: 100 },
    { recall: 0.85, qps: 50 }, // dominated by (0.9, 100): not on the front, ignored
    { recall: 0.97, qps: 10 },
  ];

  it('interpolates geometrically between the bracketing front points', () => {
    expect(qpsAtRecall(curve, 0.85)).toEqual({ target: 0.85, kind: 'interpolated', qps: expect.any(Number) });
    expect(qpsAtRecall(curve, 0.85).qps).toBeCloseTo(Math.sqrt(1000 * 100), 6);
    // 0.95 lies 5/7 of the way from 0.90 to 0.97 in recall: log QPS moves 5/7 of the way too
    expect(qpsAtRecall(curve, 0.95).qps).toBeCloseTo(100 * 10 ** (-5 / 7), 6);
    expect(qpsAtRecall(curve, 0.9)).toEqual({ target: 0.9, kind: 'interpolated', qps: 100 });
  });

  it('does not extrapolate: above the curve is "not reached", below it a lower bound', () => {
    expect(qpsAtRecall(curve, 0.99)).toEqual({ target: 0.99, kind: 'not-reached', qps: undefined });
    expect(qpsAtRecall(curve, 0.5)).toEqual({ target: 0.5, kind: 'at-least', qps: 1000 });
    expect(qpsAtRecall([], 0.9).kind).toBe('not-reached');
    expect(equalRecallCell(qpsAtRecall(curve, 0.99))).toBe('not reached');
    expect(equalRecallCell(qpsAtRecall(curve, 0.5))).toBe('≥ 1000');
  });

  it('the front is monotone (recall up, QPS down) whatever the input order', () => {
    const f = recallFront([...curve].reverse());
    expect(f.map((p) => p.recall)).toEqual([0.8, 0.9, 0.97]);
    expect(f.map((p) => p.qps)).toEqual([1000, 100, 10]);
  });

  it('one curve per index and mode, read at 0.90 / 0.95 / 0.99', () => {
    const rows = [
      row(0.88, 2000, { index: 'ivf' }),
      row(0.96, 800, { index: 'ivf' }),
      row(0.88, 5000, { index: 'ivf', batch: 256, threads: 2 }),
      row(0.96, 2000, { index: 'ivf', batch: 256, threads: 2 }),
      row(0.995, 300, { index: 'hnsw' }),
    ];
    const t = equalRecallRows(rows);
    expect(t.map((r) => `${r.index}/${r.batch}/${r.threads}`)).toEqual(['ivf/1/1', 'ivf/256/2', 'hnsw/1/1']);
    const ivf1 = t[0]?.at ?? [];
    expect(ivf1.map((e) => e.kind)).toEqual(['interpolated', 'interpolated', 'not-reached']);
    expect(ivf1[0]?.qps).toBeCloseTo(2000 * (800 / 2000) ** 0.25, 6);
    expect(ivf1[1]?.qps).toBeCloseTo(2000 * (800 / 2000) ** (7 / 8), 6);
    expect(t[2]?.at.map((e) => e.kind)).toEqual(['at-least', 'at-least', 'at-least']);
    const md = equalRecallMarkdown(t, 100);
    expect(md).toContain('QPS @ recall@100 0.95');
    expect(md).toContain('| hnsw | 1 | 1 | ≥ 300 | ≥ 300 | ≥ 300 |');
  });
});

describe('autotune: the equal-recall rule (cheapest setting whose measured recall ≥ target)', () => {
  // a synthetic effort curve: recall rises and QPS falls with the effort value
  const curve = (v: number) => row(1 - 0.5 / v, 10000 / v, { index: 'ivf', params: { nprobe: v } });
  const values = [1, 2, 4, 8, 16, 32, 64, 128];

  it('from measured rows: the fastest qualifying one, never a faster one below the target', async () => {
    const rows = [...values.map(curve), row(0.949, 1e6, { index: 'fast-but-short' })];
    const r = await autoTune(rows, 0.95);
    expect(r.best?.params).toEqual({ nprobe: 16 }); // 1 - 0.5/16 = 0.969 ≥ 0.95; nprobe 8: 0.9375
    expect(r.best).toBe(fastestAtRecall(rows, 0.95));
    // the curve at 0.95 (between nprobe 8 and 16) is faster than the measured pick: pick/frontier < 1
    expect(r.frontierQps).toBeGreaterThan(r.best?.qps ?? Number.POSITIVE_INFINITY);
    expect(r.frontierQps).toBeLessThan(curve(8).qps);
    const none = await autoTune(rows, 0.999);
    expect(none.best).toBeUndefined();
    expect(none.frontierQps).toBeUndefined();
  });

  it('by measuring: the binary search lands on the same pick as measuring everything', async () => {
    const measured: number[] = [];
    for (const target of [0.6, 0.9, 0.95, 0.99, 0.996]) {
      const all = await autoTune(values.map(curve), target);
      const searched = await autoTune(
        {
          measure: async (v) => {
            measured.push(v);
            return curve(v);
          },
          values,
        },
        target,
      );
      expect(searched.best?.params).toEqual(all.best?.params);
    }
    expect(measured.length).toBeLessThan(5 * values.length);
  });
});
