import type { MetricComponent, MetricContext, MetricValue, RankedLists } from '@embrec/core';
import { UsageError } from '@embrec/core';

/** Categories of an item attribute (categorical or multi-hot), by dense item index. */
function categories(
  ctx: MetricContext,
  name: string,
  metric: string,
): { size: number; of(i: number): readonly number[] } {
  const f = ctx.itemFeatures;
  const cat = f?.categorical[name];
  if (cat) return { size: cat.vocab.length, of: (i) => ((cat.values[i] ?? -1) >= 0 ? [cat.values[i]!] : []) };
  const bag = f?.multiHot[name];
  if (bag)
    return {
      size: bag.vocab.length,
      of: (i) =>
        i < bag.bags.rows
          ? Array.from(bag.bags.indices.subarray(bag.bags.indptr[i]!, bag.bags.indptr[i + 1]!))
          : [],
    };
  const names = [...Object.keys(f?.categorical ?? {}), ...Object.keys(f?.multiHot ?? {})];
  throw new UsageError(
    `metric ${metric}: unknown categorical or multi-hot item attribute "${name}" (item attributes: ${names.join(', ') || 'none'})`,
  );
}

/** Base of the list metrics: perUser is not defined without the user's context. */
function listMetric(
  name: string,
  type: string,
  compute: (lists: RankedLists, ctx: MetricContext, k: number) => MetricValue,
): MetricComponent {
  return {
    key: (k) => `${type.replaceAll('-', '_')}_at_${k}`,
    display: (k) => `${name}@${k}`,
    usesCutoff: true,
    perUser() {
      throw new UsageError(
        `metric ${name} is computed over all users' lists (with item attributes and histories): it needs an evaluator that calls aggregate()`,
      );
    },
    aggregate: compute,
  };
}

/** Valid items of row r, at most k. */
function row(l: RankedLists, r: number, k: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < Math.min(k, l.k); j++) {
    const i = l.ranked[r * l.k + j]!;
    if (i >= 0) out.push(i);
  }
  return out;
}

function mean(x: Float32Array): number {
  let s = 0;
  let n = 0;
  for (const v of x)
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  return n === 0 ? 0 : s / n;
}

/** Catalogue coverage@k: the share of all items that appear in at least one user's top k. */
export function catalogCoverage(): MetricComponent {
  return listMetric('CatalogCoverage', 'catalog-coverage', (l, ctx, k) => {
    const seen = new Uint8Array(ctx.numItems);
    for (let r = 0; r < l.users.length; r++) for (const i of row(l, r, k)) seen[i] = 1;
    return { value: seen.reduce((a, b) => a + b, 0) / Math.max(ctx.numItems, 1) };
  });
}

/**
 * Gini coefficient of exposure@k over all items (0 = every item shown equally often, → 1 = a few
 * items get all exposure): G = Σ_i (2i − n − 1) x_(i) / (n Σ x), x sorted ascending, i = 1..n.
 */
export function giniExposure(): MetricComponent {
  return listMetric('Gini', 'gini', (l, ctx, k) => {
    const x = new Float64Array(ctx.numItems);
    for (let r = 0; r < l.users.length; r++) for (const i of row(l, r, k)) x[i]!++;
    x.sort();
    const n = x.length;
    let total = 0;
    let w = 0;
    for (let i = 0; i < n; i++) {
      total += x[i]!;
      w += (2 * (i + 1) - n - 1) * x[i]!;
    }
    return { value: total === 0 || n === 0 ? 0 : w / (n * total) };
  });
}

/**
 * Novelty@k (Zhou et al. 2010): the mean self-information −log2(pop(i) / |U|) of the listed items,
 * pop(i) = training users of item i (at least 1), |U| = users with training data.
 */
export function novelty(): MetricComponent {
  return listMetric('Novelty', 'novelty', (l, ctx, k) => {
    let users = 0;
    for (let u = 0; u < ctx.history.rows; u++)
      if (ctx.history.indptr[u + 1]! > ctx.history.indptr[u]!) users++;
    const per = new Float32Array(l.users.length);
    for (let r = 0; r < l.users.length; r++) {
      const items = row(l, r, k);
      let s = 0;
      for (const i of items) s += -Math.log2(Math.max(ctx.popularity[i] ?? 0, 1) / Math.max(users, 1));
      per[r] = items.length === 0 ? Number.NaN : s / items.length;
    }
    return { value: mean(per), perUser: per };
  });
}

/**
 * Intra-list diversity@k (Ziegler et al. 2005): the mean over item pairs of a list of 1 − sim, with
 * sim the Jaccard overlap of an attribute's categories, or the cosine of the item embeddings.
 */
export function intraListDiversity(attribute?: string): MetricComponent {
  return listMetric('ILD', 'ild', (l, ctx, k) => {
    let sim: (a: number, b: number) => number;
    if (attribute !== undefined) {
      const c = categories(ctx, attribute, 'ild');
      sim = (a, b) => {
        const x = new Set(c.of(a));
        const y = c.of(b);
        let inter = 0;
        for (const v of y) if (x.has(v)) inter++;
        const union = x.size + y.length - inter;
        return union === 0 ? 0 : inter / union;
      };
    } else {
      const t = ctx.itemEmbeddings;
      if (!t)
        throw new UsageError(
          "metric ild: the model has no item embeddings: set the metric's attribute (e.g. genres)",
        );
      const d = t.dim;
      sim = (a, b) => {
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let x = 0; x < d; x++) {
          const va = t.vectors[a * d + x]!;
          const vb = t.vectors[b * d + x]!;
          dot += va * vb;
          na += va * va;
          nb += vb * vb;
        }
        return dot / (Math.sqrt(na * nb) || 1);
      };
    }
    const per = new Float32Array(l.users.length);
    for (let r = 0; r < l.users.length; r++) {
      const items = row(l, r, k);
      let s = 0;
      let n = 0;
      for (let a = 0; a < items.length; a++)
        for (let b = a + 1; b < items.length; b++) {
          s += 1 - sim(items[a]!, items[b]!);
          n++;
        }
      per[r] = n === 0 ? Number.NaN : s / n;
    }
    return { value: mean(per), perUser: per };
  });
}

/**
 * Miscalibration@k (Steck 2018): KL(p ‖ q̃) between the genre distribution p of the user's training
 * history and that of the list, q̃ = (1 − α) q + α p (α = 0.01); each item spreads its weight
 * uniformly over its genres. Lower is better calibrated.
 */
export function calibrationKl(attribute = 'genres', alpha = 0.01): MetricComponent {
  return listMetric('CalibrationKL', 'calibration-kl', (l, ctx, k) => {
    const c = categories(ctx, attribute, 'calibration-kl');
    const G = c.size;
    const dist = (items: Iterable<number>): Float64Array => {
      const p = new Float64Array(G);
      let n = 0;
      for (const i of items) {
        const gs = c.of(i);
        for (const g of gs) p[g]! += 1 / gs.length;
        if (gs.length > 0) n++;
      }
      if (n > 0) for (let g = 0; g < G; g++) p[g]! /= n;
      return p;
    };
    const h = ctx.history;
    const per = new Float32Array(l.users.length);
    for (let r = 0; r < l.users.length; r++) {
      const u = l.users[r]!;
      const p = dist(u < h.rows ? h.indices.subarray(h.indptr[u]!, h.indptr[u + 1]!) : []);
      const q = dist(row(l, r, k));
      let kl = 0;
      let any = false;
      for (let g = 0; g < G; g++) {
        if (p[g]! <= 0) continue;
        any = true;
        kl += p[g]! * Math.log(p[g]! / ((1 - alpha) * q[g]! + alpha * p[g]!));
      }
      per[r] = any ? kl : Number.NaN;
    }
    return { value: mean(per), perUser: per };
  });
}
