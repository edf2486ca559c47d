import type { Rng } from '@embrec/core';
import { matmul, nativeAvailable } from '@embrec/native';
import type { Labels } from './attributes.ts';
import { unitRows } from './vectors.ts';

/**
 * Does the embedding space carry an attribute? Mean cosine similarity of pairs of distinct rows
 * that share a value ("intra") against pairs that do not ("inter"), per value and overall, with a
 * permutation test, and the value × value matrix of mean similarities.
 *
 * Multi-valued rows (an item with several genres): a row counts in every value it has. For value g,
 * intra(g) averages the pairs where both rows have g, inter(g) the pairs where exactly one has g.
 * Overall, a pair is intra when the two rows share at least one value and inter when they share
 * none. Rows with no value (or a zero vector) are left out. Cell (g, h) of the matrix averages the pairs of distinct
 * rows with one in g and the other in h.
 *
 * Everything is computed from per-group sums of unit vectors (Σ_{i∈A, j∈B, i≠j} cos = s_A·s_B −
 * |A∩B|), so a permutation costs O(n·dim + combos²·dim), not O(n²·dim).
 */
export interface GenreStructure {
  readonly attribute: string;
  readonly rows: number; // rows with at least one value
  readonly overall: { intra: number; inter: number; diff: number; p: number };
  readonly perValue: readonly {
    value: string;
    count: number;
    intra: number;
    inter: number;
    diff: number;
    p: number;
  }[];
  /** Mean cosine similarity between values, [values, values] row-major; NaN where undefined. */
  readonly matrix: readonly (readonly number[])[];
  readonly permutations: number;
}

interface Stats {
  overall: number; // intra - inter
  intra: number;
  inter: number;
  perIntra: Float64Array;
  perInter: Float64Array;
  matrix: Float64Array;
}

export function genreStructure(
  vectors: Float32Array,
  dim: number,
  labels: Labels,
  opts: { permutations: number; rng: Rng },
): GenreStructure {
  const unit = unitRows(vectors, dim);
  const rows: number[] = [];
  for (let r = 0; r < labels.indptr.length - 1; r++) {
    let nz = false;
    for (let j = 0; j < dim && !nz; j++) nz = unit[r * dim + j] !== 0;
    if (nz && labels.indptr[r + 1]! > labels.indptr[r]!) rows.push(r);
  }
  // bags of the labelled rows, as "combo" ids (rows with the same set of values share a combo)
  const comboOf = new Map<string, number>();
  const combos: number[][] = [];
  const rowCombo = new Int32Array(rows.length);
  rows.forEach((r, k) => {
    const bag = Array.from(new Set(labels.indices.subarray(labels.indptr[r]!, labels.indptr[r + 1]!))).sort(
      (a, b) => a - b,
    );
    const key = bag.join(',');
    let c = comboOf.get(key);
    if (c === undefined) {
      c = combos.length;
      comboOf.set(key, c);
      combos.push(bag);
    }
    rowCombo[k] = c;
  });
  const V = labels.vocab.length;
  const C = combos.length;
  // share[c1 * C + c2] = 1 when the two combos share a value
  const share = new Uint8Array(C * C);
  for (let a = 0; a < C; a++)
    for (let b = 0; b < C; b++) share[a * C + b] = combos[a]!.some((v) => combos[b]!.includes(v)) ? 1 : 0;

  const stats = (assign: Int32Array): Stats => {
    // assign[k] = combo of labelled row k
    const sums = new Float64Array(C * dim);
    const counts = new Float64Array(C);
    for (let k = 0; k < rows.length; k++) {
      const c = assign[k]!;
      counts[c]!++;
      const base = rows[k]! * dim;
      for (let j = 0; j < dim; j++) sums[c * dim + j]! += unit[base + j]!;
    }
    const dots = comboDots(sums, C, dim);
    // overall: self pairs (a row with itself, cos = 1 for non-zero rows) sit on the diagonal
    let intraSum = 0;
    let intraN = 0;
    let interSum = 0;
    let interN = 0;
    for (let a = 0; a < C; a++)
      for (let b = 0; b < C; b++) {
        const selfN = a === b ? counts[a]! : 0;
        const s = dots[a * C + b]! - selfN; // unit rows: each self pair adds 1
        const n = counts[a]! * counts[b]! - selfN;
        if (share[a * C + b]) {
          intraSum += s;
          intraN += n;
        } else {
          interSum += s;
          interN += n;
        }
      }
    // per value: group sums over the combos containing the value
    const vs = new Float64Array(V * dim);
    const vn = new Float64Array(V);
    for (let c = 0; c < C; c++)
      for (const v of combos[c]!) {
        vn[v]! += counts[c]!;
        for (let j = 0; j < dim; j++) vs[v * dim + j]! += sums[c * dim + j]!;
      }
    const total = new Float64Array(dim);
    for (let c = 0; c < C; c++) for (let j = 0; j < dim; j++) total[j]! += sums[c * dim + j]!;
    const n = rows.length;
    const matrix = new Float64Array(V * V);
    const both = new Float64Array(V * V); // rows having both values
    for (let c = 0; c < C; c++)
      for (const g of combos[c]!) for (const h of combos[c]!) both[g * V + h]! += counts[c]!;
    for (let g = 0; g < V; g++)
      for (let h = g; h < V; h++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += vs[g * dim + j]! * vs[h * dim + j]!;
        const m = (s - both[g * V + h]!) / (vn[g]! * vn[h]! - both[g * V + h]!);
        matrix[g * V + h] = m;
        matrix[h * V + g] = m;
      }
    const perIntra = new Float64Array(V);
    const perInter = new Float64Array(V);
    for (let g = 0; g < V; g++) {
      perIntra[g] = matrix[g * V + g]!;
      let s = 0;
      for (let j = 0; j < dim; j++) s += vs[g * dim + j]! * (total[j]! - vs[g * dim + j]!);
      perInter[g] = s / (vn[g]! * (n - vn[g]!));
    }
    const intra = intraSum / intraN;
    const inter = interSum / interN;
    return { overall: intra - inter, intra, inter, perIntra, perInter, matrix };
  };

  const observed = stats(rowCombo);
  const P = opts.permutations;
  let geOverall = 0;
  const gePer = new Float64Array(V);
  const perm = Int32Array.from(rowCombo);
  for (let t = 0; t < P; t++) {
    // Fisher–Yates shuffle of the rows' label bags
    for (let i = perm.length - 1; i > 0; i--) {
      const j = opts.rng.int(i + 1);
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
    }
    const s = stats(perm);
    if (s.overall >= observed.overall) geOverall++;
    for (let g = 0; g < V; g++)
      if (s.perIntra[g]! - s.perInter[g]! >= observed.perIntra[g]! - observed.perInter[g]!) gePer[g]!++;
  }
  const counts = new Float64Array(V);
  for (let k = 0; k < rows.length; k++) for (const v of combos[rowCombo[k]!]!) counts[v]!++;
  const perValue = labels.vocab.map((value, g) => ({
    value,
    count: counts[g]!,
    intra: observed.perIntra[g]!,
    inter: observed.perInter[g]!,
    diff: observed.perIntra[g]! - observed.perInter[g]!,
    p: Number.isNaN(observed.perIntra[g]! - observed.perInter[g]!) ? Number.NaN : (1 + gePer[g]!) / (P + 1),
  }));
  const matrix: number[][] = [];
  for (let g = 0; g < V; g++) matrix.push(Array.from(observed.matrix.subarray(g * V, (g + 1) * V)));
  return {
    attribute: labels.name,
    rows: rows.length,
    overall: {
      intra: observed.intra,
      inter: observed.inter,
      diff: observed.overall,
      p: (1 + geOverall) / (P + 1),
    },
    perValue,
    matrix,
    permutations: P,
  };
}

/**
 * Gram matrix of the combo sums, [C, C]. Many combos (ML latest-small has ~900 genre sets) make this
 * the cost of a permutation, so it goes through the native sgemm when the addon is built.
 */
function comboDots(sums: Float64Array, C: number, dim: number): Float64Array {
  if (C * C * dim > 4_000_000 && nativeAvailable()) {
    const s32 = Float32Array.from(sums);
    return Float64Array.from(matmul(s32, s32, C, dim, C, { transB: true }));
  }
  const dots = new Float64Array(C * C);
  for (let a = 0; a < C; a++)
    for (let b = a; b < C; b++) {
      let s = 0;
      for (let j = 0; j < dim; j++) s += sums[a * dim + j]! * sums[b * dim + j]!;
      dots[a * C + b] = s;
      dots[b * C + a] = s;
    }
  return dots;
}
