import type { SweepRow } from './sweep.ts';

/** One point of a recall–speed curve. */
export interface CurvePoint {
  readonly recall: number;
  readonly qps: number;
}

/**
 * Queries per second at a target recall, read off a recall–QPS curve:
 * - `interpolated`: the curve's monotone front (points no other point beats on both recall and
 *   QPS) brackets the target; log QPS is linear in recall between the two neighbouring points
 *   (a point exactly at the target gives its own QPS).
 * - `at-least`: every point of the curve is above the target; the fastest one's QPS is a lower
 *   bound (no extrapolation below the curve).
 * - `not-reached`: no point reaches the target (no extrapolation above the curve); qps undefined.
 */
export interface EqualRecall {
  readonly target: number;
  readonly kind: 'interpolated' | 'at-least' | 'not-reached';
  readonly qps: number | undefined;
}

/** The monotone front of a curve: recall ascending, QPS strictly descending. */
export function recallFront<T extends CurvePoint>(points: readonly T[]): T[] {
  const sorted = [...points]
    .filter((p) => Number.isFinite(p.recall) && p.qps > 0)
    .sort((a, b) => b.recall - a.recall || b.qps - a.qps);
  const front: T[] = [];
  let best = Number.NEGATIVE_INFINITY;
  for (const p of sorted) {
    if (p.qps > best) {
      front.push(p);
      best = p.qps;
    }
  }
  return front.reverse();
}

/** QPS at `target` recall on one curve (see {@link EqualRecall}). */
export function qpsAtRecall(points: readonly CurvePoint[], target: number): EqualRecall {
  const front = recallFront(points);
  const last = front.at(-1);
  if (last === undefined || last.recall < target) return { target, kind: 'not-reached', qps: undefined };
  const first = front[0] as CurvePoint;
  if (first.recall > target) return { target, kind: 'at-least', qps: first.qps };
  for (let i = 0; i < front.length; i++) {
    const hi = front[i] as CurvePoint;
    if (hi.recall < target) continue;
    if (hi.recall === target || i === 0) return { target, kind: 'interpolated', qps: hi.qps };
    const lo = front[i - 1] as CurvePoint;
    const t = (target - lo.recall) / (hi.recall - lo.recall);
    const logQps = Math.log(lo.qps) + t * (Math.log(hi.qps) - Math.log(lo.qps));
    return { target, kind: 'interpolated', qps: Math.exp(logQps) };
  }
  return { target, kind: 'not-reached', qps: undefined };
}

/**
 * The equal-recall rule the benchmark and `embrec index autotune` share: among measured settings,
 * the cheapest (highest QPS) whose measured recall ≥ target; undefined when none reaches it.
 */
export function fastestAtRecall<T extends CurvePoint>(points: readonly T[], target: number): T | undefined {
  let best: T | undefined;
  for (const p of points) if (p.recall >= target && (best === undefined || p.qps > best.qps)) best = p;
  return best;
}

/** One curve per index name and (batch, threads) mode, QPS at each target recall. */
export interface EqualRecallRow {
  readonly index: string;
  readonly batch: number;
  readonly threads: number;
  readonly at: readonly EqualRecall[];
}

export const EQUAL_RECALL_TARGETS: readonly number[] = [0.9, 0.95, 0.99];

/** Groups sweep rows into curves (index × mode) and reads each at the targets. */
export function equalRecallRows(
  rows: readonly SweepRow[],
  targets: readonly number[] = EQUAL_RECALL_TARGETS,
): EqualRecallRow[] {
  const curves = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const key = `${r.index}\u0000${r.batch}\u0000${r.threads}`;
    const list = curves.get(key) ?? [];
    list.push(r);
    curves.set(key, list);
  }
  return [...curves.values()].map((list) => {
    const r0 = list[0] as SweepRow;
    return {
      index: r0.index,
      batch: r0.batch,
      threads: r0.threads,
      at: targets.map((t) => qpsAtRecall(list, t)),
    };
  });
}

/** A cell of the equal-recall table: "1234", "≥ 1234" or "not reached". */
export function equalRecallCell(e: EqualRecall): string {
  if (e.qps === undefined) return 'not reached';
  const v = e.qps >= 100 ? e.qps.toFixed(0) : e.qps.toPrecision(3);
  return e.kind === 'at-least' ? `≥ ${v}` : v;
}

/** Markdown table: one row per curve, one column per target recall. */
export function equalRecallMarkdown(rows: readonly EqualRecallRow[], k: number): string {
  const targets = rows[0]?.at.map((e) => e.target) ?? EQUAL_RECALL_TARGETS;
  const L = [
    `| index | batch | threads | ${targets.map((t) => `QPS @ recall@${k} ${t}`).join(' | ')} |`,
    `|---|---|---|${targets.map(() => '---|').join('')}`,
  ];
  for (const r of rows) {
    L.push(`| ${r.index} | ${r.batch} | ${r.threads} | ${r.at.map(equalRecallCell).join(' | ')} |`);
  }
  return `${L.join('\n')}\n`;
}
