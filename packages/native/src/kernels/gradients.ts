import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GradConfig, Tensor } from '@tensorflow/tfjs-core';
import {
  getGradient,
  registerGradient,
  reshape,
  unsortedSegmentSum,
  util,
  version_core,
} from '@tensorflow/tfjs-core';

/**
 * tfjs-core's Node entry (dist/tf-core.node.js) registers no gradients: the full @tensorflow/tfjs
 * package does that, and tfjs-core's ESM files that do it (dist/register_all_gradients.js) cannot
 * be imported by Node's ESM loader (directory imports). This makes sure the gradients are
 * registered: tfjs keeps its kernel and gradient registries and its engine in globals, so a second
 * copy of the gradient code registers into the same registries as the copy the models use.
 * 1. already registered (e.g. @tensorflow/tfjs or tfjs-node was imported): nothing to do;
 * 2. the ESM file imports (bundlers, vitest): done;
 * 3. otherwise esbuild bundles it once into a cache file in the temp folder, which is required.
 */
export async function ensureGradients(): Promise<'present' | 'imported' | 'bundled'> {
  if (getGradient('Sum') !== undefined) return 'present';
  try {
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    if (getGradient('Sum') !== undefined) return 'imported';
  } catch {
    // Node's ESM loader: fall through to the bundle.
  }
  const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  const file = join(tmpdir(), `embrec-tfjs-gradients-${version_core}.cjs`);
  if (!existsSync(file)) {
    const { build } = await import('esbuild');
    const r = await build({
      stdin: {
        contents: "import '@tensorflow/tfjs-core/dist/register_all_gradients.js';",
        resolveDir: root,
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      logLevel: 'error',
    });
    const text = r.outputFiles?.[0]?.text;
    if (text === undefined) throw new Error('ensureGradients: esbuild produced no output');
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  }
  createRequire(import.meta.url)(file);
  if (getGradient('Sum') === undefined) {
    throw new Error(`ensureGradients: ${file} loaded but registered no gradients`);
  }
  return 'bundled';
}

let originalGatherGrad: GradConfig | undefined;

/**
 * A shorter gradient for GatherV2 on axis 0 (embedding lookups): UnsortedSegmentSum of dy straight
 * into the table's shape, without tfjs's two identity transposes (each a copy of the table-sized
 * gradient). Other axes and batchDims use tfjs's own gradient. Same values; idempotent.
 */
export function registerGatherGradient(): void {
  if (originalGatherGrad !== undefined) return;
  const orig = getGradient('GatherV2');
  if (orig === undefined) return;
  originalGatherGrad = orig;
  registerGradient({
    ...orig,
    gradFunc: (dy, saved, attrs) => {
      const [x, indices] = saved as [Tensor, Tensor];
      const axis = util.parseAxisParam(attrs.axis as number, x.shape)[0];
      const batchDims = (attrs.batchDims as number | undefined) ?? 0;
      if (axis !== 0 || batchDims !== 0 || Array.isArray(dy)) return orig.gradFunc(dy, saved, attrs);
      const n = indices.size;
      return {
        x: () =>
          unsortedSegmentSum(
            reshape(dy as Tensor, [n, ...x.shape.slice(1)]),
            reshape(indices, [n]),
            x.shape[0] as number,
          ),
        indices: () => indices,
      };
    },
  });
}

/** Puts tfjs's own GatherV2 gradient back. */
export function unregisterGatherGradient(): void {
  if (originalGatherGrad === undefined) return;
  registerGradient(originalGatherGrad);
  originalGatherGrad = undefined;
}
