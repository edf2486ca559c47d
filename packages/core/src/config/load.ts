import { type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.ts';
import type { Registry } from '../plugin/registry.ts';
import { importPlugin, type ResolvedPlugin } from '../plugin/resolve.ts';
import { didYouMean } from '../util/suggest.ts';
import {
  deepMerge,
  formatPath,
  interpolateEnv,
  isPlainObject,
  parsePath,
  reservedSegment,
  setPath,
} from './merge.ts';
import { escapeControl, quote } from './names.ts';
import { type PlotSpec, SECTION_BY_KEY, type SweepSettings, type TrialConfig } from './sections.ts';
import { zodIssuesToConfigIssues } from './zod-issues.ts';

const plotsSchema = z.array(
  z.strictObject({
    x: z.string().min(1),
    y: z.string().min(1),
    title: z.string().optional(),
    xScale: z.enum(['linear', 'log']).default('linear'),
  }),
);

import {
  experimentNameFromFile,
  MAX_FILE_BYTES,
  readSource,
  resolveRelative,
  type SourceFile,
} from './source.ts';
import { applyPoint, countTrials, expandSweep, groupName, parseSweep, pointName } from './sweep.ts';
import { schemaKeys, validateExperiment } from './validate.ts';

export interface Trial {
  readonly name: string;
  /** Trials that differ only by seed share a group (for mean ± CI over seeds). */
  readonly group: string;
  readonly index: number;
  readonly assignments: readonly (readonly [string, unknown])[];
  readonly config: TrialConfig;
}

export interface LoadedExperiment {
  readonly file: string;
  readonly dir: string;
  readonly name: string;
  readonly sweep?: SweepSettings;
  /** Sweep-level plots rendered when the sweep ends (`plots:` in the file). */
  readonly plots?: readonly PlotSpec[];
  readonly trials: readonly Trial[];
  readonly plugins: readonly ResolvedPlugin[];
}

export interface LoadOptions {
  readonly registry: Registry;
  /** `--set a.b=c` overrides (values parsed as YAML). */
  readonly set?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Refuse sweeps of more trials than this (counted before expanding). Default 10,000. */
  readonly maxTrials?: number;
}

/** The default `--max-trials`: sweeps above it are refused unless the limit is raised. */
export const DEFAULT_MAX_TRIALS = 10_000;

const EXTENDS_EXT = /\.(ya?ml|json)$/i;

/** Why the file named by `extends:` cannot be read, or undefined: checked before any byte is read. */
function extendsProblem(ref: string, file: string): string | undefined {
  if (!EXTENDS_EXT.test(ref))
    return `The file named by "extends" must end in .yaml, .yml or .json, found ${quote(ref)}`;
  let st: Stats;
  try {
    st = statSync(file);
  } catch {
    return `The file named by "extends" does not exist: ${escapeControl(file)}`;
  }
  if (!st.isFile()) return `The file named by "extends" is not a regular file: ${escapeControl(file)}`;
  if (st.size > MAX_FILE_BYTES)
    return `The file named by "extends" is larger than 1 MB (${st.size} bytes): ${escapeControl(file)}`;
  return undefined;
}
/** Reads the file and its `extends:` chain; base first, this file last. */
function readChain(
  file: string,
  stack: string[],
  issues: ConfigIssue[],
): { sources: SourceFile[]; merged: Record<string, unknown> } {
  const abs = resolve(file);
  if (stack.includes(abs)) {
    throw new ConfigError(stack[0]!, [
      {
        path: 'extends',
        message: `Circular extends: ${[...stack, abs].map((f) => f.split('/').pop()).join(' → ')}`,
      },
    ]);
  }
  const src = readSource(abs);
  const ext = src.data.extends;
  let sources: SourceFile[] = [];
  let merged: Record<string, unknown> = {};
  if (ext !== undefined) {
    const refs = typeof ext === 'string' ? [ext] : Array.isArray(ext) ? ext : undefined;
    if (!refs?.every((r) => typeof r === 'string')) {
      issues.push({
        path: 'extends',
        message: 'Expected a file path (or a list of paths) in "extends"',
        line: src.lineOf(['extends']) ?? 1,
      });
    } else {
      for (const r of refs as string[]) {
        const parentFile = resolveRelative(abs, r);
        const problem = r.includes('\0')
          ? `Invalid path in "extends": ${quote(r)}`
          : extendsProblem(r, parentFile);
        if (problem !== undefined) {
          throw new ConfigError(stack[0] ?? abs, [
            { path: 'extends', message: problem, line: src.lineOf(['extends']) ?? 1 },
          ]);
        }
        const parent = readChain(parentFile, [...stack, abs], issues);
        sources = [...sources, ...parent.sources];
        merged = deepMerge(merged, parent.merged) as Record<string, unknown>;
      }
    }
  }
  const own = { ...src.data };
  delete own.extends;
  // in a file that extends another, `key: null` removes the inherited key
  merged = deepMerge(merged, own, ext !== undefined) as Record<string, unknown>;
  return { sources: [...sources, src], merged };
}

/**
 * Loads an experiment file: extends, --set overrides, environment variables, plugins, sweep
 * expansion and validation of every trial. Throws one ConfigError with every problem found.
 */
export async function loadExperiment(file: string, opts: LoadOptions): Promise<LoadedExperiment> {
  try {
    return await load(file, opts);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // One line per problem whatever the file held: control characters escaped, long lines cut.
    const issues = e.issues.map((i) => {
      const out: ConfigIssue = {
        path: escapeControl(i.path).slice(0, 200),
        message: escapeControl(i.message).slice(0, 1000),
      };
      if (i.line !== undefined) out.line = i.line;
      return out;
    });
    throw new ConfigError(escapeControl(e.file), issues, { cause: e.cause });
  }
}

async function load(file: string, opts: LoadOptions): Promise<LoadedExperiment> {
  const abs = resolve(file);
  const issues: ConfigIssue[] = [];
  const { sources, merged } = readChain(abs, [], issues);
  let raw = merged;

  for (const s of opts.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: '', message: `--set expects path=value, found ${quote(s)}` });
      continue;
    }
    const setPathSegs = parsePath(s.slice(0, eq));
    const reserved = reservedSegment(setPathSegs);
    if (reserved !== undefined || setPathSegs.length === 0) {
      issues.push({
        path: '',
        message: `--set ${quote(s.slice(0, eq))}: ${reserved ? `"${reserved}" is not a setting` : 'expected a config path'}`,
      });
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(s.slice(eq + 1), { logLevel: 'error', maxAliasCount: 100 });
    } catch {
      value = s.slice(eq + 1);
    }
    const bad = protoKeyPath(value);
    if (bad !== undefined) {
      issues.push({
        path: '',
        message: `--set ${quote(s.slice(0, eq))}: key "__proto__" is not allowed (at ${bad})`,
      });
      continue;
    }
    setPath(raw, setPathSegs, value);
  }
  raw = interpolateEnv(raw, opts.env ?? process.env, (name, path) => {
    issues.push({
      path: formatPath(path),
      message: `Environment variable ${name} is not set (write \${${name}:-default} to give a default)`,
    });
  }) as Record<string, unknown>;
  if (raw.name === undefined) raw.name = experimentNameFromFile(abs);

  // Plugins first: their components are part of what the file may name.
  const plugins: ResolvedPlugin[] = [];
  const list = raw.plugins;
  if (list !== undefined && !Array.isArray(list)) {
    issues.push({ path: 'plugins', message: 'Expected a list of plugin package names' });
  } else if (Array.isArray(list)) {
    for (let i = 0; i < list.length; i++) {
      const req = list[i];
      if (typeof req !== 'string') continue; // reported by validation
      try {
        const p = await importPlugin(req, dirname(abs));
        opts.registry.add(p.plugin);
        plugins.push(p);
      } catch (e) {
        issues.push({ path: `plugins[${i}]`, message: (e as Error).message });
      }
    }
  }

  const sweepRaw = raw.sweep;
  delete raw.sweep;
  const plotsRaw = raw.plots;
  delete raw.plots;
  let plots: PlotSpec[] | undefined;
  if (plotsRaw !== undefined) {
    const r = plotsSchema.safeParse(plotsRaw);
    if (r.success) plots = r.data as PlotSpec[];
    else issues.push(...zodIssuesToConfigIssues(r.error, { prefix: ['plots'], input: plotsRaw }));
  }
  const sweep = sweepRaw === undefined ? undefined : parseSweep(sweepRaw, issues);
  if (sweep) checkSweepPaths(sweep, raw, opts.registry, issues);
  // Counted from the axis lengths before anything is expanded.
  const count = countTrials(sweep);
  const maxTrials = opts.maxTrials ?? DEFAULT_MAX_TRIALS;
  if (count > maxTrials) {
    const n = Number.isFinite(count) ? count.toLocaleString('en-US') : 'more than 10^300';
    issues.push({
      path: 'sweep',
      message: `The sweep expands to ${n} trials, above the limit of ${maxTrials.toLocaleString('en-US')} (--max-trials ${maxTrials}): shrink the sweep, or raise the limit with --max-trials`,
    });
  }

  const trials: Trial[] = [];
  const seed = typeof raw.seed === 'number' ? raw.seed : 42;
  const points = issues.length > 0 ? [] : expandSweep(sweep, seed);
  if (points.length === 0 && issues.length === 0)
    issues.push({ path: 'sweep', message: 'The sweep expands to no trials' });
  const seen = new Map<string, number>();
  const trialIssues = new Map<string, ConfigIssue>();
  points.forEach((point, index) => {
    const trialRaw = applyPoint(raw, point);
    const local: ConfigIssue[] = [];
    const cfg = validateExperiment(opts.registry, trialRaw, local);
    for (const iss of local) trialIssues.set(`${iss.path}\u0000${iss.message}`, iss);
    if (!cfg) return;
    let name = pointName(point);
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    if (n > 0) name = `${name}#${n + 1}`;
    trials.push({ name, group: groupName(point), index, assignments: point.assignments, config: cfg });
  });
  issues.push(...trialIssues.values());
  if (points.length === 0 && issues.length === 0) {
    // unreachable: kept for clarity
  }
  if (issues.length > 0) {
    for (const iss of issues) {
      if (iss.line !== undefined) continue;
      const path = parsePath(iss.path);
      for (let i = sources.length - 1; i >= 0; i--) {
        const line = sources[i]!.lineOf(path);
        if (line !== undefined) {
          iss.line = line;
          break;
        }
      }
    }
    throw new ConfigError(file, issues);
  }
  const out: { -readonly [K in keyof LoadedExperiment]: LoadedExperiment[K] } = {
    file: abs,
    dir: dirname(abs),
    name: String(raw.name),
    trials,
    plugins,
  };
  if (sweep) out.sweep = sweep;
  if (plots) out.plots = plots;
  return out;
}

/** A sweep over a path that no trial could have is an error at `sweep.params['path']`. */
function checkSweepPaths(
  sweep: SweepSettings,
  raw: Record<string, unknown>,
  registry: Registry,
  issues: ConfigIssue[],
): void {
  const top = [
    'name',
    'description',
    'seed',
    'backend',
    'threads',
    'plugins',
    'output',
    'retrieve',
    ...SECTION_BY_KEY.keys(),
  ];
  for (const path of Object.keys(sweep.params)) {
    const segs = parsePath(path);
    const where = formatPath(['sweep', 'params', path]);
    const head = segs[0];
    const reserved = reservedSegment(segs);
    if (reserved !== undefined || segs.length === 0) {
      issues.push({
        path: where,
        message: `Sweep over ${quote(path)}: ${reserved ? `"${reserved}" is not a setting` : 'expected a config path'}`,
      });
      continue;
    }
    if (head === 'name') {
      issues.push({
        path: where,
        message: 'The experiment name cannot be swept: trials of one experiment share its folder',
      });
      continue;
    }
    if (typeof head !== 'string' || !top.includes(head)) {
      const dym = typeof head === 'string' ? didYouMean(head, top) : undefined;
      issues.push({
        path: where,
        message: `Sweep over unknown path "${path}": "${String(head)}" is not an experiment setting.${dym ? ` Did you mean "${dym}"?` : ''}`,
      });
      continue;
    }
    const section = SECTION_BY_KEY.get(head);
    if (!section || section.many || segs.length < 2) continue;
    const key = segs[1];
    if (typeof key !== 'string' || key === 'type') continue;
    // The types this section can have across the sweep.
    const types = new Set<string>();
    const baseBlock = raw[head];
    if (isPlainObject(baseBlock) && typeof baseBlock.type === 'string') types.add(baseBlock.type);
    if (typeof baseBlock === 'string') types.add(baseBlock);
    const whole = sweep.params[head];
    if (Array.isArray(whole))
      for (const b of whole) if (isPlainObject(b) && typeof b.type === 'string') types.add(b.type);
    for (const t of types) {
      const found = registry.lookup(section.kind, t);
      if (!found.ok) continue; // reported by validation
      const keys = schemaKeys(found.component.def.schema);
      if (!keys.includes(key)) {
        const dym = didYouMean(key, keys);
        issues.push({
          path: where,
          message: `Sweep over unknown path "${path}": ${found.component.qualifiedType} has no parameter "${key}".${dym ? ` Did you mean "${dym}"?` : ''} (accepts: ${keys.join(', ')})`,
        });
      }
    }
  }
}

/** The path of a `__proto__` key inside a value (a --set value parsed as YAML), if any. */
function protoKeyPath(v: unknown, path: (string | number)[] = [], depth = 0): string | undefined {
  if (depth > 64 || v === null || typeof v !== 'object') return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = protoKeyPath(v[i], [...path, i], depth + 1);
      if (r !== undefined) return r;
    }
    return undefined;
  }
  for (const k of Object.keys(v)) {
    if (k === '__proto__') return formatPath([...path, k]) || k;
    const r = protoKeyPath((v as Record<string, unknown>)[k], [...path, k], depth + 1);
    if (r !== undefined) return r;
  }
  return undefined;
}
