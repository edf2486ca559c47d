import { UsageError } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Trainable parameters kept as typed arrays, so optimizer state is exact, checkpointable and
 * sparse for embedding tables (only the rows a batch touched are read and updated).
 * - A table is an embedding matrix [rows, dim] living in JS memory; a batch gathers its rows.
 * - A dense parameter is a tf.Variable (MLP weights, a learnable temperature) mirrored in `data`.
 */
export interface TableParam {
  readonly kind: 'table';
  readonly name: string;
  readonly rows: number;
  readonly dim: number;
  readonly data: Float32Array; // [rows, dim]
  m?: Float32Array;
  v?: Float32Array;
}

export interface DenseParam {
  readonly kind: 'dense';
  readonly name: string;
  readonly shape: readonly number[];
  readonly variable: tf.Variable;
  readonly data: Float32Array;
  m?: Float32Array;
  v?: Float32Array;
}

export type Param = TableParam | DenseParam;

export class ParamStore {
  readonly params = new Map<string, Param>();

  table(name: string, rows: number, dim: number, init: Float32Array): TableParam {
    if (init.length !== rows * dim)
      throw new UsageError(`table ${name}: init has ${init.length} values, expected ${rows * dim}`);
    const p: TableParam = { kind: 'table', name, rows, dim, data: init };
    this.#add(p);
    return p;
  }

  dense(name: string, shape: readonly number[], init: Float32Array): DenseParam {
    const t = tf.tensor(init, [...shape]);
    const variable = tf.variable(t, true);
    t.dispose();
    const p: DenseParam = { kind: 'dense', name, shape, variable, data: Float32Array.from(init) };
    this.#add(p);
    return p;
  }

  /** Adopts a variable owned by someone else (a loss's temperature); dispose() leaves it alone. */
  adopt(name: string, variable: tf.Variable): DenseParam {
    const p: DenseParam = {
      kind: 'dense',
      name,
      shape: variable.shape,
      variable,
      data: Float32Array.from(variable.dataSync() as Float32Array),
    };
    this.#adopted.add(name);
    this.#add(p);
    return p;
  }

  readonly #adopted = new Set<string>();

  #add(p: Param): void {
    if (this.params.has(p.name)) throw new UsageError(`parameter ${p.name} is defined twice`);
    this.params.set(p.name, p);
  }

  denseParams(): DenseParam[] {
    return [...this.params.values()].filter((p): p is DenseParam => p.kind === 'dense');
  }

  /** Copies `data` of dense parameters into their variables (after an update or a load). */
  sync(p: DenseParam): void {
    tf.tidy(() => p.variable.assign(tf.tensor(p.data, [...p.shape])));
  }

  /** A copy of every parameter's values (early-stopping snapshot). */
  snapshot(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [k, p] of this.params) out.set(k, Float32Array.from(p.data));
    return out;
  }

  restore(values: ReadonlyMap<string, Float32Array>, what = 'snapshot'): void {
    for (const [k, p] of this.params) {
      const v = values.get(k);
      if (!v) continue;
      if (v.length !== p.data.length) {
        throw new UsageError(
          `${what}: parameter ${k} has ${v.length} values, the model expects ${p.data.length}`,
        );
      }
      p.data.set(v);
      if (p.kind === 'dense') this.sync(p);
    }
  }

  dispose(): void {
    for (const p of this.params.values())
      if (p.kind === 'dense' && !this.#adopted.has(p.name)) p.variable.dispose();
    this.params.clear();
  }
}
