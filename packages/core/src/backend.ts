import { BACKENDS, type BackendName } from './config/sections.ts';
import { UsageError } from './errors.ts';
import type { Logger } from './util/log.ts';

/** Which tensor backend runs the models (one list: config/sections.ts's BACKENDS). */
export type { BackendName };

export const BACKEND_NAMES: readonly BackendName[] = BACKENDS;

export interface BackendInfo {
  /** The backend that is active: 'tensorflow', 'native' or 'cpu'. */
  name: string;
  /** One line for logs: library, kernels, threads. */
  detail: string;
}

export interface SetupBackendOptions {
  /** Threads of the native BLAS/OpenMP pools (native), or of tfjs-node's intra-op pool (tensorflow). */
  threads?: number;
  /** Where 'auto' reports that it fell back to the pure-JS cpu backend (default: process warning). */
  log?: Logger;
}

// Modules imported by name at run time so that core depends on neither: both are optional.
const TFJS_NODE = '@tensorflow/tfjs-node';
const NATIVE = '@embrec/native';

interface NativeModule {
  setupNativeBackend(opts: { threads?: number }): Promise<{ name: string; detail: string }>;
  teardownNativeBackend(): void;
  ensureGradients(): Promise<string>;
}

let current: (BackendInfo & { requested: BackendName; threads: number | undefined }) | undefined;

async function importOptional<T>(specifier: string): Promise<T> {
  return (await import(/* @vite-ignore */ specifier)) as T;
}

async function tf(): Promise<typeof import('@tensorflow/tfjs-core')> {
  return await import('@tensorflow/tfjs-core');
}

async function setupTensorflow(opts: SetupBackendOptions): Promise<BackendInfo> {
  if (opts.threads !== undefined) process.env.TF_NUM_INTRAOP_THREADS ??= String(opts.threads);
  try {
    await importOptional<unknown>(TFJS_NODE);
  } catch (e) {
    throw new UsageError(
      `backend "tensorflow" needs ${TFJS_NODE}, which could not be loaded (${(e as Error).message}). ` +
        'Install it with `npm install @tensorflow/tfjs-node` (its install downloads libtensorflow, so it ' +
        'needs network access), or use backend: native (OpenBLAS kernels) or cpu.',
      { cause: e },
    );
  }
  const t = await tf();
  if (!(await t.setBackend('tensorflow'))) {
    throw new UsageError(`backend "tensorflow": ${TFJS_NODE} loaded but its backend did not initialise`);
  }
  await t.ready();
  return { name: 'tensorflow', detail: `${TFJS_NODE} (libtensorflow)` };
}

async function loadNative(): Promise<NativeModule> {
  try {
    return await importOptional<NativeModule>(NATIVE);
  } catch (e) {
    throw new UsageError(
      `backend "native" needs ${NATIVE}, which could not be loaded (${(e as Error).message}).`,
      { cause: e },
    );
  }
}

async function setupNative(opts: SetupBackendOptions): Promise<BackendInfo> {
  const native = await loadNative();
  try {
    const r = await native.setupNativeBackend(opts.threads !== undefined ? { threads: opts.threads } : {});
    return { name: 'native', detail: r.detail };
  } catch (e) {
    throw new UsageError(`backend "native" is not available: ${(e as Error).message}`, { cause: e });
  }
}

async function setupCpu(): Promise<BackendInfo> {
  // Remove the native overrides if an earlier call installed them: 'cpu' means pure tfjs.
  // It also registers tfjs's gradients, which tfjs-core's Node entry does not do.
  let native: NativeModule | undefined;
  try {
    native = await importOptional<NativeModule>(NATIVE);
  } catch {
    // @embrec/native not installed: nothing to remove.
  }
  native?.teardownNativeBackend();
  if (native) await native.ensureGradients();
  else await import('@tensorflow/tfjs-core/dist/register_all_gradients.js').catch(() => undefined);
  await import('@tensorflow/tfjs-backend-cpu');
  const t = await tf();
  if (!(await t.setBackend('cpu'))) throw new UsageError('backend "cpu": tfjs could not initialise it');
  await t.ready();
  return { name: 'cpu', detail: 'tfjs cpu backend (pure JavaScript kernels)' };
}

/**
 * Selects the tensor backend for the whole process.
 * - 'tensorflow': @tensorflow/tfjs-node (libtensorflow); a clear error when it is not installed.
 * - 'native': tfjs's 'cpu' backend with @embrec/native's OpenBLAS kernels over the hot kernels.
 * - 'cpu': tfjs's 'cpu' backend, pure JavaScript (slow: reference and fallback).
 * - 'auto': tensorflow if it loads, else native, else cpu with a warning.
 * Idempotent: calling it again with the same arguments does nothing.
 */
export async function setupBackend(name: BackendName, opts: SetupBackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new UsageError(`unknown backend "${String(name)}": expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  if (current && current.requested === name && current.threads === opts.threads) {
    const t = await tf();
    if (t.getBackend() === (current.name === 'native' ? 'cpu' : current.name)) {
      return { name: current.name, detail: current.detail };
    }
  }
  let info: BackendInfo;
  if (name === 'tensorflow') info = await setupTensorflow(opts);
  else if (name === 'native') info = await setupNative(opts);
  else if (name === 'cpu') info = await setupCpu();
  else {
    const errors: string[] = [];
    info = await setupTensorflow(opts).catch(async (e1: Error) => {
      errors.push(`tensorflow: ${e1.message}`);
      return await setupNative(opts).catch(async (e2: Error) => {
        errors.push(`native: ${e2.message}`);
        const msg =
          'backend "auto": neither tensorflow nor native is available, using the pure-JS cpu ' +
          `backend (very slow for training). ${errors.join(' | ')}`;
        if (opts.log) opts.log.warn(msg);
        else process.emitWarning(msg, { code: 'EMBREC_BACKEND_CPU' });
        return await setupCpu();
      });
    });
  }
  current = { ...info, requested: name, threads: opts.threads };
  await quietCpuBanner();
  return { name: info.name, detail: info.detail };
}

/**
 * tfjs's cpu backend prints "Hi, looks like you are running TensorFlow.js in Node.js ... install
 * tfjs-node" on its first tensor. We chose the backend on purpose (tfjs-node cannot install here, and
 * 'native' is as fast), so the banner would only mislead: mark the backend as already used.
 */
async function quietCpuBanner(): Promise<void> {
  const t = await tf();
  const b = t.getBackend() === 'cpu' ? (t.backend() as unknown as { firstUse?: boolean }) : undefined;
  if (b && 'firstUse' in b) b.firstUse = false;
}
