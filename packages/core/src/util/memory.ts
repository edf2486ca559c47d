import { freemem } from 'node:os';
import { EmbrecError } from '../errors.ts';

/**
 * Size limits for what a config or a data file implies (issue 10 item 8): `retrieve.k: 1e12` or an
 * item id of 2147483646 made V8 abort out of memory. Code that allocates a dense array whose size
 * comes from config or data checks it here first and fails with the number and the limit.
 */

/** A size that config or data asked for is beyond what makes sense or what fits. */
export class LimitError extends EmbrecError {
  constructor(message: string) {
    super('E_LIMIT', message);
    this.name = 'LimitError';
  }
}

/** Largest typed array V8 allocates (elements), whatever the memory. */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32 - 1;

/** Bytes, readably: 1.5 GB, 12.0 MB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

/**
 * Checks that `elements` values of `bytesPer` bytes can be allocated: at most
 * MAX_TYPED_ARRAY_LENGTH elements and at most the free memory (os.freemem, or `free` in tests).
 * `what` names the array and where its size came from ("top-K lists: 5 users × k = 1e12").
 */
export function ensureAllocatable(
  what: string,
  elements: number,
  bytesPer: number,
  opts: { free?: number; hint?: string } = {},
): void {
  const hint = opts.hint ? `; ${opts.hint}` : '';
  if (!Number.isFinite(elements) || elements < 0)
    throw new LimitError(`${what}: the size ${elements} is not a finite count${hint}`);
  if (elements > MAX_TYPED_ARRAY_LENGTH)
    throw new LimitError(
      `${what}: ${elements} values, more than the ${MAX_TYPED_ARRAY_LENGTH} one array can hold${hint}`,
    );
  const bytes = elements * bytesPer;
  const free = opts.free ?? freemem();
  if (bytes > free)
    throw new LimitError(
      `${what}: needs ${formatBytes(bytes)}, more than the ${formatBytes(free)} of free memory${hint}`,
    );
}
