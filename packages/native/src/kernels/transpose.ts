import type { NativeKernelConfig } from './util.ts';
import { int32Values, sizeOf, values } from './util.ts';

/**
 * Transpose of float32/int32 tensors when the permutation is the identity once size-1 dims are
 * dropped (a copy: tfjs's gather gradient transposes with an identity permutation) or swaps the two
 * remaining dims (tiled native transpose). Other permutations go to tfjs.
 */
export const transposeKernel: NativeKernelConfig = {
  kernelName: 'Transpose',
  kernelFunc: ({ inputs, backend, attrs }, n) => {
    const x = inputs.x;
    if (!x || (x.dtype !== 'float32' && x.dtype !== 'int32')) return undefined;
    const perm = attrs.perm as number[];
    const outShape = perm.map((p) => x.shape[p] as number);
    // The order in which the non-trivial input dims appear in the output.
    const order = perm.filter((p) => (x.shape[p] as number) !== 1);
    const src = x.dtype === 'float32' ? values(backend, x) : int32Values(backend, x);
    const total = sizeOf(x.shape);
    const out = x.dtype === 'float32' ? new Float32Array(total) : new Int32Array(total);
    const sorted = order.every((p, i) => i === 0 || p > (order[i - 1] as number));
    if (sorted) {
      out.set(src.subarray(0, total));
    } else if (order.length === 2) {
      const [a, b] = order as [number, number]; // b < a: the two dims swap
      n.transpose2d(src, out, x.shape[b] as number, x.shape[a] as number);
    } else {
      return undefined;
    }
    return backend.makeTensorInfo(outShape, x.dtype, out);
  },
};
