import '@tensorflow/tfjs-backend-cpu';
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { binaryKernels, unaryKernels } from './elementwise.ts';
import { gatherV2Kernel, unsortedSegmentSumKernel } from './gather.ts';
import { batchMatMulKernel, fusedMatMulKernel } from './matmul.ts';
import { reduceKernels, softmaxKernel } from './reduce.ts';
import { transposeKernel } from './transpose.ts';
import type { NativeKernelConfig } from './util.ts';
import { withFallback } from './util.ts';

/** Every override, by tfjs kernel name. */
export const NATIVE_KERNELS: readonly NativeKernelConfig[] = [
  batchMatMulKernel,
  fusedMatMulKernel,
  gatherV2Kernel,
  unsortedSegmentSumKernel,
  ...binaryKernels,
  ...unaryKernels,
  ...reduceKernels,
  softmaxKernel,
  transposeKernel,
];

/** tfjs's own cpu kernels that an override replaced, to fall back to and to restore. */
const originals = new Map<string, KernelFunc>();

/**
 * Registers the native kernels over tfjs's 'cpu' kernels (all of them, or the names in `only`).
 * Each keeps tfjs's kernel as its fallback for dtypes and cases it does not handle. Idempotent:
 * kernels already overridden are left as they are. Returns the names now overridden.
 */
export function registerNativeKernels(only?: readonly string[]): string[] {
  for (const k of NATIVE_KERNELS) {
    if (only && !only.includes(k.kernelName)) continue;
    if (originals.has(k.kernelName)) continue;
    const orig = getKernel(k.kernelName, 'cpu');
    if (!orig) continue; // this tfjs has no cpu kernel of that name
    unregisterKernel(k.kernelName, 'cpu');
    registerKernel({ ...orig, kernelFunc: withFallback(k.kernelFunc, orig.kernelFunc) });
    originals.set(k.kernelName, orig.kernelFunc);
  }
  return [...originals.keys()];
}

/** Puts tfjs's own kernels back (all, or those in `only`). */
export function unregisterNativeKernels(only?: readonly string[]): void {
  for (const [name, kernelFunc] of [...originals]) {
    if (only && !only.includes(name)) continue;
    const cur = getKernel(name, 'cpu');
    unregisterKernel(name, 'cpu');
    registerKernel({ ...cur, kernelName: name, backendName: 'cpu', kernelFunc });
    originals.delete(name);
  }
}

/** Names of the kernels currently overridden. */
export function nativeKernelNames(): string[] {
  return [...originals.keys()];
}

/** tfjs's original cpu kernel function of an overridden kernel (for tests and fallbacks). */
export function originalKernel(name: string): KernelFunc | undefined {
  return originals.get(name);
}
