import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Bundle, createServer, loadBundle, loadFoldInModel } from '@embrec/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinRegistry } from '../../packages/cli/src/builtins.ts';
import { tinyBundle } from './fixture.ts';

// New users fold in through the retrieval model's own foldIn when the bundle carries the model: a
// tiny LightGCN (2 layers: a new user is propagated one step over the graph, not mean-pooled).
let root: string;
let bundleDir: string;
let bundle: Bundle;
let app: Awaited<ReturnType<typeof createServer>>;

beforeAll(async () => {
  ({ root, bundle: bundleDir } = await tinyBundle(
    'tiny-foldin',
    '',
    '{ type: random, ratio: 0.2 }',
    'model: { type: lightgcn, dim: 16, layers: 2, train: { epochs: 2, batchSize: 256, lr: 0.02 } }',
  ));
  bundle = await loadBundle(bundleDir);
  app = await createServer({ bundle: bundleDir, registry: builtinRegistry() });
}, 300_000);

afterAll(async () => {
  await app?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Exact inner-product top k of q over the bundle's items, skipping rows in `skip`. */
function top(q: Float32Array, k: number, skip: Set<number>): string[] {
  const { dim, vectors, ids } = bundle.items;
  const s: [number, number][] = [];
  for (let i = 0; i < ids.size; i++) {
    if (skip.has(i)) continue;
    let d = 0;
    for (let j = 0; j < dim; j++) d += q[j]! * vectors[i * dim + j]!;
    s.push([d, i]);
  }
  return s
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, k)
    .map((x) => ids.external(x[1]));
}

describe('model-specific fold-in', () => {
  it('the bundle carries the LightGCN model and pipeline.json says new users fold in through it', () => {
    expect(bundle.pipeline.foldIn).toMatchObject({
      method: 'model',
      block: { type: 'embrec/lightgcn', layers: 2 },
    });
    expect(Object.keys(bundle.manifest.files)).toContain('model/model.json');
  });

  it("a new user's list is the index's top k for the model's foldIn vector, not for mean pooling", async () => {
    // the model's own fold-in: a second LightGCN component loaded from the bundle's model/
    const f = bundle.pipeline.foldIn;
    const model = await loadFoldInModel(
      join(bundleDir, 'model'),
      f.block!,
      f.sections ?? {},
      builtinRegistry(),
      'test',
    );
    const { dim } = bundle.items;
    let differs = 0;
    for (let row = 0; row < 10; row++) {
      const rows = Array.from(
        bundle.history.indices.subarray(bundle.history.indptr[row]!, bundle.history.indptr[row]! + 4),
      );
      if (rows.length === 0) continue;
      const items = rows.map((i) => bundle.items.ids.external(i));
      const r = await app.inject({
        method: 'POST',
        url: '/v1/recommend/new-user',
        payload: { items, k: 10, rerank: false },
      });
      expect(r.statusCode).toBe(200);
      const got = (r.json() as { items: { id: string }[]; source: string }).items.map((x) => x.id);
      const v = model.foldIn(items);
      expect(got).toEqual(top(v, 10, new Set(rows)));
      // mean pooling of the final item vectors is another vector, and usually another list
      const mean = new Float32Array(dim);
      for (const i of rows)
        for (let j = 0; j < dim; j++) mean[j]! += bundle.items.vectors[i * dim + j]! / rows.length;
      let gap = 0;
      for (let j = 0; j < dim; j++) gap += Math.abs(mean[j]! - v[j]!);
      expect(gap).toBeGreaterThan(1e-4);
      if (top(mean, 10, new Set(rows)).join() !== got.join()) differs++;
    }
    expect(differs).toBeGreaterThan(0);
    model.dispose?.();
  });

  it('without a plugin registry the bundle is refused (its fold-in needs the model)', async () => {
    await expect(createServer({ bundle: bundleDir })).rejects.toThrow(
      /lightgcn model's fold-in.*pass a plugin registry/,
    );
  });
});
