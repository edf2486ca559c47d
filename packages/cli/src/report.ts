import { existsSync, readFileSync } from 'node:fs';
import { IdMap, layout, type MetricSet, readStatus, UsageError } from '@embrec/core';
import { pairedTTest } from '@embrec/eval';
import jStat from 'jstat';
import { parse as parseYaml } from 'yaml';
import { renderTable, sig, type TableFormat } from './output.ts';
import { readAttempts } from './queue/attempts.ts';
import { readPerUser, readRun, readSweep } from './runs.ts';
import { readValidMetrics, selectionMetric } from './select.ts';

export interface ReportOptions {
  readonly metrics?: readonly string[];
  readonly baseline?: string;
  readonly format: TableFormat;
  /** Every metric of the runs (default: the ones the experiment asked for). */
  readonly all?: boolean;
  /** `valid.<metric>`: pick the group with the best validation mean; test shown for it only. */
  readonly select?: string;
  /** With `select`: show every group's test columns too. */
  readonly showTest?: boolean;
}

export interface ReportGroup {
  readonly name: string;
  readonly trials: string[];
  /** Final (test) metric values per trial, by metric. */
  readonly values: Record<string, number[]>;
  /**
   * The sweep axes of the group, parsed from its name, or for a shortened name the values the sweep
   * recorded (sweep.json `axes`); undefined when neither is there.
   */
  readonly axes: Map<string, string> | undefined;
  /** With --select: the validation metric per trial. */
  valid?: number[];
}

export interface ReportResult {
  readonly text: string;
  readonly groups: ReportGroup[];
  readonly baseline?: string;
  readonly selected?: string;
  /** Problems that did not stop the report (missing baseline, ambiguous match). */
  readonly warnings: string[];
}

/** mean ± half-width of the 95% CI (Student t over seeds); half-width NaN for one seed. */
export function meanCi(xs: readonly number[]): { mean: number; half: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, half: Number.NaN };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, half: jStat.studentt.inv(0.975, n - 1) * (sd / Math.sqrt(n)) };
}

/**
 * Holm–Bonferroni step-down adjusted p values, in the input order: sort ascending, multiply the
 * i-th smallest (0-based) by (m − i), carry the running maximum, cap at 1. NaN entries are left
 * out of the family and stay NaN.
 */
export function holm(ps: readonly number[]): number[] {
  const idx = ps.map((_p, i) => i).filter((i) => !Number.isNaN(ps[i]!));
  idx.sort((a, b) => ps[a]! - ps[b]!);
  const m = idx.length;
  const out = ps.map(() => Number.NaN);
  let running = 0;
  idx.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * ps[i]!));
    out[i] = running;
  });
  return out;
}

/**
 * Splits a trial or group name (`loss.temperature=0.1,sampler=mixed(num=256,distribution=uniform)`)
 * into its axis assignments: commas inside (), [] and {} belong to the value; `~` is `/` and
 * `%XX` is a percent-encoded byte (config/names.ts). Undefined for a shortened name (`^` + hash),
 * whose values cannot be read back, or a part with no `=`.
 */
export function parseAssignments(name: string): Map<string, string> | undefined {
  if (/\^[0-9a-f]{16}$/.test(name)) return undefined;
  let readable: string;
  try {
    readable = decodeURIComponent(name.replace(/~/g, '/'));
  } catch {
    return undefined;
  }
  const out = new Map<string, string>();
  let depth = 0;
  let start = 0;
  const take = (end: number): boolean => {
    const part = readable.slice(start, end);
    const eq = part.indexOf('=');
    if (eq <= 0) return false;
    out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    return true;
  };
  for (let i = 0; i < readable.length; i++) {
    const c = readable[i]!;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      if (!take(i)) return undefined;
      start = i + 1;
    }
  }
  if (readable.length > 0 && !take(readable.length)) return undefined;
  return out;
}

/** An axis value equals the baseline's: same text, same number, or the same component type. */
function valueMatches(groupValue: string, wanted: string, exact: boolean): boolean {
  const strip = (s: string) => s.replace(/^embrec\//, '');
  const g = strip(groupValue);
  const w = strip(wanted);
  if (g === w) return true;
  if (g !== '' && w !== '' && !Number.isNaN(Number(g)) && Number(g) === Number(w)) return true;
  // `model=mf` names the type of `mf(dim=64)`
  return !exact && !w.includes('(') && g.startsWith(`${w}(`);
}

function matchesAll(g: ReportGroup, want: Map<string, string>, exact: boolean): boolean {
  if (!g.axes) return false;
  for (const [k, v] of want) {
    const gv = g.axes.get(k);
    if (gv === undefined || !valueMatches(gv, v, exact)) return false;
  }
  return true;
}

/**
 * Each group's baseline group: the groups whose axes take the baseline's values (exact values
 * first, else a component type such as `model=mf` for `mf(dim=64)`) and agree with the row's
 * other axes; a lone match serves every row. A name of a group or trial also works.
 */
export function matchBaselines(
  groups: readonly ReportGroup[],
  spec: string,
  warnings: string[],
): { baselines: Map<ReportGroup, ReportGroup>; label?: string } {
  const baselines = new Map<ReportGroup, ReportGroup>();
  const byName = groups.find((g) => g.name === spec || g.trials.includes(spec));
  const want = parseAssignments(spec);
  let candidates: ReportGroup[] = [];
  if (byName) candidates = [byName];
  else if (want && want.size > 0) {
    candidates = groups.filter((g) => matchesAll(g, want, true));
    if (candidates.length === 0) candidates = groups.filter((g) => matchesAll(g, want, false));
  }
  if (candidates.length === 0) {
    const axes = new Set(groups.flatMap((g) => [...(g.axes?.keys() ?? [])]));
    const unknown = want ? [...want.keys()].filter((k) => !axes.has(k)) : [];
    warnings.push(
      `baseline "${spec}" matches no trial group${unknown.length > 0 ? ` (${unknown.map((k) => `"${k}"`).join(', ')} is not a sweep axis; axes: ${[...axes].join(', ') || 'none'})` : ''}; groups: ${groups.map((g) => g.name).join('; ')}. The table has no comparisons.`,
    );
    return { baselines };
  }
  const fixed = new Set(want?.keys() ?? []);
  const ambiguous: string[] = [];
  for (const g of groups) {
    if (candidates.includes(g)) continue;
    let pick = candidates;
    if (candidates.length > 1) {
      pick = candidates.filter((c) => {
        if (!c.axes || !g.axes) return false;
        for (const [k, v] of g.axes) if (!fixed.has(k) && c.axes.get(k) !== v) return false;
        return true;
      });
    }
    if (pick.length === 1) baselines.set(g, pick[0]!);
    else if (pick.length > 1) ambiguous.push(g.name);
  }
  if (ambiguous.length > 0)
    warnings.push(
      `baseline "${spec}" matches ${candidates.length} groups (${candidates.map((c) => c.name).join('; ')}) and none agrees with the other axes of ${ambiguous.join('; ')}: no comparison for those rows; give a full group name with --baseline`,
    );
  return { baselines, label: candidates.length === 1 ? candidates[0]!.name : spec };
}

/** The metric types an experiment file asks for (its evaluate.metrics), when it can be read. */
function metricTypesOf(file: string | undefined): string[] | undefined {
  if (!file || !existsSync(file)) return undefined;
  try {
    const raw = parseYaml(readFileSync(file, 'utf8')) as { evaluate?: { metrics?: unknown } } | null;
    const list = raw?.evaluate?.metrics;
    if (!Array.isArray(list)) return undefined;
    return list
      .map((m) => (typeof m === 'string' ? m : (m as { type?: unknown })?.type))
      .filter((t): t is string => typeof t === 'string');
  } catch {
    return undefined; // an unreadable experiment file: the defaults
  }
}

/** The metric display names of the requested types (recall, ndcg by default), in run order. */
function requestedMetrics(types: readonly string[] | undefined, available: readonly string[]): string[] {
  const own = available.filter((m) => !m.endsWith(' (pipeline)'));
  const norm = (s: string) =>
    s
      .replace(/^.*\//, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '');
  const wanted = (types ?? ['recall', 'ndcg']).map(norm);
  const picked = own.filter((m) => wanted.includes(norm(m.split('@')[0]!)));
  return picked.length > 0 ? picked : own;
}

/** One trial as the report sees it, from a run folder or an MLflow run. */
export interface ReportTrial {
  readonly name: string;
  /** The trial group (trials differing only by seed). */
  readonly group: string;
  /** The group's sweep axis values, unshortened, when the source recorded them. */
  readonly axes?: Readonly<Record<string, string>> | undefined;
  readonly status: string;
  /** Final (test) metrics by display name. */
  readonly values: Record<string, number>;
  /** A failed trial's error and how many times it was tried. */
  readonly error?: string;
  readonly attempts?: number;
}

/**
 * Where a sweep's results come from: a sweep folder ({@link folderSource}) or an MLflow server
 * (mlflow-report.ts). The table code reads only this.
 */
export interface ReportSource {
  /** The folder, or the server and run, for messages. */
  readonly where: string;
  readonly experiment: string;
  /** The metric types the experiment asked for (its evaluate.metrics). */
  readonly metricTypes?: readonly string[] | undefined;
  readonly baseline?: string | undefined;
  readonly trials: readonly ReportTrial[];
  /** The validation metrics of a finished trial's evaluated model (see select.ts). */
  validMetrics(trial: string): Record<string, number>;
  /** Per-user metric vectors of a trial (throws when it has none). */
  perUser(trial: string, ids: IdMap, which: 'model' | 'pipeline'): MetricSet;
  /** Set when no per-user vectors can be read: why; the table then compares seeds unpaired. */
  readonly unpaired?: string | undefined;
}

/** A sweep folder as a report source: its sweep.json's trials, in order, with their status. */
export function folderSource(dir: string): ReportSource {
  const sweep = readSweep(dir);
  const trials: ReportTrial[] = [];
  for (const trial of sweep.trials) {
    const tdir = layout.trialDir(dir, trial);
    const st = readStatus(tdir);
    const group = sweep.groups?.[trial] ?? trial;
    const axes = sweep.axes?.[group];
    if (st?.status === 'FAILED') {
      trials.push({
        name: trial,
        group,
        status: 'FAILED',
        values: {},
        error: st.error ?? '(no error recorded)',
        attempts: readAttempts(tdir),
      });
      continue;
    }
    if (!existsSync(layout.metrics(tdir)) || st?.status !== 'FINISHED') continue;
    trials.push({ name: trial, group, axes, status: 'FINISHED', values: readRun(tdir).values });
  }
  return {
    where: dir,
    experiment: sweep.experiment,
    metricTypes: metricTypesOf(sweep.file),
    baseline: sweep.baseline,
    trials,
    validMetrics: (t) => readValidMetrics(layout.trialDir(dir, t)),
    perUser: (t, ids, which) => readPerUser(layout.trialDir(dir, t), ids, which),
  };
}

/**
 * Welch's t-test (unequal variances) of two samples, two-sided: the comparison over seeds when no
 * per-user vectors are available. NaN with fewer than two values on a side or no variance.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): number {
  if (a.length < 2 || b.length < 2) return Number.NaN;
  const mv = (xs: readonly number[]) => {
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    return { m, v: xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1) / xs.length };
  };
  const x = mv(a);
  const y = mv(b);
  const se2 = x.v + y.v;
  if (!(se2 > 0)) return Number.NaN;
  const t = (x.m - y.m) / Math.sqrt(se2);
  const df = se2 ** 2 / (x.v ** 2 / (a.length - 1) + y.v ** 2 / (b.length - 1));
  return 2 * (1 - jStat.studentt.cdf(Math.abs(t), df));
}

/** A failed trial's error on one table line (the first lines, whitespace collapsed, shortened). */
function oneLine(error: string): string {
  const text = error.replace(/\s+/g, ' ').replace(/\|/g, '/').trim();
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}

/**
 * The results table of a sweep: one row per trial group (trials differing only by seed), mean ± 95%
 * CI over seeds per metric, Δ against the row's baseline group, and a paired t-test over users
 * (per-user means over seeds) on the first metric, Holm–Bonferroni adjusted when there are several.
 * Failed trials are listed under the table (name, attempts, error).
 */
export function sweepReport(dir: string, opts: ReportOptions): ReportResult {
  return sourceReport(folderSource(dir), opts);
}

/** {@link sweepReport} of any source (a folder, an MLflow server). */
export function sourceReport(src: ReportSource, opts: ReportOptions): ReportResult {
  const dir = src.where;
  const warnings: string[] = [];
  const groups = new Map<string, ReportGroup>();
  const failures = src.trials.filter((t) => t.status === 'FAILED');
  for (const trial of src.trials) {
    if (trial.status !== 'FINISHED') continue;
    const gname = trial.group;
    let g = groups.get(gname);
    if (!g) {
      const recorded = trial.axes ? new Map(Object.entries(trial.axes)) : undefined;
      g = { name: gname, trials: [], values: {}, axes: parseAssignments(gname) ?? recorded };
      groups.set(gname, g);
    }
    g.trials.push(trial.name);
    for (const [k, v] of Object.entries(trial.values)) {
      const list = g.values[k] ?? [];
      list.push(v);
      g.values[k] = list;
    }
  }
  const failedText = (): string =>
    renderTable(
      ['failed trial', 'attempts', 'error'],
      failures.map((f) => [f.name, String(f.attempts ?? 1), oneLine(f.error ?? '')]),
      'md',
    );
  if (groups.size === 0) {
    if (failures.length > 0 && opts.format === 'md')
      return {
        text: `${src.experiment}: no finished trials; ${failures.length} failed (${dir}):\n\n${failedText()}`,
        groups: [],
        warnings,
      };
    throw new UsageError(
      `${dir}: no finished trials${failures.length > 0 ? ` (${failures.length} failed: ${failures.map((f) => f.name).join(', ')})` : ' yet (run the experiment first)'}`,
    );
  }
  if (failures.length > 0 && opts.format !== 'md')
    for (const f of failures)
      warnings.push(`trial ${f.name} FAILED after ${f.attempts ?? 1} attempt(s): ${oneLine(f.error ?? '')}`);
  const all = [...groups.values()];
  const available = [...new Set(all.flatMap((g) => Object.keys(g.values)))];
  const metrics = [
    ...(opts.metrics ?? (opts.all ? available : requestedMetrics(src.metricTypes, available))),
  ];
  for (const m of metrics) {
    if (!available.includes(m)) {
      throw new UsageError(`metric "${m}" is not in this sweep. Available: ${available.join(', ')}`);
    }
  }

  // model selection on validation
  let selected: ReportGroup | undefined;
  let validName: string | undefined;
  if (opts.select) {
    validName = selectionMetric(opts.select);
    const found = new Set<string>();
    for (const g of all) {
      g.valid = g.trials.map((t) => {
        const v = src.validMetrics(t);
        for (const k of Object.keys(v)) found.add(k);
        return v[validName!] ?? Number.NaN;
      });
    }
    const score = (g: ReportGroup) => {
      const xs = (g.valid ?? []).filter((x) => !Number.isNaN(x));
      return xs.length === 0 ? Number.NaN : meanCi(xs).mean;
    };
    if (!all.some((g) => !Number.isNaN(score(g))))
      throw new UsageError(
        `--select ${opts.select}: no trial of ${dir} has the validation metric "${validName}". ` +
          (found.size > 0
            ? `Validation metrics: ${[...found].map((k) => `valid.${k}`).join(', ')}`
            : 'The trials have no validation history (the split needs valid: and the model must validate during training)'),
      );
    selected = all.reduce((best, g) => (Number.isNaN(score(g)) || score(g) <= score(best) ? best : g));
    for (const g of all) {
      const missing = (g.valid ?? []).filter((x) => Number.isNaN(x)).length;
      if (missing > 0)
        warnings.push(
          `${g.name}: ${missing} of ${g.trials.length} trials have no ${validName} on validation`,
        );
    }
    all.sort((a, b) => (score(b) || Number.NEGATIVE_INFINITY) - (score(a) || Number.NEGATIVE_INFINITY));
  }
  const showTest = (g: ReportGroup) => !selected || opts.showTest === true || g === selected;

  const baselineSpec = opts.baseline ?? src.baseline;
  const { baselines, label } = baselineSpec
    ? matchBaselines(all, baselineSpec, warnings)
    : { baselines: new Map<ReportGroup, ReportGroup>(), label: undefined };
  const isBaseline = new Set(baselines.values());
  // with --select, the test counterpart of the selection metric is the one tested for significance
  const primary = validName && metrics.includes(validName) ? validName : metrics[0]!;

  // paired tests on the primary metric, per-user means over seeds
  const ids = new IdMap();
  const perUserCache = new Map<ReportGroup, Map<number, number> | undefined>();
  const perUserMean = (g: ReportGroup): Map<number, number> | undefined => {
    if (perUserCache.has(g)) return perUserCache.get(g);
    const acc = new Map<number, { s: number; n: number }>();
    let ok = true;
    for (const t of g.trials) {
      let set: ReturnType<typeof readPerUser>;
      try {
        set = src.perUser(t, ids, primary.endsWith(' (pipeline)') ? 'pipeline' : 'model');
      } catch {
        ok = false;
        break;
      }
      const v = set.perUser[primary.replace(/ \(pipeline\)$/, '')];
      if (!v) {
        ok = false;
        break;
      }
      set.users.forEach((u, i) => {
        const a = acc.get(u) ?? { s: 0, n: 0 };
        a.s += v[i]!;
        a.n++;
        acc.set(u, a);
      });
    }
    const out = ok ? new Map([...acc].map(([u, a]) => [u, a.s / a.n])) : undefined;
    perUserCache.set(g, out);
    return out;
  };
  const pOf = (g: ReportGroup): { p: number; diff: number } | undefined => {
    const b = baselines.get(g);
    if (!b || !showTest(g)) return undefined;
    if (src.unpaired) {
      const xa = g.values[primary] ?? [];
      const xb = b.values[primary] ?? [];
      const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      return { p: welchTTest(xa, xb), diff: mean(xa) - mean(xb) };
    }
    const pa = perUserMean(g);
    const pb = perUserMean(b);
    if (!pa || !pb) return { p: Number.NaN, diff: Number.NaN };
    const xa: number[] = [];
    const xb: number[] = [];
    for (const [u, v] of pa) {
      const w = pb.get(u);
      if (w !== undefined) {
        xa.push(v);
        xb.push(w);
      }
    }
    const t = pairedTTest(xa, xb);
    return { p: t.p, diff: t.meanDiff };
  };
  const tests = all.map(pOf);
  const compared = tests.filter((t) => t !== undefined && !Number.isNaN(t.p)).length;
  const adjusted = holm(tests.map((t) => t?.p ?? Number.NaN));
  const withHolm = compared > 1;
  const hasBaseline = baselines.size > 0;

  const csv = opts.format === 'csv';
  const header = ['group', 'seeds'];
  if (selected && validName) header.push(csv ? `valid.${validName} mean` : `valid.${validName}`);
  if (selected && validName && csv) header.push(`valid.${validName} ci_low`, `valid.${validName} ci_high`);
  for (const m of metrics) {
    if (csv) header.push(`${m} mean`, `${m} ci_low`, `${m} ci_high`);
    else header.push(m);
    if (hasBaseline) header.push(csv ? `${m} delta` : `Δ ${m}`);
  }
  if (hasBaseline) header.push(src.unpaired ? `p (${primary}, unpaired over seeds)` : `p (${primary})`);
  if (withHolm) header.push('p Holm');

  const cells = (xs: readonly number[]): string[] => {
    if (xs.length === 0) return csv ? ['', '', ''] : ['–'];
    const { mean, half } = meanCi(xs);
    if (csv)
      return Number.isNaN(half) ? [sig(mean), '', ''] : [sig(mean), sig(mean - half), sig(mean + half)];
    return [Number.isNaN(half) ? sig(mean) : `${sig(mean)} ± ${sig(half)}`];
  };
  const hidden = csv ? '' : 'hidden';
  const rows: string[][] = [];
  all.forEach((g, gi) => {
    const mark = g === selected ? (csv ? ' (selected)' : ' ← selected') : '';
    const row = [`${g.name}${mark}`, String(g.trials.length)];
    if (selected) row.push(...cells((g.valid ?? []).filter((x) => !Number.isNaN(x))));
    const b = baselines.get(g);
    for (const m of metrics) {
      const xs = g.values[m] ?? [];
      if (!showTest(g)) {
        row.push(...(csv ? ['', '', ''] : [hidden]));
        if (hasBaseline) row.push(hidden);
        continue;
      }
      row.push(...cells(xs));
      if (!hasBaseline) continue;
      const bx = b?.values[m] ?? [];
      if (isBaseline.has(g) && !b) row.push(csv ? '0' : 'baseline');
      else if (!b || xs.length === 0 || bx.length === 0) row.push(csv ? '' : '–');
      else {
        const d = meanCi(xs).mean - meanCi(bx).mean;
        const base = meanCi(bx).mean;
        row.push(
          csv
            ? sig(d)
            : `${d >= 0 ? '+' : ''}${sig(d)}${base !== 0 ? ` (${d >= 0 ? '+' : ''}${((100 * d) / base).toFixed(1)}%)` : ''}`,
        );
      }
    }
    const t = tests[gi];
    if (hasBaseline) {
      if (!showTest(g)) row.push(hidden);
      else if (isBaseline.has(g) && !b) row.push(csv ? '' : 'baseline');
      else if (!t || Number.isNaN(t.p)) row.push(csv ? '' : 'n/a');
      else row.push(sig(t.p));
    }
    if (withHolm) {
      const a = adjusted[gi]!;
      row.push(Number.isNaN(a) ? (csv ? '' : showTest(g) ? '–' : hidden) : sig(a));
    }
    rows.push(row);
  });

  let note = `\n\n${src.experiment}: mean ± 95% CI over seeds (Student t); numbers to 4 significant digits.`;
  if (hasBaseline)
    note += ` Δ: difference of means vs the baseline (${label}); p: ${src.unpaired ? `Welch's t-test (unpaired) over the seeds' ${primary}, because ${src.unpaired}` : `paired t-test over users on ${primary} (per-user means over seeds)`}${withHolm ? `; p Holm: Holm–Bonferroni adjusted over the ${compared} comparisons` : ''}.`;
  if (selected)
    note += ` Selected on validation ${validName} (best mean over seeds): ${selected.name}.${opts.showTest ? '' : ' Test metrics of the other groups are hidden (--show-test shows them).'}`;
  if (!opts.all && !opts.metrics) note += ' --all shows every metric.';
  if (failures.length > 0)
    note += `\n\n${failures.length} failed trial(s), not in the table:\n\n${failedText()}`;
  const text = renderTable(header, rows, opts.format) + (opts.format === 'md' ? note : '');
  return {
    text,
    groups: all,
    warnings,
    ...(label && hasBaseline ? { baseline: label } : {}),
    ...(selected ? { selected: selected.name } : {}),
  };
}
