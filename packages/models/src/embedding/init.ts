import type { Rng } from '@embrec/core';

/** N(0, std²) values from a seeded stream (deterministic initialisation). */
export function normalInit(n: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * std;
  return out;
}

/** Glorot/Xavier uniform for a [fanIn, fanOut] weight. */
export function glorotInit(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() * 2 - 1) * a;
  return out;
}
