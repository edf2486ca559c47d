import type { DataType, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { RawAddon } from '../addon.ts';
import { addon } from '../addon.ts';

/** The part of tfjs-backend-cpu's MathBackendCPU the kernels use. */
export interface CpuBackend {
  data: { get(dataId: object): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: unknown): TensorInfo;
}

/** Arguments of a tfjs kernel function. */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: CpuBackend;
  attrs: NamedAttrMap;
}

/**
 * A native kernel: returns the result, or `undefined` for a case it does not handle (dtype, rank,
 * attribute), in which case tfjs's own kernel runs.
 */
export type NativeKernel = (args: KernelArgs, n: RawAddon) => TensorInfo | TensorInfo[] | undefined;

export interface NativeKernelConfig {
  kernelName: string;
  kernelFunc: NativeKernel;
}

/**
 * The Float32Array that backs a float32 tensor in the cpu backend (no copy). A few tfjs kernels
 * leave other arrays behind a float32 tensor (Cast from bool keeps the Uint8Array): those are copied.
 */
export function values(b: CpuBackend, t: TensorInfo): Float32Array {
  const v = b.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

export function int32Values(b: CpuBackend, t: TensorInfo): Int32Array {
  const v = b.data.get(t.dataId).values;
  return v instanceof Int32Array ? v : Int32Array.from(v as ArrayLike<number>);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isF32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t !== undefined && t.dtype === 'float32');
}

/** Wraps a native kernel so that it falls back to `original` when it returns undefined. */
export function withFallback(k: NativeKernel, original: KernelFunc): KernelFunc {
  const n = addon();
  return ((args: KernelArgs) =>
    k({ ...args, attrs: args.attrs ?? {} }, n) ?? original(args as never)) as unknown as KernelFunc;
}
