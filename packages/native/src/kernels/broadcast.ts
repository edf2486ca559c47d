/** Broadcast helpers shared by the element-wise and matmul kernels (numpy rules). */

/** The broadcast shape of a and b, or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = new Array(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides of `shape` (row-major) seen through the broadcast to `out`: 0 on broadcast dims. */
export function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const r = out.length;
  const strides: number[] = new Array(r).fill(0);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    const d = shape[shape.length - r + i] ?? 1;
    strides[i] = d === 1 && (out[i] ?? 1) !== 1 ? 0 : s;
    s *= d;
  }
  return strides;
}

/**
 * Drops size-1 dims and merges neighbours that are contiguous in both inputs, so that the native
 * loop runs long inner rows. Always returns rank >= 1.
 */
export function collapse(
  shape: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
): { shape: Int32Array; sa: Int32Array; sb: Int32Array } {
  const s: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number;
    if (d === 1) continue;
    const ai = sa[i] as number;
    const bi = sb[i] as number;
    const k = s.length - 1;
    if (k >= 0 && (a[k] as number) === ai * d && (b[k] as number) === bi * d) {
      s[k] = (s[k] as number) * d;
      a[k] = ai;
      b[k] = bi;
    } else {
      s.push(d);
      a.push(ai);
      b.push(bi);
    }
  }
  if (s.length === 0) return { shape: Int32Array.of(1), sa: Int32Array.of(0), sb: Int32Array.of(0) };
  return { shape: Int32Array.from(s), sa: Int32Array.from(a), sb: Int32Array.from(b) };
}
