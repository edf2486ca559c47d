import { Rng } from '@embrec/core';
import { nativeAvailable } from '@embrec/native';
import { describe, expect, it } from 'vitest';
import { topkBackend } from '../../src/evaluation/backend.ts';
import { topkDotJs, topkRowsJs } from '../../src/evaluation/topk.ts';

function bruteTopK(scores: Float32Array, cols: number, r: number, k: number, ban: Set<number>): number[] {
  const idx = [];
  for (let c = 0; c < cols; c++) if (!ban.has(c) && !Number.isNaN(scores[r * cols + c]!)) idx.push(c);
  idx.sort((a, b) => scores[r * cols + b]! - scores[r * cols + a]! || a - b);
  return idx.slice(0, k);
}

function randomCase(seed: number) {
  const rng = new Rng(seed);
  const rows = 1 + rng.int(20);
  const cols = 1 + rng.int(80);
  const k = 1 + rng.int(30);
  // few distinct values so that ties are common
  const scores = Float32Array.from({ length: rows * cols }, () =>
    rng.int(10) === 0 ? Number.NaN : rng.int(7),
  );
  const bans: Set<number>[] = [];
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    const s = new Set<number>();
    const n = rng.int(Math.ceil(cols / 2));
    for (let j = 0; j < n; j++) s.add(rng.int(cols));
    bans.push(s);
    indices.push(...s);
    indptr[r + 1] = indices.length;
  }
  return { rows, cols, k, scores, bans, exclude: { indptr, indices: Int32Array.from(indices) } };
}

describe('top-K selection', () => {
  it('topkRowsJs equals a full sort (ties to the lower index, exclusions and NaN skipped, -1 padding)', () => {
    for (let seed = 0; seed < 300; seed++) {
      const c = randomCase(seed);
      const got = topkRowsJs(c.scores, c.rows, c.cols, c.k, c.exclude);
      for (let r = 0; r < c.rows; r++) {
        const want = bruteTopK(c.scores, c.cols, r, c.k, c.bans[r]!);
        const row = [...got.ids.subarray(r * c.k, (r + 1) * c.k)];
        expect(row).toEqual([...want, ...new Array<number>(c.k - want.length).fill(-1)]);
        for (let j = want.length; j < c.k; j++)
          expect(got.scores[r * c.k + j]).toBe(Number.NEGATIVE_INFINITY);
      }
    }
  });

  it('topkDotJs equals topkRowsJs over the explicit score matrix', () => {
    const rng = new Rng(3);
    const nq = 13;
    const ni = 101;
    const d = 8;
    const q = Float32Array.from({ length: nq * d }, () => rng.normal());
    const items = Float32Array.from({ length: ni * d }, () => rng.normal());
    const scores = new Float32Array(nq * ni);
    for (let a = 0; a < nq; a++)
      for (let b = 0; b < ni; b++) {
        let s = 0;
        for (let t = 0; t < d; t++) s += q[a * d + t]! * items[b * d + t]!;
        scores[a * ni + b] = s;
      }
    const exclude = {
      indptr: Int32Array.from({ length: nq + 1 }, (_, i) => i * 2),
      indices: Int32Array.from({ length: nq * 2 }, (_, i) => (i * 7) % ni),
    };
    const a = topkDotJs(q, items, d, 10, exclude);
    const b = topkRowsJs(scores, nq, ni, 10, exclude);
    expect([...a.ids]).toEqual([...b.ids]);
  });

  it.skipIf(topkBackend().name !== 'native')('native top-K agrees with the JS fallback', () => {
    expect(nativeAvailable()).toBe(true);
    const native = topkBackend();
    for (let seed = 0; seed < 50; seed++) {
      const c = randomCase(seed);
      const a = native.topkRows(c.scores, c.rows, c.cols, c.k, c.exclude);
      const b = topkRowsJs(c.scores, c.rows, c.cols, c.k, c.exclude);
      expect([...a.ids]).toEqual([...b.ids]);
    }
  });
});
