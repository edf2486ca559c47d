import type { SweepRow } from './sweep.ts';

/**
 * The recall/speed Pareto front of each (batch, threads) mode: rows no other row of the same mode
 * beats on both recall and queries per second. Sorted by mode, then by recall ascending.
 */
export function paretoFront(rows: readonly SweepRow[]): SweepRow[] {
  const byMode = new Map<string, SweepRow[]>();
  for (const r of rows) {
    const key = `${r.batch}/${r.threads}`;
    const list = byMode.get(key) ?? [];
    list.push(r);
    byMode.set(key, list);
  }
  const out: SweepRow[] = [];
  for (const list of byMode.values()) {
    // sweep from the highest recall down, keeping rows faster than every row of higher recall
    const sorted = [...list].sort((a, b) => b.recall - a.recall || b.qps - a.qps);
    let best = Number.NEGATIVE_INFINITY;
    const front: SweepRow[] = [];
    for (const r of sorted) {
      if (r.qps > best) {
        front.push(r);
        best = r.qps;
      }
    }
    out.push(...front.reverse());
  }
  return out;
}
