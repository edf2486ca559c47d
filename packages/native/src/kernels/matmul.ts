import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { RawAddon } from '../addon.ts';
import { broadcastShape, broadcastStrides, collapse } from './broadcast.ts';
import type { KernelArgs, NativeKernelConfig } from './util.ts';
import { isF32, sizeOf, values } from './util.ts';

const ACT: Record<string, number> = { relu: 6, sigmoid: 7, leakyrelu: 10, relu6: 11 };

/**
 * out = op(a) · op(b) with numpy broadcasting of the leading (batch) dims; float32 only.
 * Returns the output shape and values, or undefined when the native path does not apply.
 */
function matmulValues(args: KernelArgs, n: RawAddon): { shape: number[]; out: Float32Array } | undefined {
  const { a, b } = args.inputs;
  if (!a || !b || !isF32(a, b) || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ta = args.attrs.transposeA === true;
  const tb = args.attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const innerA = (ta ? a.shape[ra - 2] : a.shape[ra - 1]) as number;
  const innerB = (tb ? b.shape[rb - 1] : b.shape[rb - 2]) as number;
  const M = (ta ? a.shape[ra - 1] : a.shape[ra - 2]) as number;
  const N = (tb ? b.shape[rb - 2] : b.shape[rb - 1]) as number;
  if (innerA !== innerB) {
    throw new Error(
      `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${ta} and transposeB=${tb} must match.`,
    );
  }
  const K = innerA;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batchOut = broadcastShape(batchA, batchB);
  if (batchOut === undefined) return undefined; // tfjs raises its own error
  const batch = sizeOf(batchOut);
  const out = new Float32Array(batch * M * N);
  const A = values(args.backend, a);
  const B = values(args.backend, b);
  const lda = ta ? M : K;
  const ldb = tb ? K : N;
  if (batch === 1) {
    n.sgemm(ta, tb, M, N, K, 1, A, 0, lda, B, 0, ldb, 0, out, 0, N);
  } else {
    // Offsets of each output batch in A and B: broadcast strides over the batch dims.
    const sa = broadcastStrides(batchA, batchOut);
    const sb = broadcastStrides(batchB, batchOut);
    const c = collapse(batchOut, sa, sb);
    const aOff = new Int32Array(batch);
    const bOff = new Int32Array(batch);
    const cOff = new Int32Array(batch);
    const r = c.shape.length;
    const ctr = new Int32Array(r);
    let ao = 0;
    let bo = 0;
    for (let i = 0; i < batch; i++) {
      aOff[i] = ao * M * K;
      bOff[i] = bo * K * N;
      cOff[i] = i * M * N;
      for (let d = r - 1; d >= 0; d--) {
        ctr[d] = (ctr[d] as number) + 1;
        ao += c.sa[d] as number;
        bo += c.sb[d] as number;
        if ((ctr[d] as number) < (c.shape[d] as number)) break;
        ao -= (c.sa[d] as number) * (c.shape[d] as number);
        bo -= (c.sb[d] as number) * (c.shape[d] as number);
        ctr[d] = 0;
      }
    }
    n.sgemmBatched(ta, tb, M, N, K, 1, A, aOff, lda, B, bOff, ldb, 0, out, cOff, N);
  }
  return { shape: [...batchOut, M, N], out };
}

export const batchMatMulKernel: NativeKernelConfig = {
  kernelName: 'BatchMatMul',
  kernelFunc: (args, n) => {
    const r = matmulValues(args, n);
    return r && args.backend.makeTensorInfo(r.shape, 'float32', r.out);
  },
};

/** _FusedMatMul: matmul, then + bias (broadcast), then relu / relu6 / leakyrelu / sigmoid / linear. */
export const fusedMatMulKernel: NativeKernelConfig = {
  kernelName: '_FusedMatMul',
  kernelFunc: (args, n) => {
    const { bias } = args.inputs;
    const act = (args.attrs.activation as string | undefined) ?? 'linear';
    if (act !== 'linear' && ACT[act] === undefined) return undefined; // prelu, elu: tfjs
    if (bias && !isF32(bias)) return undefined;
    if (bias) {
      const os = outShapeOf(args);
      const bs = broadcastShape(bias.shape, os);
      if (!bs || bs.length !== os.length || bs.some((d, i) => d !== os[i])) return undefined;
    }
    const r = matmulValues(args, n);
    if (!r) return undefined;
    if (bias) addBiasInPlace(n, r.out, r.shape, values(args.backend, bias), bias.shape);
    if (act !== 'linear') {
      n.unary(ACT[act], r.out, r.out, (args.attrs.leakyreluAlpha as number | undefined) ?? 0.2);
    }
    return args.backend.makeTensorInfo(r.shape, 'float32', r.out);
  },
};

function outShapeOf(args: KernelArgs): number[] {
  const a = args.inputs.a as TensorInfo;
  const b = args.inputs.b as TensorInfo;
  const ta = args.attrs.transposeA === true;
  const tb = args.attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = (ta ? a.shape[ra - 1] : a.shape[ra - 2]) as number;
  const N = (tb ? b.shape[rb - 2] : b.shape[rb - 1]) as number;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)) ?? [];
  return [...batch, M, N];
}

function addBiasInPlace(
  n: RawAddon,
  out: Float32Array,
  shape: number[],
  bias: Float32Array,
  biasShape: number[],
): void {
  const s = broadcastShape(shape, biasShape);
  if (s === undefined || s.length !== shape.length || s.some((d, i) => d !== shape[i])) {
    throw new Error(`_FusedMatMul: bias of shape [${biasShape}] does not broadcast to [${shape}]`);
  }
  const c = collapse(shape, broadcastStrides(shape, shape), broadcastStrides(biasShape, shape));
  n.binary(0, out, bias, out, c.shape, c.sa, c.sb);
}
