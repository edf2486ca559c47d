import { util } from '@tensorflow/tfjs-core';
import type { NativeKernelConfig } from './util.ts';
import { isF32, sizeOf, values } from './util.ts';

const REDUCE: Record<string, number> = { Sum: 0, Max: 1, Min: 2, Mean: 3, Prod: 4 };

/**
 * Reductions of float32 tensors over a contiguous run of axes (last axis, first axis, all axes,
 * a middle block): the input is seen as [pre, red, post]. Other axis sets go to tfjs.
 */
function reduceKernel(kernelName: string, op: number): NativeKernelConfig {
  return {
    kernelName,
    kernelFunc: ({ inputs, backend, attrs }, n) => {
      const x = inputs.x;
      if (!x || !isF32(x)) return undefined;
      const axisAttr = (kernelName === 'Max' ? attrs.reductionIndices : attrs.axis) as number | number[];
      const axes = [...util.parseAxisParam(axisAttr, x.shape)].sort((p, q) => p - q);
      for (let i = 1; i < axes.length; i++) {
        if (axes[i] !== (axes[i - 1] as number) + 1) return undefined;
      }
      const keepDims = attrs.keepDims === true;
      const first = axes[0] ?? x.shape.length;
      const last = axes[axes.length - 1] ?? x.shape.length - 1;
      const pre = sizeOf(x.shape.slice(0, first));
      const red = axes.length === 0 ? 1 : sizeOf(x.shape.slice(first, last + 1));
      const post = sizeOf(x.shape.slice(last + 1));
      if (red === 0 && op !== 0) return undefined; // empty max/min/mean: tfjs decides
      const outShape = keepDims
        ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x.shape.filter((_, i) => !axes.includes(i));
      const out = new Float32Array(pre * post);
      if (out.length > 0) n.reduce(op, values(backend, x), out, pre, red, post);
      return backend.makeTensorInfo(outShape, 'float32', out);
    },
  };
}

export const reduceKernels: NativeKernelConfig[] = Object.entries(REDUCE).map(([k, op]) =>
  reduceKernel(k, op),
);

/** Softmax over the last axis (the only axis tfjs's cpu kernel supports). */
export const softmaxKernel: NativeKernelConfig = {
  kernelName: 'Softmax',
  kernelFunc: ({ inputs, backend, attrs }, n) => {
    const x = inputs.logits;
    if (!x || !isF32(x) || x.shape.length === 0) return undefined;
    const dim = attrs.dim as number;
    if (dim !== -1 && dim !== x.shape.length - 1) return undefined;
    const cols = x.shape[x.shape.length - 1] as number;
    const total = sizeOf(x.shape);
    const out = new Float32Array(total);
    if (total > 0) n.softmax(values(backend, x), out, total / cols, cols, false);
    return backend.makeTensorInfo(x.shape, 'float32', out);
  },
};
