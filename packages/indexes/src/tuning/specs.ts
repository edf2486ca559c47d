import type { IndexComponent } from '@embrec/core';
import { Assembler, ConfigError, coreVersion, Registry, standaloneContext, UsageError } from '@embrec/core';
import { parse as parseYaml } from 'yaml';
import indexesPlugin from '../plugin.ts';
import type { SweepEntry } from './sweep.ts';

/** An index block as in an experiment file: `{ type: faiss, factory: "IVF1024,Flat", nprobe: 16 }`. */
export type IndexSpec = { readonly type: string } & Readonly<Record<string, unknown>>;

/**
 * Parses a command-line index spec: a YAML/JSON mapping (`"{type: hnsw, M: 16}"`), a bare type
 * (`exact`) or `type:arg` shorthand where the argument is the faiss factory string
 * (`faiss:IVF1024,PQ16x4fs`) or `key=value;key=value` parameters (`hnsw:M=16;efConstruction=100`).
 */
export function parseIndexSpec(text: string): IndexSpec {
  const t = text.trim();
  if (t.startsWith('{')) {
    const v = parseYaml(t) as unknown;
    if (typeof v !== 'object' || v === null || typeof (v as { type?: unknown }).type !== 'string') {
      throw new UsageError(`--index ${text}: expected a mapping with a "type" key`);
    }
    return v as IndexSpec;
  }
  const colon = t.indexOf(':');
  if (colon < 0) return { type: t };
  const type = t.slice(0, colon);
  const arg = t.slice(colon + 1);
  if (type === 'faiss' && !arg.includes('=')) return { type, factory: arg };
  const out: { type: string; [key: string]: unknown } = { type };
  for (const kv of arg.split(';').filter((s) => s !== '')) {
    const eq = kv.indexOf('=');
    if (eq < 0) throw new UsageError(`--index ${text}: expected key=value, found "${kv}"`);
    const raw = kv.slice(eq + 1);
    out[kv.slice(0, eq)] = Number.isNaN(Number(raw)) ? raw : Number(raw);
  }
  return out;
}

/**
 * Creates an (unbuilt) index from a spec through core's component builder: looked up in `registry`
 * (by default one holding this package's indexes; pass the experiment's registry for third-party
 * index plugins), parsed with its schema, constructed.
 */
export async function createIndex(
  spec: IndexSpec,
  registry: Registry = indexRegistry(),
): Promise<IndexComponent> {
  const assembler = new Assembler({
    registry,
    file: '--index',
    context: () => standaloneContext('index-tool'),
  });
  try {
    return await assembler.createRaw('index', spec, 'index');
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new UsageError(`--index ${JSON.stringify(spec)}: ${e.issues.map((i) => i.message).join('; ')}`);
    }
    throw e;
  }
}

/** A registry holding this package's index components. */
export function indexRegistry(): Registry {
  const r = new Registry(coreVersion);
  r.add(indexesPlugin);
  return r;
}

/** The search-parameter grid swept by default for a spec at cutoff k. */
export function defaultGrid(spec: IndexSpec, k: number): Record<string, number[]> {
  const type = spec.type.replace(/^embrec\//, '');
  if (type === 'hnsw') return { efSearch: ladder(k, 8 * k) };
  if (type === 'faiss') {
    const f = String(spec.factory ?? '');
    const grid: Record<string, number[]> = {};
    const ivf = /IVF(\d+)/.exec(f);
    if (ivf) grid.nprobe = ladder(1, Math.min(Number(ivf[1]), 256));
    if (/HNSW/.test(f) && !ivf) grid.efSearch = ladder(k, 8 * k);
    if (/RFlat|Refine/.test(f) || spec.refine !== undefined) grid.kFactor = [1, 4, 16];
    return grid;
  }
  return {};
}

/** Turns specs plus an optional grid override (`nprobe=1,4,16`) into sweep entries. */
export function sweepEntries(
  specs: readonly IndexSpec[],
  k: number,
  override: Readonly<Record<string, number[]>> = {},
  registry: Registry = indexRegistry(),
): SweepEntry[] {
  return specs.map((spec) => {
    const grid = defaultGrid(spec, k);
    for (const [key, values] of Object.entries(override)) if (key in grid) grid[key] = values;
    return { name: specName(spec), index: () => createIndex(spec, registry), params: grid };
  });
}

/** A short display name: "exact", "hnsw M=32", "faiss IVF1024,PQ16". */
export function specName(spec: IndexSpec): string {
  const type = spec.type.replace(/^embrec\//, '');
  if (type === 'faiss') return String(spec.factory ?? 'faiss');
  const rest = Object.entries(spec)
    .filter(([key]) => key !== 'type')
    .map(([key, v]) => `${key}=${String(v)}`)
    .join(' ');
  return rest === '' ? type : `${type} ${rest}`;
}

/** Parses `--grid nprobe=1,2,4` options. */
export function parseGrid(items: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const values = item
      .slice(eq + 1)
      .split(',')
      .map((s) => Number(s.trim()));
    if (eq < 1 || values.some((v) => !Number.isFinite(v))) {
      throw new UsageError(`--grid ${item}: expected name=v1,v2,… with numbers, for example nprobe=1,4,16`);
    }
    out[item.slice(0, eq)] = values;
  }
  return out;
}

function ladder(from: number, to: number): number[] {
  const out: number[] = [];
  for (let v = Math.max(1, from); v <= to; v *= 2) out.push(v);
  return out;
}
