import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Dataset,
  Interactions,
  LossComponent,
  LossInputs,
  MetricSet,
  Rng,
  SamplerComponent,
  ScoringView,
  TrialContext,
} from '@embrec/core';
import { UsageError, userCsr, writeFolderAtomic, writeJsonAtomic } from '@embrec/core';
import { ensureGradients } from '@embrec/native';
import * as tf from '@tensorflow/tfjs-core';

import type { Tower } from '../embedding/tower.ts';
import { carryArrays, readArrays, writeArrays } from './checkpoint.ts';
import { BatchLookup } from './lookup.ts';
import { Optimizer } from './optimizer.ts';
import type { ParamStore } from './params.ts';
import { learningRate, type TrainConfig } from './schema.ts';

export interface TrainTarget {
  readonly store: ParamStore;
  readonly users: Tower;
  readonly items: Tower;
  /** Output vectors for ids of one side, computed without gradients: [ids.length, dim]. */
  encode(side: 'user' | 'item', ids: Int32Array): Float32Array;
  /** Called after every parameter update (invalidates cached embedding tables). */
  touched(): void;
}

export interface TrainInput {
  readonly train: Interactions;
  readonly dataset?: Dataset;
  readonly ctx: TrialContext;
  readonly loss: LossComponent;
  readonly sampler?: SamplerComponent | undefined;
  readonly validate?: (() => Promise<MetricSet>) | undefined;
}

export interface TrainResult {
  readonly epochs: number;
  readonly bestEpoch?: number;
  readonly best?: number;
  readonly history: { epoch: number; values: Record<string, number> }[];
}

interface State {
  epoch: number; // epochs completed
  step: number;
  best?: number;
  bestEpoch?: number;
  bad: number;
  /** The first epoch's mean loss: a later epoch 100× above it has diverged. */
  firstLoss?: number;
  history: { epoch: number; values: Record<string, number> }[];
}

/** Training row indices grouped by user: rows of users[k] are rows[starts[k]..starts[k + 1]). */
interface RowsByUser {
  readonly users: Int32Array;
  readonly starts: Int32Array;
  readonly rows: Int32Array;
}

/** Groups the training rows by user (users with at least one row, in index order). */
export function rowsByUser(data: Interactions): RowsByUser {
  const n = data.users.length;
  const rowsPerUser = new Int32Array(data.userIds.size + 1);
  for (let i = 0; i < n; i++) rowsPerUser[data.users[i]! + 1]!++;
  for (let u = 0; u < data.userIds.size; u++) rowsPerUser[u + 1]! += rowsPerUser[u]!;
  const fill = rowsPerUser.slice(0, data.userIds.size);
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[fill[data.users[i]!]!++] = i;
  const users: number[] = [];
  const starts: number[] = [];
  for (let u = 0; u < data.userIds.size; u++)
    if (rowsPerUser[u + 1]! > rowsPerUser[u]!) {
      users.push(u);
      starts.push(rowsPerUser[u]!);
    }
  starts.push(n);
  return { users: Int32Array.from(users), starts: Int32Array.from(starts), rows };
}

/**
 * The rows one epoch visits, in order: every row once, shuffled; or (`byUser`) as many draws of
 * a uniform user and then a uniform row of that user, so each user weighs the same whatever its
 * number of rows (LightGCN's reference sampler, `UniformSample_original`).
 */
export function epochRows(n: number, byUser: RowsByUser | undefined, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  if (!byUser) {
    for (let i = 0; i < n; i++) order[i] = i;
    rng.shuffle(order);
    return order;
  }
  const { starts, rows } = byUser;
  const m = byUser.users.length;
  for (let i = 0; i < n; i++) {
    const k = rng.int(m);
    const lo = starts[k]!;
    order[i] = rows[lo + rng.int(starts[k + 1]! - lo)]!;
  }
  return order;
}

/** An epoch loss this many times the first epoch's fails the trial. */
const DIVERGED = 100;

/**
 * The training loop shared by the embedding models: shuffled mini-batches, negatives from the
 * sampler, loss, sparse Adam/Adagrad, learning-rate schedule, per-epoch validation with early
 * stopping (on validation data only: `validate` never sees test), a checkpoint per epoch with resume,
 * and per-epoch metrics. Every random draw comes from ctx.rng forks keyed by epoch, so a resumed run
 * draws the same batches as an uninterrupted one, and it logs the epochs before the resume again so
 * that the trial's history holds every epoch. The checkpoint (parameters, best snapshot, state) is
 * one folder replaced as a unit. A non-finite loss, or an epoch loss 100× the first epoch's, fails
 * training with that reason.
 */
export async function train(target: TrainTarget, cfg: TrainConfig, input: TrainInput): Promise<TrainResult> {
  // tfjs-core's Node entry registers no gradients; this does (on first use, not at import).
  await ensureGradients();
  const { train: data, ctx, loss, sampler } = input;
  const n = data.users.length;
  if (n === 0) throw new UsageError('cannot train on empty training interactions');
  if (loss.needs === 'negatives' && (!sampler || sampler.mode === 'in-batch')) {
    throw new UsageError(
      `the loss needs explicit negatives but the sampler is ${sampler ? `"in-batch"` : 'missing'}: use sampler uniform, popularity, mixed or hard`,
    );
  }
  sampler?.init(data, input.dataset);
  const posLogQ = sampler?.positiveLogQ();
  const { store } = target;
  for (const [i, v] of loss.variables.entries())
    if (!store.params.has(`loss.${i}`)) store.adopt(`loss.${i}`, v);
  const opt = new Optimizer({
    type: cfg.optimizer,
    beta1: cfg.beta1,
    beta2: cfg.beta2,
    eps: cfg.optimizer === 'adagrad' ? Math.max(cfg.eps, 1e-10) : cfg.eps,
    weightDecay: cfg.weightDecay,
    precision: cfg.optimizerPrecision,
  });
  const stepsPerEpoch = Math.ceil(n / cfg.batchSize);
  const base = ctx.rng.fork('trainer');
  const view = makeView(target, data, cfg.viewRefresh);
  const byUser = cfg.sampling === 'users' ? rowsByUser(data) : undefined;
  const ckDir = join(ctx.checkpointDir, 'trainer');
  let state: State = { epoch: 0, step: 0, bad: 0, history: [] };
  let bestSnapshot: Map<string, Float32Array> | undefined;
  let bestChanged = false;

  if (cfg.checkpoint && existsSync(join(ckDir, 'state.json'))) {
    state = JSON.parse(readFileSync(join(ckDir, 'state.json'), 'utf8')) as State;
    restoreAll(store, opt, readArrays(ckDir, 'params'));
    opt.step = state.step;
    if (existsSync(join(ckDir, 'best.json'))) bestSnapshot = readArrays(ckDir, 'best');
    target.touched();
    ctx.log.info(`resuming training from the checkpoint after epoch ${state.epoch}`);
    for (const h of state.history) ctx.logMetrics(h.values, h.epoch);
  }

  const es = cfg.earlyStopping;
  if (es && !input.validate) {
    ctx.log.warn('earlyStopping is set but the split has no validation data: training all epochs');
  }
  let stopped = false;
  for (let epoch = state.epoch; epoch < cfg.epochs && !stopped; epoch++) {
    const rng = base.fork(`epoch-${epoch}`);
    const order = epochRows(n, byUser, rng);
    const bar = ctx.progress(`epoch ${epoch + 1}/${cfg.epochs}`, stepsPerEpoch);
    let lossSum = 0;
    const t0 = performance.now();
    for (let s = 0; s < stepsPerEpoch; s++) {
      // yield to the event loop so that signals (Ctrl-C → ctx.signal) and progress output get through
      if (s % 8 === 0) await new Promise((r) => setImmediate(r));
      if (ctx.signal.aborted) throw new UsageError('training was aborted');
      const from = s * cfg.batchSize;
      const b = Math.min(cfg.batchSize, n - from);
      const users = new Int32Array(b);
      const items = new Int32Array(b);
      for (let i = 0; i < b; i++) {
        const r = order[from + i]!;
        users[i] = data.users[r]!;
        items[i] = data.items[r]!;
      }
      const neg = sampler?.sample({ users, items }, rng, view);
      const l = step(
        target,
        loss,
        opt,
        learningRate(cfg, state.step, stepsPerEpoch),
        users,
        items,
        neg,
        posLogQ,
        rng,
      );
      state.step++;
      target.touched();
      lossSum += l;
      const secs = (performance.now() - t0) / 1000;
      bar.tick(1, {
        loss: Number((lossSum / (s + 1)).toFixed(4)),
        'ex/s': Math.round((from + b) / Math.max(secs, 1e-6)),
      });
    }
    bar.done();
    const values: Record<string, number> = { loss: lossSum / stepsPerEpoch };
    if (loss.variables.length === 1 && loss.variables[0]!.size === 1)
      values.temperature = Math.exp(loss.variables[0]!.dataSync()[0]!);
    if (input.validate && ((epoch + 1) % cfg.validateEvery === 0 || epoch + 1 === cfg.epochs)) {
      const m = await input.validate();
      for (const [k, v] of Object.entries(m.values)) values[k] = v;
      if (es) {
        const v = m.values[es.metric];
        if (v === undefined) {
          throw new UsageError(
            `earlyStopping.metric "${es.metric}" is not among the validation metrics (found: ${Object.keys(m.values).join(', ')})`,
          );
        }
        if (state.best === undefined || v > state.best) {
          state.best = v;
          state.bestEpoch = epoch;
          state.bad = 0;
          bestSnapshot = store.snapshot();
          bestChanged = true;
        } else if (++state.bad >= es.patience) {
          ctx.log.info(
            `early stopping after epoch ${epoch + 1}: best ${es.metric} ${state.best} at epoch ${state.bestEpoch! + 1}`,
          );
          stopped = true;
        }
      }
    }
    ctx.logMetrics(values, epoch);
    state.firstLoss ??= values.loss!;
    checkDivergence(values.loss!, state.firstLoss, epoch);
    state.history.push({ epoch, values });
    state.epoch = epoch + 1;
    if (cfg.checkpoint) {
      const best = bestSnapshot;
      const rewriteBest = bestChanged;
      await writeFolderAtomic(ckDir, (tmp) => {
        writeArrays(tmp, 'params', allArrays(store));
        if (best && (rewriteBest || !carryArrays(ckDir, tmp, 'best'))) writeArrays(tmp, 'best', best);
        writeJsonAtomic(join(tmp, 'state.json'), state); // last: a folder with state.json is complete
      });
      bestChanged = false;
    }
  }
  if (es && bestSnapshot) {
    store.restore(bestSnapshot);
    target.touched();
  }
  const out: { -readonly [K in keyof TrainResult]: TrainResult[K] } = {
    epochs: state.epoch,
    history: state.history,
  };
  if (state.bestEpoch !== undefined) out.bestEpoch = state.bestEpoch;
  if (state.best !== undefined) out.best = state.best;
  return out;
}

/** Fails training whose epoch loss is not finite or has grown 100× above the first epoch's. */
function checkDivergence(loss: number, first: number, epoch: number): void {
  if (!Number.isFinite(loss)) {
    throw new UsageError(
      `the loss became ${loss} in epoch ${epoch + 1}: lower the learning rate or the temperature`,
    );
  }
  if (first > 0 && loss > DIVERGED * first) {
    throw new UsageError(
      `training diverged: the epoch ${epoch + 1} loss ${loss.toPrecision(4)} is more than ${DIVERGED}× the first epoch's (${first.toPrecision(4)}): lower the learning rate`,
    );
  }
}

/** One optimisation step; returns the batch loss. */
function step(
  target: TrainTarget,
  loss: LossComponent,
  opt: Optimizer,
  lr: number,
  users: Int32Array,
  items: Int32Array,
  neg: ReturnType<SamplerComponent['sample']>,
  posLogQ: Float32Array | undefined,
  rng: Rng,
): number {
  const lookup = new BatchLookup(true);
  try {
    // a user tower with a history leaves each row's positive out of that row's history
    const ub = target.users.plan(users, lookup, { rng, exclude: items });
    const ib = target.items.plan(items, lookup);
    const nb = neg ? target.items.plan(neg.items, lookup) : undefined;
    lookup.materialize();
    const b = users.length;
    const extra: { -readonly [K in keyof LossInputs]?: LossInputs[K] } = { positiveIds: items };
    if (posLogQ) extra.logQPositive = Float32Array.from(items, (i) => posLogQ[i]!);
    if (neg) {
      extra.negativeIds = neg.items;
      if (neg.logQ) extra.logQNegative = neg.logQ;
    }
    const dense = target.store.denseParams();
    const vars = [...dense.map((p) => p.variable), ...lookup.variables()];
    const { value, grads } = tf.variableGrads(() => {
      const train = { rng }; // input dropout masks, when a tower has dropout
      const query = target.users.forward(ub, lookup, train); // [B, D]
      const positive = target.items.forward(ib, lookup, train); // [B, D]
      let negatives: tf.Tensor | undefined;
      if (nb && neg) {
        const nv = target.items.forward(nb, lookup, train); // [B*N, D] or [N, D]
        negatives = neg.shared ? nv : tf.reshape(nv, [b, neg.perRow, -1]); // [B, N, D]
      }
      return loss.compute({ ...extra, query, positive, ...(negatives ? { negatives } : {}) } as LossInputs);
    }, vars);
    const l = value.dataSync()[0]!;
    value.dispose();
    if (!Number.isFinite(l)) {
      for (const g of Object.values(grads)) g.dispose();
      throw new UsageError(`the loss became ${l}: lower the learning rate or the temperature`);
    }
    opt.begin();
    for (const p of dense) {
      const g = grads[p.variable.name];
      if (!g) continue;
      opt.updateDense(p, g.dataSync() as Float32Array, lr);
      target.store.sync(p);
    }
    for (const e of lookup.entries()) {
      const g = grads[e.variable.name];
      if (!g) continue;
      opt.updateRows(e.table, e.rows, g.dataSync() as Float32Array, lr);
    }
    for (const g of Object.values(grads)) g.dispose();
    return l;
  } finally {
    lookup.dispose();
  }
}

/** Parameter values and optimizer moments, for a checkpoint. */
function allArrays(store: ParamStore): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, p] of store.params) {
    out.set(k, p.data);
    if (p.m) out.set(`${k}#m`, p.m);
    if (p.v) out.set(`${k}#v`, p.v);
  }
  return out;
}

function restoreAll(store: ParamStore, _opt: Optimizer, arrays: Map<string, Float32Array>): void {
  store.restore(arrays, 'checkpoint');
  for (const [k, p] of store.params) {
    const m = arrays.get(`${k}#m`);
    const v = arrays.get(`${k}#v`);
    if (m) p.m = Float32Array.from(m);
    if (v) p.v = Float32Array.from(v);
  }
}

/** The current model's scores, for hard-negative samplers. Item vectors refresh every `refresh` calls. */
function makeView(target: TrainTarget, train: Interactions, refresh: number): ScoringView {
  const csr = userCsr(train);
  const numItems = train.itemIds.size;
  let itemVecs: Float32Array | undefined;
  let calls = 0;
  const all = Int32Array.from({ length: numItems }, (_, i) => i);
  return {
    topItems(users, k) {
      if (!itemVecs || calls++ % refresh === 0) itemVecs = target.encode('item', all);
      const u = target.encode('user', users);
      const d = u.length / Math.max(users.length, 1);
      const kk = Math.min(k, numItems);
      const out = new Int32Array(users.length * kk).fill(-1);
      const iv = itemVecs;
      tf.tidy(() => {
        const scores = tf.matMul(
          tf.tensor2d(u, [users.length, d]),
          tf.tensor2d(iv, [numItems, d]),
          false,
          true,
        );
        const s = scores.dataSync() as Float32Array; // [U, I]
        for (let r = 0; r < users.length; r++) {
          const uu = users[r]!;
          if (uu < csr.rows)
            for (let p = csr.indptr[uu]!; p < csr.indptr[uu + 1]!; p++)
              s[r * numItems + csr.indices[p]!] = -Infinity;
        }
        const { indices } = tf.topk(tf.tensor2d(s, [users.length, numItems]), kk);
        const idx = indices.dataSync();
        for (let r = 0; r < users.length; r++)
          for (let j = 0; j < kk; j++)
            if (s[r * numItems + idx[r * kk + j]!] !== -Infinity) out[r * kk + j] = idx[r * kk + j]!;
      });
      return out;
    },
    scorePairs(users, items) {
      const u = target.encode('user', users);
      const v = target.encode('item', items);
      const d = u.length / Math.max(users.length, 1);
      const out = new Float32Array(users.length);
      for (let r = 0; r < users.length; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += u[r * d + j]! * v[r * d + j]!;
        out[r] = s;
      }
      return out;
    },
  };
}
