/**
 * Exercise 6's third comparison: the pipeline (a metric "(pipeline)" of ex6-retrieval-ranking's
 * ranker=neumf trials) against NeuMF alone (the full-ranking metric of ex6-neumf-alone's trials).
 * `embrec report` pairs groups of one sweep and `embrec compare` two trials of the same kind; this
 * pairs trial groups of two sweeps the way the report does: each user's metric averaged over the
 * group's seeds, then a paired t-test over the users both sides evaluated.
 *
 *   node --conditions=source --import tsx experiments/ex6-paired-test.ts \
 *     <sweepA> <trial prefix A> "<metric A>" <sweepB> <trial prefix B> "<metric B>"
 *
 * e.g. runs/ex6-retrieval-ranking "ranker=neumf" "HR@10 (pipeline)" runs/ex6-neumf-alone "seed=" "HR@10"
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readPerUser, UsageError } from '@embrec/core';
import { pairedTTest } from '@embrec/eval';

/** Each user's `metric` averaged over the finished trials of `sweep` whose name starts with `prefix`. */
export function perUserMean(
  sweep: string,
  prefix: string,
  metric: string,
): { trials: string[]; means: Map<string, number> } {
  const trials = readdirSync(sweep)
    .filter((n) => n.startsWith(prefix) && statSync(join(sweep, n)).isDirectory())
    .sort();
  if (trials.length === 0) throw new UsageError(`${sweep}: no trial folder starts with "${prefix}"`);
  const acc = new Map<string, { s: number; n: number }>();
  for (const t of trials) {
    const all = readPerUser(join(sweep, t));
    const v = all[metric];
    if (!v)
      throw new UsageError(
        `${join(sweep, t)}: no per-user "${metric}" (has: ${Object.keys(all).join(', ')})`,
      );
    v.users.forEach((u, i) => {
      const a = acc.get(u) ?? { s: 0, n: 0 };
      a.s += v.values[i]!;
      a.n++;
      acc.set(u, a);
    });
  }
  return { trials, means: new Map([...acc].map(([u, a]) => [u, a.s / a.n])) };
}

/** The paired t-test of side A against side B over the users both cover. */
export function pairedAcross(
  a: { sweep: string; prefix: string; metric: string },
  b: { sweep: string; prefix: string; metric: string },
) {
  const A = perUserMean(a.sweep, a.prefix, a.metric);
  const B = perUserMean(b.sweep, b.prefix, b.metric);
  const xa: number[] = [];
  const xb: number[] = [];
  for (const [u, v] of A.means) {
    const w = B.means.get(u);
    if (w !== undefined) {
      xa.push(v);
      xb.push(w);
    }
  }
  const t = pairedTTest(xa, xb);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return { trialsA: A.trials, trialsB: B.trials, users: xa.length, a: mean(xa), b: mean(xb), ...t };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [sa, pa, ma, sb, pb, mb] = process.argv.slice(2);
  if (!sa || pa === undefined || !ma || !sb || pb === undefined || !mb) {
    process.stderr.write(
      'usage: ex6-paired-test.ts <sweepA> <trial prefix A> <metric A> <sweepB> <trial prefix B> <metric B>\n',
    );
    process.exit(2);
  }
  try {
    const r = pairedAcross({ sweep: sa, prefix: pa, metric: ma }, { sweep: sb, prefix: pb, metric: mb });
    process.stdout.write(
      `A: ${ma} over ${r.trialsA.length} trials of ${sa} (${pa}…) = ${r.a.toFixed(4)}\n` +
        `B: ${mb} over ${r.trialsB.length} trials of ${sb} (${pb}…) = ${r.b.toFixed(4)}\n` +
        `A − B = ${r.meanDiff.toFixed(4)} over ${r.users} paired users; paired t = ${r.t.toFixed(3)}, p = ${r.p.toPrecision(2)}\n`,
    );
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
}
