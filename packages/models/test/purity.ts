import type { EmbeddingTable } from '@embrec/core';

/**
 * Share of each of the first `n` items' k nearest items (cosine of their vectors) that fall in its
 * own half (items < n / 2 form one group, the rest the other): how well embeddings recover two
 * planted clusters.
 */
export function halvesPurity(t: EmbeddingTable, n: number, k: number): number {
  const d = t.dim;
  const cos = (a: number, b: number) => {
    let x = 0;
    let na = 0;
    let nb = 0;
    for (let j = 0; j < d; j++) {
      x += t.vectors[a * d + j]! * t.vectors[b * d + j]!;
      na += t.vectors[a * d + j]! ** 2;
      nb += t.vectors[b * d + j]! ** 2;
    }
    return x / Math.sqrt(na * nb);
  };
  const half = n / 2;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const others = [...Array(n).keys()].filter((j) => j !== i).sort((a, b) => cos(i, b) - cos(i, a));
    for (const j of others.slice(0, k)) if (j < half === i < half) hits++;
  }
  return hits / (n * k);
}
