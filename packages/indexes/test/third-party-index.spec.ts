import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coreVersion, definePlugin, IdMap, Registry, writeEmbeddingTable } from '@embrec/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExactIndex } from '../src/exact/exact.ts';
import { loadEmbeddings } from '../src/io/embeddings.ts';
import indexesPlugin from '../src/plugin.ts';
import { createIndex, sweepEntries } from '../src/tuning/specs.ts';

/** A third-party index plugin as a stranger would publish it (namespace acme). */
const acme = definePlugin({
  meta: { name: 'embrec-plugin-acme', version: '1.0.0', namespace: 'acme' },
  engines: { '@embrec/core': `^${coreVersion}` },
  components: [
    {
      kind: 'index',
      type: 'flat',
      description: 'exact search under another name',
      schema: z.strictObject({ blockRows: z.number().int().min(16).default(64) }),
      create: (p: { blockRows: number }) => new ExactIndex('ip', p.blockRows),
    },
  ],
});

describe('index tools build indexes through core’s assembler', () => {
  it('a third-party index plugin works in createIndex / sweepEntries when its registry is given', async () => {
    const registry = new Registry(coreVersion);
    registry.add(indexesPlugin);
    registry.add(acme);
    const index = await createIndex({ type: 'acme/flat', blockRows: 32 }, registry);
    expect(index).toBeInstanceOf(ExactIndex);
    const [entry] = sweepEntries([{ type: 'acme/flat' }], 10, {}, registry);
    expect(await (entry!.index as () => Promise<unknown>)()).toBeInstanceOf(ExactIndex);
    await expect(createIndex({ type: 'acme/flat', blockRows: 1 }, registry)).rejects.toThrow(/blockRows/);
  });

  it('without it, the built-in registry names what exists', async () => {
    await expect(createIndex({ type: 'acme/flat' })).rejects.toThrow(
      /Unknown index type "acme\/flat".*exact/,
    );
  });
});

describe('embrec index sweep reads the exported layout', () => {
  it('loads .npy embeddings with CSV ID maps from a trial folder', async () => {
    const trial = mkdtempSync(join(tmpdir(), 'embrec-npy-run-'));
    const emb = join(trial, 'artifacts', 'embeddings');
    mkdirSync(emb, { recursive: true });
    const vectors = Float32Array.from({ length: 12 }, (_, i) => i);
    writeEmbeddingTable(emb, 'items', { ids: IdMap.fromJSON(['a', 'b', 'c']), dim: 4, vectors });
    writeEmbeddingTable(emb, 'users', { ids: IdMap.fromJSON(['u']), dim: 4, vectors: vectors.slice(0, 4) });
    const got = await loadEmbeddings(trial);
    expect(got.items.ids.toJSON()).toEqual(['a', 'b', 'c']);
    expect(got.items.vectors).toEqual(vectors);
    expect(got.users?.ids.toJSON()).toEqual(['u']);
    expect(got.source).toBe(emb);
  });
});
