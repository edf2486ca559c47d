import '@tensorflow/tfjs-backend-cpu';
import { getBackend, ready, setBackend } from '@tensorflow/tfjs-core';
import { addon } from './addon.ts';
import { type AllocatorTuning, tuneAllocator } from './allocator.ts';
import { blasConfig } from './blas.ts';
import { ensureGradients, registerGatherGradient, unregisterGatherGradient } from './kernels/gradients.ts';
import { registerNativeKernels, unregisterNativeKernels } from './kernels/register.ts';
import { getThreads, setThreads } from './threads.ts';

/** What `setupNativeBackend` set up: `name` is 'native', `detail` is one line for logs. */
export interface NativeBackendInfo {
  name: 'native';
  detail: string;
  kernels: string[];
  /** glibc's malloc settings ({@link tuneAllocator}). */
  allocator: AllocatorTuning;
}

/**
 * Makes tfjs's 'cpu' backend the active one and registers the native kernels over its hot
 * kernels (BatchMatMul, _FusedMatMul, GatherV2, UnsortedSegmentSum, element-wise ops, reductions,
 * Softmax), and makes sure tfjs's gradients are registered (see ensureGradients). Model code does
 * not change. It also keeps large freed blocks in the process heap for reuse ({@link tuneAllocator};
 * `EMBREC_MALLOC=default` leaves glibc's defaults). Idempotent. Throws when the addon is not built.
 */
export async function setupNativeBackend(opts: { threads?: number } = {}): Promise<NativeBackendInfo> {
  addon(); // throws a clear error when the addon is missing
  const allocator = tuneAllocator();
  if (getBackend() !== 'cpu') {
    const ok = await setBackend('cpu');
    if (!ok) throw new Error("setupNativeBackend: tfjs could not initialise its 'cpu' backend");
  }
  await ready();
  await ensureGradients();
  if (opts.threads !== undefined) setThreads(opts.threads);
  const kernels = registerNativeKernels();
  registerGatherGradient();
  const t = getThreads();
  const cfg = blasConfig().split(' ').slice(0, 2).join(' ');
  return {
    name: 'native',
    detail: `tfjs cpu + ${kernels.length} native kernels (${cfg}; ${t.blas} BLAS / ${t.omp} OpenMP threads)`,
    kernels,
    allocator,
  };
}

/** Removes the native kernels again: tfjs's 'cpu' backend runs its own pure-JS kernels. */
export function teardownNativeBackend(): void {
  unregisterNativeKernels();
  unregisterGatherGradient();
}
