import { addon } from './addon.ts';

/** What {@link tuneAllocator} did. */
export interface AllocatorTuning {
  /** Whether glibc took the settings. */
  readonly applied: boolean;
  /** Blocks at least this large are mapped from the kernel (and unmapped when freed); bytes. */
  readonly mmapThreshold?: number;
  /** Free memory at the top of the heap above this is given back to the kernel; bytes. */
  readonly trimThreshold?: number;
  /** Why nothing was applied. */
  readonly reason?: string;
}

const MiB = 1024 * 1024;
let done: AllocatorTuning | undefined;

/**
 * Keeps the large blocks a training step frees in the process heap for the next step instead of
 * handing them back to the kernel: glibc's `mallopt` with an mmap threshold of 512 MiB (32 MiB
 * where glibc refuses more) and a trim threshold of 1 GiB. Node allocates every typed array with
 * calloc; by default glibc maps a block of tens of MB afresh from the kernel (zeroed page by page on
 * first touch) and unmaps it when freed, which on a wide two-tower step (LastFM at width 512: several
 * [17,388 × 512] gradient and row buffers a step) cost about 18 % of the step. Results do not change
 * (only where memory comes from); the process keeps up to 1 GiB of freed memory for reuse.
 *
 * Applied once per process (setupNativeBackend calls it); not applied when the environment (`env`) already
 * sets glibc's malloc options (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, `GLIBC_TUNABLES`
 * with `glibc.malloc.`) or `EMBREC_MALLOC=default`, or where the C library is not glibc.
 */
export function tuneAllocator(env: NodeJS.ProcessEnv = process.env): AllocatorTuning {
  const skip = skipReason(env);
  if (skip) return { applied: false, reason: skip };
  done ??= apply();
  return done;
}

function skipReason(env: NodeJS.ProcessEnv): string | undefined {
  if (env.EMBREC_MALLOC === 'default') return 'EMBREC_MALLOC=default';
  if (
    env.MALLOC_MMAP_THRESHOLD_ !== undefined ||
    env.MALLOC_TRIM_THRESHOLD_ !== undefined ||
    /glibc\.malloc\./.test(env.GLIBC_TUNABLES ?? '')
  )
    return "the environment sets glibc's malloc options";
  return undefined;
}

function apply(): AllocatorTuning {
  const trimThreshold = 1024 * MiB;
  for (const mmapThreshold of [512 * MiB, 32 * MiB]) {
    const [mm, trim] = addon().tuneAllocator(mmapThreshold, trimThreshold) as [boolean, boolean];
    if (mm && trim) return { applied: true, mmapThreshold, trimThreshold };
  }
  return { applied: false, reason: 'the C library is not glibc or refused the settings' };
}
