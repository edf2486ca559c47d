import { topkBackend } from '../evaluation/backend.ts';
import { unitRows } from './vectors.ts';

export interface Neighbours {
  readonly item: string;
  readonly name: string;
  readonly neighbours: readonly { item: string; name: string; cosine: number }[];
}

/**
 * The k nearest items of each query row by cosine similarity, through the one exact top-k
 * (`topkBackend().topkDot` on unit rows; the query itself is excluded).
 */
export function nearestNeighbours(opts: {
  vectors: Float32Array;
  dim: number;
  queries: readonly number[];
  k: number;
  idOf: (row: number) => string;
  nameOf: (row: number) => string;
  threads?: number;
}): Neighbours[] {
  const { dim, queries } = opts;
  const unit = unitRows(opts.vectors, dim);
  const q = new Float32Array(queries.length * dim);
  queries.forEach((r, i) => {
    q.set(unit.subarray(r * dim, (r + 1) * dim), i * dim);
  });
  // query i excludes its own row
  const exclude = {
    indptr: Int32Array.from({ length: queries.length + 1 }, (_, i) => i),
    indices: Int32Array.from(queries),
  };
  const top = topkBackend({ threads: opts.threads ?? 1 }).topkDot(q, unit, dim, opts.k, exclude);
  return queries.map((r, i) => {
    const neighbours: { item: string; name: string; cosine: number }[] = [];
    for (let j = 0; j < top.k; j++) {
      const c = top.ids[i * top.k + j]!;
      if (c >= 0)
        neighbours.push({ item: opts.idOf(c), name: opts.nameOf(c), cosine: top.scores[i * top.k + j]! });
    }
    return { item: opts.idOf(r), name: opts.nameOf(r), neighbours };
  });
}
