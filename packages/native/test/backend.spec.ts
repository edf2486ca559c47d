// Backend selection (core's setupBackend) with the native package present.
import { createRequire } from 'node:module';
import { setupBackend, UsageError } from '@embrec/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { nativeKernelNames } from '../src/kernels/register.ts';

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('setupBackend', () => {
  it("'native' runs tfjs's cpu backend with the native kernels, idempotently", async () => {
    const a = await setupBackend('native', { threads: 1 });
    expect(a.name).toBe('native');
    expect(a.detail).toMatch(/native kernels/);
    expect(tf.getBackend()).toBe('cpu');
    expect(nativeKernelNames()).toEqual(expect.arrayContaining(['BatchMatMul', 'GatherV2']));
    const b = await setupBackend('native', { threads: 1 });
    expect(b).toEqual(a);
    // gradients are registered
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
  });

  it("'cpu' removes the overrides again", async () => {
    await setupBackend('native');
    const r = await setupBackend('cpu');
    expect(r.name).toBe('cpu');
    expect(nativeKernelNames()).toEqual([]);
    expect(tf.getBackend()).toBe('cpu');
    const c = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(c.dataSync())).toEqual([11]);
  });

  it.skipIf(tfjsNodeInstalled())("'tensorflow' without tfjs-node is a clear UsageError", async () => {
    const p = setupBackend('tensorflow');
    await expect(p).rejects.toBeInstanceOf(UsageError);
    await expect(setupBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node/);
  });

  it.skipIf(tfjsNodeInstalled())("'auto' falls back to native when tfjs-node is missing", async () => {
    const r = await setupBackend('auto');
    expect(r.name).toBe('native');
    expect(nativeKernelNames()).toContain('BatchMatMul');
  });

  it('rejects an unknown name', async () => {
    await expect(setupBackend('gpu' as never)).rejects.toThrow(/unknown backend "gpu"/);
  });
});

describe('tuneAllocator', () => {
  const glibc = Boolean(
    (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime,
  );
  it("keeps large freed blocks in the heap on glibc (setupNativeBackend applies it), and honours the environment's choice", async () => {
    const { setupNativeBackend } = await import('../src/backend.ts');
    const { tuneAllocator } = await import('../src/allocator.ts');
    const info = await setupNativeBackend({ threads: 1 });
    if (glibc || process.env.CI) {
      expect(info.allocator).toEqual({ applied: true, mmapThreshold: 512 * 2 ** 20, trimThreshold: 2 ** 30 });
    } else expect(info.allocator.applied).toBe(false);
    expect(tuneAllocator({ EMBREC_MALLOC: 'default' })).toEqual({
      applied: false,
      reason: 'EMBREC_MALLOC=default',
    });
    expect(tuneAllocator({ MALLOC_TRIM_THRESHOLD_: '100000' }).reason).toMatch(
      /environment sets glibc's malloc/,
    );
    expect(tuneAllocator({ GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=1' }).applied).toBe(false);
    expect(tuneAllocator({ GLIBC_TUNABLES: 'glibc.cpu.x86_ibt=on' })).toEqual(info.allocator);
    // memory still works as before: a large block freed and allocated again
    for (let i = 0; i < 3; i++) expect(new Float32Array(20 * 2 ** 20).fill(1)[123]).toBe(1);
  });
});
