import { addon } from './addon.ts';

/** Thread counts of the two pools the addon uses. */
export interface ThreadSettings {
  /** OpenBLAS (pthreads build): GEMM inside tfjs kernels and FAISS training. */
  blas: number;
  /** OpenMP: FAISS search/add and other OpenMP loops. */
  omp: number;
}

/**
 * Sets the thread counts. `setThreads(n)` gives both pools n threads: BLAS runs on the calling JS
 * thread and FAISS's OpenMP loops run when no GEMM does, so one job at a time keeps n busy threads.
 * When FAISS searches run while a model trains in the same process, split the cores instead
 * (`setThreads({ blas: 1, omp: n - 1 })`), or the two pools oversubscribe them.
 * The default is 1 BLAS thread (unless OPENBLAS_NUM_THREADS is set) and OpenMP's own default:
 * on small machines more BLAS threads do not pay for embedding-sized GEMMs.
 */
export function setThreads(n: number | Partial<ThreadSettings>): ThreadSettings {
  const want = typeof n === 'number' ? { blas: n, omp: n } : n;
  for (const [k, v] of Object.entries(want)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new RangeError(`setThreads: ${k} must be an integer >= 1, got ${String(v)}`);
    }
  }
  const a = addon();
  if (want.blas !== undefined) a.setBlasThreads(want.blas);
  if (want.omp !== undefined) a.setOmpThreads(want.omp);
  return getThreads();
}

/** Current thread counts of OpenBLAS and OpenMP. */
export function getThreads(): ThreadSettings {
  const a = addon();
  return { blas: a.getBlasThreads() as number, omp: a.getOmpThreads() as number };
}
