import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { EmbeddingTable, FeatureTable, IndexComponent, Interactions } from '@embrec/core';
import { coreVersion, DataError, IdMap, writeFolderAtomic } from '@embrec/core';
import { createIndex, type IndexSpec, npyBytes, readNpyTable } from '@embrec/indexes';
import type { RankerSpec } from './pipeline.ts';

/**
 * A serving bundle: one folder that holds everything `embrec serve` needs, so it runs without the
 * run folder, the data set or the experiment file.
 *
 *   manifest.json              format, framework version, source run, sha256 of every other file
 *   pipeline.json              retrieval N, index spec, fold-in method, ranker and re-rankers of the run
 *   embeddings/items.npy       [items, dim] float32 (numpy-readable)
 *   embeddings/users.npy       [users, dim] float32
 *   ids/items.json, users.json external IDs by row
 *   items.json                 per item row: name and attributes
 *   history/indptr.i32, indices.i32   each user row's training items (item rows), CSR int32 LE
 *   index/                     the built index, saved by @embrec/indexes (meta.json, ids.json, …)
 *   ranker/                    the fitted ranker as its own save() wrote it, when the pipeline serves one
 *   model/                     the retrieval model's saved files when new users fold in through its foldIn
 */
export const BUNDLE_FORMAT = 'embrec-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

export interface ItemInfo {
  readonly id: string;
  readonly name?: string;
  readonly attributes: Readonly<Record<string, string | number | readonly string[]>>;
}

/** How a new user's vector is made from the items they name (the model's own fold-in rule). */
export interface FoldIn {
  /**
   * model: the retrieval model's own `foldIn` (the bundle's `model/`, created from `block`);
   * mean: the mean of the item vectors; normalized-sum: their sum scaled to unit length.
   */
  readonly method: 'model' | 'mean' | 'normalized-sum';
  /** What the trained model does (e.g. LightGCN propagates); differs from `method` when pooling stands in. */
  readonly model: string;
  /** method model: the experiment's model block and the sections it depends on (loss, sampler). */
  readonly block?: Readonly<Record<string, unknown>>;
  readonly sections?: Readonly<Record<string, unknown>>;
  /** method model: pooling that gives the model's exact fold-in (MF, towers), used without a registry. */
  readonly pooling?: 'mean' | 'normalized-sum';
}

export interface RerankerSpec {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface PipelineConfig {
  /** Candidates retrieved per request before re-ranking (the experiment's retrieve.k). */
  readonly retrieveN: number;
  readonly index: IndexSpec;
  readonly metric: string;
  readonly foldIn: FoldIn;
  /** The experiment's ranker: served from `ranker/` when `served` (else why not, in `note`). */
  readonly ranker: RankerSpec | null;
  readonly rerankers: readonly (RerankerSpec & { readonly served: boolean })[];
}

export interface Manifest {
  readonly format: typeof BUNDLE_FORMAT;
  readonly formatVersion: number;
  readonly framework: { readonly name: 'embrec'; readonly version: string };
  readonly createdAt: string;
  readonly source: { readonly run: string; readonly experiment: string; readonly model: string };
  readonly dim: number;
  readonly items: number;
  readonly users: number;
  /** sha256 and size of every file of the bundle except the manifest, by relative path (/-separated). */
  readonly files: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
}

export interface BundleInput {
  readonly source: Manifest['source'];
  readonly items: EmbeddingTable;
  readonly users: EmbeddingTable;
  /** Training interactions: a user's history (excluded from their recommendations, shown on the page). */
  readonly train: Interactions;
  readonly itemNames?: readonly string[] | undefined;
  readonly itemFeatures?: FeatureTable | undefined;
  readonly pipeline: Omit<PipelineConfig, 'index'> & { readonly index: IndexSpec };
  /** An already built index over `items` (else one is built from pipeline.index). */
  readonly index?: IndexComponent;
  /** Folder of the trial's saved ranker model (artifacts/ranker), copied to `ranker/`. */
  readonly rankerDir?: string | undefined;
  /** Folder of the trial's saved retrieval model (artifacts/model), copied to `model/` (fold-in). */
  readonly modelDir?: string | undefined;
}

/** Writes a bundle to `out` atomically (a temporary sibling folder renamed into place). */
export async function writeBundle(out: string, input: BundleInput): Promise<Manifest> {
  const { items, users, train } = input;
  if (users.dim !== items.dim)
    throw new DataError(`user embeddings have dim ${users.dim} but item embeddings have dim ${items.dim}`);
  let manifest: Manifest | undefined;
  await writeFolderAtomic(resolve(out), async (tmp) => {
    const put = (rel: string, data: string | Uint8Array) => {
      const p = join(tmp, ...rel.split('/'));
      mkdirSync(join(p, '..'), { recursive: true });
      writeFileSync(p, data);
    };
    put('embeddings/items.npy', npyBytes(items.vectors, items.ids.size, items.dim));
    put('embeddings/users.npy', npyBytes(users.vectors, users.ids.size, users.dim));
    put('ids/items.json', JSON.stringify(items.ids.toJSON()));
    put('ids/users.json', JSON.stringify(users.ids.toJSON()));
    put(
      'items.json',
      JSON.stringify(itemInfos(items.ids, train.itemIds, input.itemNames, input.itemFeatures)),
    );
    const h = histories(train, users.ids, items.ids);
    put('history/indptr.i32', new Uint8Array(h.indptr.buffer));
    put('history/indices.i32', new Uint8Array(h.indices.buffer));
    put('pipeline.json', `${JSON.stringify(input.pipeline, null, 2)}\n`);
    const index = input.index ?? (await createIndex(input.pipeline.index));
    if (input.index === undefined) await index.build(items);
    await index.save(join(tmp, 'index'));
    if (input.rankerDir !== undefined) cpSync(input.rankerDir, join(tmp, 'ranker'), { recursive: true });
    if (input.modelDir !== undefined) cpSync(input.modelDir, join(tmp, 'model'), { recursive: true });
    manifest = {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_FORMAT_VERSION,
      framework: { name: 'embrec', version: coreVersion },
      createdAt: new Date().toISOString(),
      source: input.source,
      dim: items.dim,
      items: items.ids.size,
      users: users.ids.size,
      files: hashFiles(tmp),
    };
    put('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  });
  return manifest as unknown as Manifest;
}

function itemInfos(
  rows: IdMap,
  dataIds: IdMap,
  names: readonly string[] | undefined,
  features: FeatureTable | undefined,
): ItemInfo[] {
  return rows.toArray().map((id) => {
    const d = dataIds.get(id);
    const attributes: Record<string, string | number | readonly string[]> = {};
    if (d !== undefined && features !== undefined) {
      for (const [k, c] of Object.entries(features.categorical)) {
        const v = c.vocab[c.values[d] ?? -1];
        if (v !== undefined) attributes[k] = v;
      }
      for (const [k, m] of Object.entries(features.multiHot)) {
        const out: string[] = [];
        for (let j = m.bags.indptr[d] ?? 0; j < (m.bags.indptr[d + 1] ?? 0); j++) {
          const v = m.vocab[m.bags.indices[j] ?? -1];
          if (v !== undefined) out.push(v);
        }
        attributes[k] = out;
      }
      for (const [k, x] of Object.entries(features.numeric)) {
        const v = x[d];
        if (v !== undefined && Number.isFinite(v)) attributes[k] = Number(v.toPrecision(7)); // float32 → its shortest decimal
      }
    }
    const name = d === undefined ? undefined : names?.[d];
    return name === undefined ? { id, attributes } : { id, name, attributes };
  });
}

/** Each user row's training items as item rows (CSR), via external IDs. */
function histories(
  train: Interactions,
  userRows: IdMap,
  itemRows: IdMap,
): { indptr: Int32Array; indices: Int32Array } {
  const u2row = Int32Array.from(
    { length: train.userIds.size },
    (_, u) => userRows.get(train.userIds.external(u)) ?? -1,
  );
  const i2row = Int32Array.from(
    { length: train.itemIds.size },
    (_, i) => itemRows.get(train.itemIds.external(i)) ?? -1,
  );
  const counts = new Int32Array(userRows.size + 1);
  for (let e = 0; e < train.users.length; e++) {
    const u = u2row[train.users[e]!]!;
    if (u >= 0 && i2row[train.items[e]!]! >= 0) counts[u + 1]!++;
  }
  for (let u = 0; u < userRows.size; u++) counts[u + 1]! += counts[u]!;
  const fill = counts.slice(0, userRows.size);
  const indices = new Int32Array(counts[userRows.size]!);
  for (let e = 0; e < train.users.length; e++) {
    const u = u2row[train.users[e]!]!;
    const i = i2row[train.items[e]!]!;
    if (u >= 0 && i >= 0) indices[fill[u]!++] = i;
  }
  return { indptr: counts, indices };
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.filter((f) => f !== 'manifest.json').sort();
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function hashFiles(dir: string): Manifest['files'] {
  const files: Record<string, { sha256: string; bytes: number }> = {};
  for (const f of listFiles(dir)) {
    const p = join(dir, ...f.split('/'));
    files[f] = { sha256: sha256(p), bytes: statSync(p).size };
  }
  return files;
}

/** A loaded bundle: everything the serving engine reads. */
export interface Bundle {
  readonly dir: string;
  readonly manifest: Manifest;
  /** sha256 of manifest.json: names this bundle in responses (`version`). */
  readonly version: string;
  readonly pipeline: PipelineConfig;
  readonly items: EmbeddingTable;
  readonly users: EmbeddingTable;
  readonly itemInfo: readonly ItemInfo[];
  readonly history: { readonly indptr: Int32Array; readonly indices: Int32Array };
  readonly index: IndexComponent;
}

/** Reads `manifest.json` and checks format, version and every file's hash; a clear DataError otherwise. */
export function verifyBundle(dir: string): Manifest {
  const d = resolve(dir);
  const mpath = join(d, 'manifest.json');
  if (!existsSync(mpath))
    throw new DataError(
      `${d}: not an embrec bundle (no manifest.json); make one with \`embrec export <run> --out DIR\``,
    );
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(mpath, 'utf8')) as Manifest;
  } catch (e) {
    throw new DataError(`${mpath}: not valid JSON (${(e as Error).message}); the bundle is corrupted`);
  }
  if (m?.format !== BUNDLE_FORMAT)
    throw new DataError(
      `${mpath}: field "format" must be "${BUNDLE_FORMAT}", found ${JSON.stringify(m?.format)}`,
    );
  if (m.formatVersion !== BUNDLE_FORMAT_VERSION)
    throw new DataError(
      `${mpath}: bundle format version ${JSON.stringify(m.formatVersion)} is not supported by embrec ${coreVersion} (it reads version ${BUNDLE_FORMAT_VERSION}); export the run again with this version`,
    );
  const [maj, min] = String(m.framework?.version ?? '').split('.');
  const [cmaj, cmin] = coreVersion.split('.');
  if (maj !== cmaj || (cmaj === '0' && min !== cmin))
    throw new DataError(
      `${mpath}: the bundle was written by embrec ${JSON.stringify(m.framework?.version)}, incompatible with embrec ${coreVersion}; export the run again with this version`,
    );
  if (typeof m.files !== 'object' || m.files === null)
    throw new DataError(`${mpath}: field "files" must be an object of {sha256, bytes} by path`);
  for (const [f, want] of Object.entries(m.files)) {
    const p = join(d, ...f.split('/'));
    if (f.includes('..') || !p.startsWith(d + sep))
      throw new DataError(`${mpath}: file "${f}" points outside the bundle`);
    if (!existsSync(p))
      throw new DataError(`${d}: ${f} is missing (listed in manifest.json); the bundle is incomplete`);
    const got = sha256(p);
    if (got !== want.sha256)
      throw new DataError(
        `${p}: sha256 ${got.slice(0, 12)}… does not match manifest.json (${String(want.sha256).slice(0, 12)}…); the bundle is corrupted`,
      );
  }
  for (const f of [
    'pipeline.json',
    'embeddings/items.npy',
    'embeddings/users.npy',
    'ids/items.json',
    'ids/users.json',
    'items.json',
    'index/meta.json',
    ...(readPipeline(d)?.ranker?.served
      ? ['ranker/model.json', 'ranker/user-ids.json', 'ranker/item-ids.json']
      : []),
    ...(readPipeline(d)?.foldIn?.method === 'model' ? ['model/model.json'] : []),
  ]) {
    if (!(f in m.files))
      throw new DataError(`${mpath}: "files" does not list ${f}; the bundle is incomplete`);
  }
  return m;
}

/** pipeline.json (undefined when unreadable: the hash check reports it). */
function readPipeline(dir: string): Partial<PipelineConfig> | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'pipeline.json'), 'utf8')) as Partial<PipelineConfig>;
  } catch {
    return undefined;
  }
}

/** Loads and verifies a bundle folder. */
export async function loadBundle(dir: string): Promise<Bundle> {
  const d = resolve(dir);
  const manifest = verifyBundle(d);
  const json = (f: string) => JSON.parse(readFileSync(join(d, f), 'utf8')) as unknown;
  const pipeline = json('pipeline.json') as PipelineConfig;
  const table = async (name: 'items' | 'users'): Promise<EmbeddingTable> => {
    const t = await readNpyTable(join(d, 'embeddings', `${name}.npy`));
    const ids = IdMap.fromJSON(json(`ids/${name}.json`));
    if (ids.size !== t.ids.size)
      throw new DataError(
        `${join(d, 'ids', `${name}.json`)}: expected ${t.ids.size} ids (rows of ${name}.npy), found ${ids.size}`,
      );
    return { ids, dim: t.dim, vectors: t.vectors };
  };
  const items = await table('items');
  const users = await table('users');
  const itemInfo = json('items.json') as ItemInfo[];
  if (!Array.isArray(itemInfo) || itemInfo.length !== items.ids.size)
    throw new DataError(`${join(d, 'items.json')}: expected ${items.ids.size} item records`);
  const i32 = (f: string) => {
    const b = readFileSync(join(d, f));
    return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const history = { indptr: i32('history/indptr.i32'), indices: i32('history/indices.i32') };
  if (
    history.indptr.length !== users.ids.size + 1 ||
    history.indptr[users.ids.size] !== history.indices.length
  )
    throw new DataError(`${join(d, 'history')}: indptr/indices do not describe ${users.ids.size} users`);
  const index = await createIndex(pipeline.index);
  await index.load(join(d, 'index'));
  if (index.ids().size !== items.ids.size)
    throw new DataError(
      `${join(d, 'index')}: the index holds ${index.ids().size} items, the bundle ${items.ids.size}`,
    );
  return {
    dir: d,
    manifest,
    version: sha256(join(d, 'manifest.json')).slice(0, 16),
    pipeline,
    items,
    users,
    itemInfo,
    history,
    index,
  };
}
