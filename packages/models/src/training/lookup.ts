import { gatherRows, nativeAvailable } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import type { TableParam } from './params.ts';

interface TableRows {
  readonly table: TableParam;
  /** Each table row's index among the batch's unique rows (−1: not requested). */
  readonly slot: Int32Array;
  readonly rows: number[];
  /** Some requested id was outside the table (its row stays zero). */
  outside?: boolean;
  /** `rows` as an Int32Array (made once by materialize, reused by entries). */
  ids?: Int32Array;
  tensor?: tf.Tensor2D;
}

/**
 * The embedding rows one batch needs. Plan phase: `request(table, ids)` records ids (deduplicated
 * per table) and returns a handle. `materialize()` copies the unique rows into one tensor per table
 * (a tf.Variable when training, so gradients arrive per unique row). Forward phase: `get(handle)`
 * gathers [ids.length, dim] from it.
 */
export class BatchLookup {
  readonly #tables = new Map<string, TableRows>();
  readonly #requests: { t: TableRows; pos: Int32Array }[] = [];
  #vars: tf.Variable[] = [];
  #native: boolean | undefined;

  constructor(readonly trainable: boolean) {}

  request(table: TableParam, ids: Int32Array): number {
    let t = this.#tables.get(table.name);
    if (!t) {
      t = { table, slot: new Int32Array(table.rows).fill(-1), rows: [] };
      this.#tables.set(table.name, t);
    }
    const pos = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const inTable = id >= 0 && id < table.rows;
      let s = inTable ? t.slot[id]! : -1;
      if (s < 0) {
        // a row outside the table gets a slot of its own each time: materialize leaves it zero
        s = t.rows.length;
        if (inTable) t.slot[id] = s;
        else t.outside = true;
        t.rows.push(id);
      }
      pos[i] = s;
    }
    this.#requests.push({ t, pos });
    return this.#requests.length - 1;
  }

  materialize(): void {
    for (const t of this.#tables.values()) {
      const d = t.table.dim;
      let buf: Float32Array;
      this.#native ??= nativeAvailable();
      t.ids = Int32Array.from(t.rows);
      if (!t.outside && t.rows.length > 0 && this.#native) {
        buf = gatherRows(t.table.data, d, t.ids);
      } else {
        buf = new Float32Array(Math.max(t.rows.length, 1) * d);
        for (let r = 0; r < t.rows.length; r++)
          buf.set(t.table.data.subarray(t.rows[r]! * d, (t.rows[r]! + 1) * d), r * d);
      }
      const x = tf.tensor2d(buf, [Math.max(t.rows.length, 1), d]);
      if (this.trainable) {
        const v = tf.variable(x, true);
        x.dispose();
        this.#vars.push(v);
        t.tensor = v as unknown as tf.Tensor2D;
      } else t.tensor = x;
    }
  }

  /** [ids.length, dim] rows of a request (call inside the forward pass). */
  get(handle: number): tf.Tensor2D {
    const r = this.#requests[handle]!;
    return tf.gather(r.t.tensor!, tf.tensor1d(r.pos, 'int32'));
  }

  /**
   * A request's whole table of unique rows [unique, dim] (the variable when training, so an op on it
   * sends gradients to those rows) and each requested id's row in it (call after `materialize`).
   */
  rows(handle: number): { tensor: tf.Tensor2D; pos: Int32Array } {
    const r = this.#requests[handle]!;
    return { tensor: r.t.tensor!, pos: r.pos };
  }

  variables(): tf.Variable[] {
    return this.#vars;
  }

  /** Tables with their unique rows and the variable holding them (training). */
  entries(): { table: TableParam; rows: Int32Array; variable: tf.Variable }[] {
    const out: { table: TableParam; rows: Int32Array; variable: tf.Variable }[] = [];
    for (const t of this.#tables.values()) {
      if (t.rows.length > 0 && t.tensor)
        out.push({
          table: t.table,
          rows: t.ids ?? Int32Array.from(t.rows),
          variable: t.tensor as unknown as tf.Variable,
        });
    }
    return out;
  }

  dispose(): void {
    for (const t of this.#tables.values()) t.tensor?.dispose();
    this.#tables.clear();
    this.#vars = [];
  }
}
