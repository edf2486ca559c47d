import { broadcastShape, broadcastStrides, collapse } from './broadcast.ts';
import type { NativeKernelConfig } from './util.ts';
import { isF32, sizeOf, values } from './util.ts';

/** Op codes of the native `binary` function (kernels.cc BinOp). */
const BINARY: Record<string, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
};

/** Op codes of the native `unary` function (kernels.cc UnOp). */
const UNARY: Record<string, number> = {
  Exp: 0,
  Log: 1,
  Sqrt: 2,
  Rsqrt: 3,
  Neg: 4,
  Square: 5,
  Relu: 6,
  Sigmoid: 7,
  Tanh: 8,
  Abs: 9,
  LeakyRelu: 10,
  Relu6: 11,
  Step: 12,
};

function binaryKernel(kernelName: string, op: number): NativeKernelConfig {
  return {
    kernelName,
    kernelFunc: ({ inputs, backend }, n) => {
      const { a, b } = inputs;
      if (!a || !b || !isF32(a, b)) return undefined;
      const shape = broadcastShape(a.shape, b.shape);
      if (shape === undefined) return undefined; // tfjs raises its own error
      const out = new Float32Array(sizeOf(shape));
      if (out.length > 0) {
        const c = collapse(shape, broadcastStrides(a.shape, shape), broadcastStrides(b.shape, shape));
        n.binary(op, values(backend, a), values(backend, b), out, c.shape, c.sa, c.sb);
      }
      return backend.makeTensorInfo(shape, 'float32', out);
    },
  };
}

function unaryKernel(kernelName: string, op: number): NativeKernelConfig {
  return {
    kernelName,
    kernelFunc: ({ inputs, backend, attrs }, n) => {
      const x = inputs.x;
      if (!x || !isF32(x)) return undefined;
      const out = new Float32Array(sizeOf(x.shape));
      const alpha = (attrs?.alpha as number | undefined) ?? (kernelName === 'Step' ? 0 : 0.2);
      n.unary(op, values(backend, x), out, alpha);
      return backend.makeTensorInfo(x.shape, 'float32', out);
    },
  };
}

export const binaryKernels: NativeKernelConfig[] = Object.entries(BINARY).map(([k, op]) =>
  binaryKernel(k, op),
);
export const unaryKernels: NativeKernelConfig[] = Object.entries(UNARY).map(([k, op]) => unaryKernel(k, op));
