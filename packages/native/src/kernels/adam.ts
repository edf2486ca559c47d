import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor, NamedVariableMap } from '@tensorflow/tfjs-core/dist/tensor_types.js';
import { addon, nativeAvailable } from '../addon.ts';
import type { CpuBackend } from './util.ts';

interface Slot {
  m: Float32Array;
  v: Float32Array;
}

/**
 * tf.train.adam with a fused native update: on tfjs's cpu backend each variable is updated in place
 * in one pass (m, v, bias correction, step) instead of about twelve tfjs ops that each allocate a
 * tensor of the variable's size. Same formula and hyper-parameters as tf.AdamOptimizer (epsilon
 * defaults to the backend's, 1e-7); on any other backend, or when the addon is missing, it is
 * tf.AdamOptimizer. Moments live in Float32Arrays owned by the optimiser (getWeights/setWeights
 * are tfjs's and do not see them: checkpoint the parameters, not this state).
 */
export class NativeAdamOptimizer extends tf.AdamOptimizer {
  readonly #slots = new Map<string, Slot>();
  #t = 0;

  override applyGradients(variableGradients: NamedVariableMap | NamedTensor[]): void {
    if (tf.getBackend() !== 'cpu' || !nativeAvailable()) {
      super.applyGradients(variableGradients);
      return;
    }
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({
          name,
          tensor: (variableGradients as NamedVariableMap)[name] as tf.Tensor,
        }));
    const be = tf.backend() as unknown as CpuBackend & { refCount(id: object): number };
    const n = addon();
    this.#t++;
    for (const { name, tensor: grad } of list) {
      const variable = tf.engine().registeredVariables[name];
      if (!variable || grad == null || variable.dtype !== 'float32') continue;
      // The variable must own its storage before it is written in place (tf.variable(x) shares x's).
      if (be.refCount(variable.dataId) > 1)
        variable.assign(tf.tensor(variable.dataSync().slice(), variable.shape));
      const p = be.data.get(variable.dataId).values as Float32Array;
      let slot = this.#slots.get(name);
      if (!slot) {
        slot = { m: new Float32Array(p.length), v: new Float32Array(p.length) };
        this.#slots.set(name, slot);
      }
      const gv = be.data.get(grad.dataId).values;
      const g = gv instanceof Float32Array ? gv : Float32Array.from(gv as ArrayLike<number>);
      n.adam(p, slot.m, slot.v, g, this.learningRate, this.beta1, this.beta2, this.epsilon, this.#t);
    }
    this.incrementIterations();
  }
}

/** `tf.train.adam` with the native update (see NativeAdamOptimizer). */
export function nativeAdam(
  learningRate = 0.001,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon?: number,
): NativeAdamOptimizer {
  return new NativeAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
