import type { LossComponent, LossInputs, MetricSet, Rng, SortedRows, TrialContext } from '@embrec/core';
import { hasItem, UsageError } from '@embrec/core';
import { ensureGradients } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';
import { BatchLookup } from '../training/lookup.ts';
import { Optimizer } from '../training/optimizer.ts';
import type { NcfNet, NcfPath } from './net.ts';
import type { NcfTrainConfig } from './schema.ts';

/**
 * One batch of groups: group g is user `users[g]` with `1 + negatives` items, the positive first
 * (`items` is [B, 1 + negatives] row-major), and optional per-pair extra inputs.
 */
export interface Groups {
  readonly users: Int32Array; // [B]
  readonly items: Int32Array; // [B * (1 + negatives)]
  readonly negatives: number;
  readonly extras?: Float32Array; // [B * (1 + negatives), extras]
}

/** Makes the groups of one epoch, batch by batch. */
export type EpochSource = (epoch: number, rng: Rng) => Iterable<Groups>;

export interface NcfFitOptions {
  readonly cfg: NcfTrainConfig;
  readonly path: NcfPath;
  readonly lr: number;
  readonly epochs: number;
  readonly loss?: LossComponent | undefined;
  readonly validate?: (() => Promise<MetricSet>) | undefined;
  readonly ctx: TrialContext;
  readonly label: string;
  /** Sees every batch before it is used (tests check that no test item enters training). */
  readonly onBatch?: ((g: Groups) => void) | undefined;
}

/**
 * The NCF training loop: per batch, logits of each group's positive and negatives [B, 1+n], then
 * the pointwise log loss of the paper (label 1 for the positive, 0 for the negatives, averaged over
 * all B(1+n) pairs), or a registered loss with explicit negatives. Scores are not dot products, so a
 * registered loss receives them as 1-d "vectors": query = 1, positive = s⁺ [B, 1], negatives = s⁻
 * [B, n, 1], which makes its q·p and q·n the NCF scores. Sparse Adam/Adagrad on embedding rows,
 * early stopping on validation data, the best epoch's weights restored.
 */
export async function fitNcf(
  net: NcfNet,
  source: EpochSource,
  o: NcfFitOptions,
): Promise<{ epochs: number; best?: number }> {
  await ensureGradients(); // on first use, not at import
  const { cfg, ctx, loss } = o;
  if (loss && loss.needs !== 'negatives') {
    throw new UsageError(
      `ncf: loss needs in-batch negatives, but NCF scores are not dot products: use a loss with explicit negatives (bpr, sampled-softmax, triplet) or leave loss unset for the log loss`,
    );
  }
  const opt = new Optimizer({
    type: cfg.optimizer,
    beta1: 0.9,
    beta2: 0.999,
    eps: cfg.optimizer === 'adagrad' ? 1e-10 : 1e-8,
    weightDecay: cfg.weightDecay,
  });
  const es = cfg.earlyStopping;
  const rng = ctx.rng.fork(`ncf.${o.label}`);
  let best: number | undefined;
  let bad = 0;
  let snapshot: Map<string, Float32Array> | undefined;
  let epoch = 0;
  for (; epoch < o.epochs; epoch++) {
    let sum = 0;
    let steps = 0;
    for (const g of source(epoch, rng.fork(`epoch-${epoch}`))) {
      if (steps % 8 === 0) await new Promise((r) => setImmediate(r));
      if (ctx.signal.aborted) throw new UsageError('training was aborted');
      o.onBatch?.(g);
      sum += step(net, o.path, opt, o.lr, g, loss);
      steps++;
    }
    const values: Record<string, number> = { [`${o.label}.loss`]: sum / Math.max(steps, 1) };
    if (o.label === 'ncf') values.loss = sum / Math.max(steps, 1);
    if (o.validate && ((epoch + 1) % cfg.validateEvery === 0 || epoch + 1 === o.epochs)) {
      const m = await o.validate();
      for (const [k, v] of Object.entries(m.values)) values[k] = v;
      if (es) {
        const v = m.values[es.metric];
        if (v === undefined) {
          throw new UsageError(
            `ncf: train.earlyStopping.metric "${es.metric}" is not among the validation metrics (found: ${Object.keys(m.values).join(', ')})`,
          );
        }
        if (best === undefined || v > best) {
          best = v;
          bad = 0;
          snapshot = net.store.snapshot();
        } else if (++bad >= es.patience) {
          ctx.log.info(`ncf ${o.label}: early stopping after epoch ${epoch + 1}, best ${es.metric} ${best}`);
          ctx.logMetrics(values, epoch);
          epoch++;
          break;
        }
      }
    }
    ctx.logMetrics(values, epoch);
  }
  if (snapshot) net.store.restore(snapshot);
  return best === undefined ? { epochs: epoch } : { epochs: epoch, best };
}

/** One optimisation step on a batch of groups; returns the batch loss. */
function step(
  net: NcfNet,
  path: NcfPath,
  opt: Optimizer,
  lr: number,
  g: Groups,
  loss?: LossComponent,
): number {
  const B = g.users.length;
  const w = 1 + g.negatives;
  const pairUsers = new Int32Array(B * w);
  for (let b = 0; b < B; b++) pairUsers.fill(g.users[b]!, b * w, (b + 1) * w);
  const lookup = new BatchLookup(true);
  try {
    const plan = net.plan(pairUsers, g.items, lookup, g.extras);
    lookup.materialize();
    const dense = net.store.denseParams();
    const vars = [...dense.map((p) => p.variable), ...lookup.variables()];
    const { value, grads } = tf.variableGrads(() => {
      const logits = tf.reshape(net.forward(plan, lookup, path), [B, w]) as tf.Tensor2D; // [B, 1+n]
      const pos = tf.slice(logits, [0, 0], [B, 1]); // [B, 1]
      const neg = tf.slice(logits, [0, 1], [B, g.negatives]); // [B, n]
      if (!loss) {
        // −[log σ(s⁺) + Σ log(1 − σ(s⁻))] / (B(1+n)), with log σ(x) = −softplus(−x)
        const l = tf.add(tf.sum(tf.softplus(tf.neg(pos))), tf.sum(tf.softplus(neg)));
        return tf.div(l, B * w) as tf.Scalar;
      }
      const inputs: LossInputs = {
        query: tf.ones([B, 1]) as tf.Tensor2D,
        positive: pos as tf.Tensor2D,
        negatives: tf.reshape(neg, [B, g.negatives, 1]),
        positiveIds: Int32Array.from({ length: B }, (_, b) => g.items[b * w]!),
        negativeIds: Int32Array.from(
          { length: B * g.negatives },
          (_, k) => g.items[Math.floor(k / g.negatives) * w + 1 + (k % g.negatives)]!,
        ),
      };
      return loss.compute(inputs);
    }, vars);
    const l = value.dataSync()[0]!;
    value.dispose();
    if (!Number.isFinite(l)) {
      for (const t of Object.values(grads)) t.dispose();
      throw new UsageError(`ncf: the loss became ${l}: lower the learning rate`);
    }
    opt.begin();
    for (const p of dense) {
      const gr = grads[p.variable.name];
      if (!gr) continue;
      opt.updateDense(p, gr.dataSync() as Float32Array, lr);
      net.store.sync(p);
    }
    for (const e of lookup.entries()) {
      const gr = grads[e.variable.name];
      if (!gr) continue;
      opt.updateRows(e.table, e.rows, gr.dataSync() as Float32Array, lr);
    }
    for (const t of Object.values(grads)) t.dispose();
    return l;
  } finally {
    lookup.dispose();
  }
}

/**
 * The paper's training instances: every training (user, item) pair with `negatives` items drawn
 * uniformly from those the user has no training interaction with (and none of `forbid`), in a
 * shuffled order, `batchSize` groups per batch.
 */
export function sampledNegatives(
  users: Int32Array,
  items: Int32Array,
  numItems: number,
  seen: SortedRows,
  negatives: number,
  batchSize: number,
  forbid?: SortedRows,
  extras = 0,
): EpochSource {
  return function* (_epoch, rng) {
    const n = users.length;
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const w = 1 + negatives;
    for (let from = 0; from < n; from += batchSize) {
      const B = Math.min(batchSize, n - from);
      const gu = new Int32Array(B);
      const gi = new Int32Array(B * w);
      for (let b = 0; b < B; b++) {
        const r = order[from + b]!;
        const u = users[r]!;
        gu[b] = u;
        gi[b * w] = items[r]!;
        for (let k = 1; k < w; k++) {
          let j = rng.int(numItems);
          for (let t = 0; t < 100 && (hasItem(seen, u, j) || (forbid && hasItem(forbid, u, j))); t++)
            j = rng.int(numItems);
          // a forbidden (test) item never enters a batch, even when rejection sampling gave up
          for (let t = 0; forbid && hasItem(forbid, u, j) && t < numItems; t++) j = (j + 1) % numItems;
          gi[b * w + k] = j;
        }
      }
      yield extras > 0
        ? { users: gu, items: gi, negatives, extras: new Float32Array(B * w * extras) }
        : { users: gu, items: gi, negatives };
    }
  };
}
