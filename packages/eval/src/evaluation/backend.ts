import type { QueryItemLists } from '@embrec/core';
import { addon, nativeAvailable, topkDot, topkRows } from '@embrec/native';
import { type TopK, topkDotJs, topkRowsJs } from './topk.ts';

/**
 * Top-K through @embrec/native (`topkRows`, `topkDot`: blocked sgemm + bounded heaps, threaded) when
 * the addon is built and has the op, else the plain-JS fallback with the same ordering rules
 * (best first, ties to the lower index, excluded and NaN columns never returned).
 */
export interface TopKBackend {
  readonly name: 'native' | 'js';
  topkRows(scores: Float32Array, rows: number, cols: number, k: number, exclude?: QueryItemLists): TopK;
  topkDot(queries: Float32Array, items: Float32Array, dim: number, k: number, exclude?: QueryItemLists): TopK;
}

const jsBackend: TopKBackend = {
  name: 'js',
  topkRows: topkRowsJs,
  topkDot: topkDotJs,
};

function nativeBackend(threads: number): TopKBackend | undefined {
  if (!nativeAvailable() || typeof addon().topkDot !== 'function') return undefined;
  return {
    name: 'native',
    topkRows(scores, rows, cols, k, exclude) {
      const r = topkRows(scores, rows, cols, k, exclude, { threads });
      return { k, ids: r.ids, scores: r.scores };
    },
    topkDot(queries, items, dim, k, exclude) {
      const r = topkDot(queries, items, dim, k, { exclude, threads });
      return { k, ids: r.ids, scores: r.scores };
    },
  };
}

/** The fastest available backend; `prefer: 'js'` forces the fallback (tests compare the two). */
export function topkBackend(opts: { threads?: number; prefer?: 'native' | 'js' } = {}): TopKBackend {
  if (opts.prefer === 'js') return jsBackend;
  return nativeBackend(Math.max(1, opts.threads ?? 1)) ?? jsBackend;
}
