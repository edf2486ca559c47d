import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The raw addon. Typed wrappers live next to this file; use them, not this object. */
// biome-ignore lint/suspicious/noExplicitAny: the addon's shape is described by the typed wrappers
export type RawAddon = Record<string, any>;

let cached: RawAddon | undefined;
let loadError: Error | undefined;

/** Loads build/Release/embrec_native.node once; throws a clear error when it was not built. */
export function addon(): RawAddon {
  if (cached) return cached;
  if (loadError) throw loadError;
  const root = dirname(dirname(fileURLToPath(import.meta.url)));
  const path = join(root, 'build', 'Release', 'embrec_native.node');
  try {
    cached = createRequire(import.meta.url)(path) as RawAddon;
    return cached;
  } catch (e) {
    loadError = new Error(
      `the embrec native addon is not available (${path}): ${(e as Error).message}. ` +
        'Build it with `npm rebuild @embrec/native` after installing libopenblas-dev and libfaiss-dev.',
      { cause: e },
    );
    throw loadError;
  }
}

/** True when the addon loads. */
export function nativeAvailable(): boolean {
  try {
    addon();
    return true;
  } catch {
    return false;
  }
}
