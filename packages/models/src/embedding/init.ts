import { ensureAllocatable, type Rng } from '@embrec/core';

/** Bytes per trained float, estimated: the value, its gradient and Adam's two moments. */
const TRAINED_BYTES = 16;

/** N(0, std²) values from a seeded stream (deterministic initialisation). */
export function normalInit(n: number, std: number, rng: Rng): Float32Array {
  // sizes come from config (dim) × data (rows): check before allocating (issue 10 item 8)
  ensureAllocatable('model: an embedding table (rows × dim)', n, TRAINED_BYTES, { hint: 'lower model.dim' });
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

/** Glorot/Xavier uniform for a [fanIn, fanOut] weight. */
export function glorotInit(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  ensureAllocatable(`model: a dense layer [${fanIn}, ${fanOut}]`, fanIn * fanOut, TRAINED_BYTES, {
    hint: 'lower the layer sizes',
  });
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() * 2 - 1) * a;
  return out;
}
