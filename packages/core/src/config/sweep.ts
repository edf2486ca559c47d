import { z } from 'zod';
import type { ConfigIssue } from '../errors.ts';
import { Rng } from '../util/rng.ts';
import { clone, formatPath, isPlainObject, parsePath, setPath } from './merge.ts';
import { safeTrialName } from './names.ts';
import type { RandomRange, SweepSettings } from './sections.ts';
import { zodIssuesToConfigIssues } from './zod-issues.ts';

const rangeSchema = z.strictObject({
  min: z.number(),
  max: z.number(),
  log: z.boolean().optional(),
  int: z.boolean().optional(),
});

export const sweepSchema = z.strictObject({
  mode: z.enum(['grid', 'random']).default('grid'),
  samples: z.number().int().min(1).optional(),
  seeds: z.array(z.number().int().nonnegative()).min(1).optional(),
  baseline: z.string().min(1).optional(),
  params: z.record(z.string(), z.union([z.array(z.unknown()).min(1), rangeSchema])).default({}),
});

export function parseSweep(raw: unknown, issues: ConfigIssue[]): SweepSettings | undefined {
  const r = sweepSchema.safeParse(raw);
  if (!r.success) {
    issues.push(...zodIssuesToConfigIssues(r.error, { prefix: ['sweep'], input: raw }));
    return undefined;
  }
  const s = r.data;
  for (const [p, v] of Object.entries(s.params)) {
    if (!Array.isArray(v) && s.mode === 'grid') {
      issues.push({
        path: formatPath(['sweep', 'params', p]),
        message: 'A range {min, max} needs mode: random (grid search needs a list of values)',
      });
    }
    if (!Array.isArray(v) && v.min > v.max) {
      issues.push({
        path: formatPath(['sweep', 'params', p]),
        message: `Range min ${v.min} is above max ${v.max}`,
      });
    }
    if (!Array.isArray(v) && v.log && v.min <= 0) {
      issues.push({
        path: formatPath(['sweep', 'params', p]),
        message: `A log range needs min > 0, found ${v.min}`,
      });
    }
  }
  if (s.mode === 'random' && s.samples === undefined) {
    issues.push({
      path: 'sweep.samples',
      message: 'Random search needs "samples" (how many configurations to draw)',
    });
  }
  const out: { -readonly [K in keyof SweepSettings]: SweepSettings[K] } = {
    mode: s.mode,
    params: s.params as SweepSettings['params'],
  };
  if (s.samples !== undefined) out.samples = s.samples;
  if (s.seeds !== undefined) out.seeds = s.seeds;
  if (s.baseline !== undefined) out.baseline = s.baseline;
  return out;
}

/** One point of the sweep: the values to set, by config path. */
export interface SweepPoint {
  readonly assignments: readonly (readonly [string, unknown])[];
  readonly seed?: number;
}

/**
 * How many trials a sweep expands to, from the axis lengths alone (nothing is expanded): the
 * product of the list lengths (grid) or `samples` (random), times the number of seeds. May be
 * Infinity for absurd sweeps; callers compare it with their limit before expanding.
 */
export function countTrials(s: SweepSettings | undefined): number {
  if (!s) return 1;
  let n = s.mode === 'grid' ? 1 : (s.samples ?? 1);
  if (s.mode === 'grid')
    for (const values of Object.values(s.params)) n *= Array.isArray(values) ? values.length : 1;
  return n * (s.seeds?.length ?? 1);
}

export function expandSweep(s: SweepSettings | undefined, seed: number): SweepPoint[] {
  if (!s) return [{ assignments: [] }];
  const entries = Object.entries(s.params);
  let points: (readonly [string, unknown])[][] = [[]];
  if (s.mode === 'grid') {
    for (const [path, values] of entries) {
      const vals = values as readonly unknown[];
      const next: (readonly [string, unknown])[][] = [];
      for (const p of points) for (const v of vals) next.push([...p, [path, v] as const]);
      points = next;
    }
  } else {
    const rng = new Rng(seed).fork('sweep');
    points = [];
    for (let i = 0; i < (s.samples ?? 1); i++) {
      points.push(entries.map(([path, values]) => [path, draw(values, rng)] as const));
    }
  }
  const seeds = s.seeds;
  if (!seeds) return points.map((a) => ({ assignments: a }));
  const out: SweepPoint[] = [];
  for (const a of points) for (const sd of seeds) out.push({ assignments: a, seed: sd });
  return out;
}

function draw(values: readonly unknown[] | RandomRange, rng: Rng): unknown {
  if (Array.isArray(values)) return clone(values[rng.int(values.length)]);
  const r = values as RandomRange;
  let x = r.log
    ? Math.exp(Math.log(r.min) + rng.next() * (Math.log(r.max) - Math.log(r.min)))
    : r.min + rng.next() * (r.max - r.min);
  if (r.int) x = Math.round(x);
  else x = Number(x.toPrecision(4));
  return x;
}

/** Applies a sweep point to a raw experiment object. */
export function applyPoint(raw: Record<string, unknown>, point: SweepPoint): Record<string, unknown> {
  const out = clone(raw);
  for (const [path, value] of point.assignments) setPath(out, parsePath(path), clone(value));
  if (point.seed !== undefined) out.seed = point.seed;
  return out;
}

/**
 * A readable, file-system-safe trial name: `model=mf,loss.temperature=0.1,seed=1` (one path
 * segment: unsafe characters escaped, long names shortened with a hash; see safeTrialName).
 */
export function pointName(point: SweepPoint): string {
  const parts = point.assignments.map(([p, v]) => `${p}=${shortValue(v)}`);
  if (point.seed !== undefined) parts.push(`seed=${point.seed}`);
  return safeTrialName(parts.join(',') || 'run');
}

/**
 * The axis values of a point as its name writes them before any shortening (`model` →
 * `lightgcn(dim=64,…)`): what `embrec report` matches a baseline against when the name was cut.
 */
export function axisLabels(assignments: SweepPoint['assignments']): Record<string, string> {
  return Object.fromEntries(assignments.map(([p, v]) => [p, shortValue(v)]));
}

/** The name of a point without its seed: trials that differ only by seed form one group. */
export function groupName(point: SweepPoint): string {
  return pointName({ assignments: point.assignments });
}

function shortValue(v: unknown): string {
  if (isPlainObject(v) && typeof v.type === 'string') {
    const rest = Object.keys(v).filter((k) => k !== 'type');
    return rest.length === 0 ? v.type : `${v.type}(${rest.map((k) => `${k}=${shortValue(v[k])}`).join(',')})`;
  }
  if (Array.isArray(v)) return `[${v.map(shortValue).join(',')}]`;
  if (isPlainObject(v))
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${shortValue(x)}`)
      .join(',')}}`;
  return String(v);
}
