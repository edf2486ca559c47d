import { backend_util, util } from '@tensorflow/tfjs-core';
import type { NativeKernelConfig } from './util.ts';
import { int32Values, isF32, sizeOf, values } from './util.ts';

/** GatherV2 for float32 and int32 tensors, any axis and batchDims (memcpy of slices). */
export const gatherV2Kernel: NativeKernelConfig = {
  kernelName: 'GatherV2',
  kernelFunc: ({ inputs, backend, attrs }, n) => {
    const { x, indices } = inputs;
    if (!x || !indices || indices.dtype !== 'int32') return undefined;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return undefined;
    const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    const batchDims = (attrs.batchDims as number | undefined) ?? 0;
    const info = backend_util.segment_util.collectGatherOpShapeInfo(x, indices, axis, batchDims);
    const idx = int32Values(backend, indices);
    const nIdx = info.batchSize > 0 ? sizeOf(indices.shape) / info.batchSize : 0;
    const src = x.dtype === 'float32' ? values(backend, x) : int32Values(backend, x);
    const out =
      x.dtype === 'float32'
        ? new Float32Array(sizeOf(info.outputShape))
        : new Int32Array(sizeOf(info.outputShape));
    const axisDim = x.shape[axis] as number;
    const bad = n.gather(
      src,
      idx,
      out,
      info.batchSize,
      info.outerSize,
      info.dimSize,
      info.sliceSize,
      nIdx,
    ) as number;
    if (bad >= 0) {
      // Same message as tfjs's cpu kernel.
      throw new Error(`GatherV2: the index value ${idx[bad]} is not in [0, ${axisDim - 1}]`);
    }
    return backend.makeTensorInfo(info.outputShape, x.dtype, out);
  },
};

/** UnsortedSegmentSum of float32 x with rank-1 segment ids (the gradient of an embedding gather). */
export const unsortedSegmentSumKernel: NativeKernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  kernelFunc: ({ inputs, backend, attrs }, n) => {
    const { x, segmentIds } = inputs;
    if (!x || !segmentIds || !isF32(x) || segmentIds.dtype !== 'int32') return undefined;
    if (segmentIds.shape.length !== 1 || x.shape.length < 1 || segmentIds.shape[0] !== x.shape[0]) {
      return undefined;
    }
    const numSegments = attrs.numSegments as number;
    const cols = sizeOf(x.shape.slice(1));
    const outShape = [numSegments, ...x.shape.slice(1)];
    const out = new Float32Array(numSegments * cols);
    n.segmentSum(values(backend, x), int32Values(backend, segmentIds), numSegments, cols, out);
    return backend.makeTensorInfo(outShape, 'float32', out);
  },
};
