import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Trial } from '../config/load.ts';
import type { TrialConfig } from '../config/sections.ts';
import { EmbrecError, PluginError } from '../errors.ts';
import type { TrialScope } from '../plugin/container.ts';
import type { DepsSpec } from '../plugin/define.ts';
import type {
  ComponentKind,
  ComponentKinds,
  EvaluatorComponent,
  IndexComponent,
  ModelComponent,
  QueryItemLists,
  Scorer,
} from '../plugin/kinds.ts';
import { Registry } from '../plugin/registry.ts';
import type { Interactions } from '../types/interactions.ts';
import { userCsr } from '../types/interactions.ts';
import type { CandidateSet, Dataset, MetricSet, Splits } from '../types/values.ts';
import type { Logger } from '../util/log.ts';
import { writeEmbeddingTable, writePerUser } from './artifacts.ts';
import { makeCreateContext, makeTrialContext, type TrialEnv } from './context.ts';
import { writeJsonAtomic } from './fs.ts';
import { layout } from './layout.ts';
import { type RecommendationSample, sampleRecommendations } from './samples.ts';

export interface TrialOutput {
  readonly metrics: Record<string, number>;
  readonly protocol: string;
  readonly stages: Record<string, number>;
  readonly samples: readonly RecommendationSample[];
}

export class AbortedError extends EmbrecError {
  constructor() {
    super('E_ABORTED', 'interrupted');
  }
}

/**
 * Runs one trial's pipeline: data → split → fit → embed → index → retrieve → rank → rerank →
 * evaluate. Stages run for the components present; each is timed. Failures inside plugin code
 * become PluginErrors naming the plugin, component and stage.
 */
export async function runTrial(opts: {
  trial: Trial;
  file: string;
  registry: Registry;
  scope: TrialScope;
  env: TrialEnv;
  log: Logger;
  onStage: (stage: string, ms: number) => void;
  setupBackend: (name: TrialConfig['backend'], threads: number) => Promise<string | undefined>;
}): Promise<TrialOutput> {
  const { trial, registry, scope, env, log } = opts;
  const cfg = trial.config;
  const stages: Record<string, number> = {};
  const made = new Map<string, unknown>();

  const siteOf = (kind: string, type: string, stage: string, hook?: string) => {
    const c = registry.get(kind, type);
    return hook
      ? { plugin: c.plugin.meta.name, component: c.qualifiedType, kind, stage, hook }
      : { plugin: c.plugin.meta.name, component: c.qualifiedType, kind, stage };
  };
  /** Calls plugin code, attributing failures. */
  const guard = async <T>(
    kind: string,
    type: string,
    stage: string,
    hook: string,
    fn: () => T | Promise<T>,
  ): Promise<T> => {
    if (env.signal.aborted) throw new AbortedError();
    try {
      return await fn();
    } catch (e) {
      if (e instanceof AbortedError || e instanceof PluginError) throw e;
      if (env.signal.aborted) throw new AbortedError();
      throw new PluginError(siteOf(kind, type, stage, hook), e);
    }
  };

  const sectionBlock = (kind: ComponentKind): { type: string } | undefined => {
    const map: Partial<Record<ComponentKind, keyof TrialConfig>> = {
      dataset: 'dataset',
      splitter: 'split',
      model: 'model',
      loss: 'loss',
      sampler: 'sampler',
      index: 'index',
      ranker: 'ranker',
      evaluator: 'evaluate',
    };
    const key = map[kind];
    return key ? (cfg[key] as { type: string } | undefined) : undefined;
  };

  const create = async <K extends ComponentKind>(
    kind: K,
    block: { type: string },
    path: string,
  ): Promise<ComponentKinds[K]> => {
    const def = scope.factory(kind, Registry.qualify(block.type));
    const { type, ...params } = block as { type: string; [k: string]: unknown };
    const deps: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries((def.deps ?? {}) as DepsSpec)) {
      const depKind = typeof spec === 'string' ? spec : spec.kind;
      const optional = typeof spec !== 'string' && spec.optional;
      const depBlock = sectionBlock(depKind as ComponentKind);
      if (!depBlock) {
        if (optional) continue;
        throw new EmbrecError(
          'E_MISSING_DEP',
          `${kind} "${Registry.display(type)}" needs a ${depKind}: add a "${depKind === 'splitter' ? 'split' : depKind}:" section to the experiment`,
        );
      }
      deps[key] = await get(depKind as ComponentKind, depBlock, depKind);
    }
    const ctx = makeTrialContext(env, log, `${kind}:${Registry.display(type)}`);
    const cctx = makeCreateContext(ctx, registry, opts.file, path, (k, b, p) => create(k, b, p));
    const instance = await guard(kind, type, 'create', 'create', () =>
      def.create(params as never, deps as never, cctx),
    );
    return scope.own(instance) as ComponentKinds[K];
  };
  const get = async <K extends ComponentKind>(
    kind: K,
    block: { type: string },
    path: string,
  ): Promise<ComponentKinds[K]> => {
    const key = `${kind}|${path}`;
    if (!made.has(key)) made.set(key, await create(kind, block, path));
    return made.get(key) as ComponentKinds[K];
  };
  const ctxFor = (kind: string, type: string) =>
    makeTrialContext(env, log, `${kind}:${Registry.display(type)}`);
  const timed = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    const ms = performance.now() - t0;
    stages[stage] = ms;
    opts.onStage(stage, ms);
    return out;
  };

  checkPipelineSizes(cfg);
  const backend = await opts.setupBackend(cfg.backend, cfg.threads);
  if (backend) log.info(`tensor backend: ${backend}`);

  // data + split ------------------------------------------------------------------------------
  let dataset: Dataset = await timed('data', async () => {
    const ds = await get('dataset', cfg.dataset, 'dataset');
    return guard('dataset', cfg.dataset.type, 'data', 'load', () =>
      ds.load(ctxFor('dataset', cfg.dataset.type)),
    );
  });
  for (let i = 0; i < cfg.transforms.length; i++) {
    const b = cfg.transforms[i]!;
    const t = await get('transform', b, `transforms[${i}]`);
    dataset = await guard('transform', b.type, 'data', 'apply', () =>
      t.apply(dataset, ctxFor('transform', b.type)),
    );
  }
  const splits: Splits = await timed('split', async () => {
    const s = await get('splitter', cfg.split, 'split');
    return guard('splitter', cfg.split.type, 'split', 'split', () =>
      s.split(dataset, ctxFor('splitter', cfg.split.type)),
    );
  });
  log.info(
    `data: ${splits.train.userIds.size} users, ${splits.train.itemIds.size} items; train ${splits.train.users.length}, ` +
      `valid ${splits.valid?.users.length ?? 0}, test ${splits.test.users.length} interactions`,
  );

  // fit ---------------------------------------------------------------------------------------
  const evaluator: EvaluatorComponent = await get('evaluator', cfg.evaluate, 'evaluate');
  const maskValid = (cfg.evaluate as { maskValid?: boolean }).maskValid === true;
  const model: ModelComponent = await get('model', cfg.model, 'model');
  const evalCtx = ctxFor('evaluator', cfg.evaluate.type);
  const valid = splits.valid;
  const validate = valid
    ? () =>
        guard('evaluator', cfg.evaluate.type, 'fit', 'validate', () => {
          const s = model.scorer();
          return evaluator.evaluate({
            scorer: s,
            mask: [splits.train],
            target: valid,
            train: splits.train,
            ctx: evalCtx,
            ...(dataset.itemFeatures ? { itemFeatures: dataset.itemFeatures } : {}),
            ...(s.kind === 'embeddings' ? { itemEmbeddings: s.items } : {}),
          });
        })
    : undefined;
  await timed('fit', () =>
    guard('model', cfg.model.type, 'fit', 'fit', () =>
      model.fit(
        validate
          ? { dataset, splits, ctx: ctxFor('model', cfg.model.type), validate }
          : { dataset, splits, ctx: ctxFor('model', cfg.model.type) },
      ),
    ),
  );

  // embed -------------------------------------------------------------------------------------
  const scorer: Scorer = await timed('embed', async () => {
    const s = await guard('model', cfg.model.type, 'embed', 'scorer', () => model.scorer());
    if (s.kind === 'embeddings') {
      const dir = join(layout.artifacts(env.stagingDir), 'embeddings');
      mkdirSync(dir, { recursive: true });
      writeEmbeddingTable(dir, 'users', s.users);
      writeEmbeddingTable(dir, 'items', s.items);
    }
    if (model.save) {
      const dir = join(layout.artifacts(env.stagingDir), 'model');
      mkdirSync(dir, { recursive: true });
      await guard('model', cfg.model.type, 'embed', 'save', () => model.save!(dir));
    }
    return s;
  });

  // index + retrieve --------------------------------------------------------------------------
  const metrics: Record<string, number> = {};
  const target = splits.test;
  const mask = maskValid && valid ? [splits.train, valid] : [splits.train];
  let candidates: CandidateSet | undefined;
  if (cfg.index) {
    if (scorer.kind !== 'embeddings') {
      throw new EmbrecError(
        'E_CONFIG_PIPELINE',
        `the index stage needs embeddings, but model "${Registry.display(cfg.model.type)}" scores users directly: remove "index:" or use an embedding model`,
      );
    }
    const indexBlock = cfg.index;
    const index: IndexComponent = await get('index', indexBlock, 'index');
    await timed('index', () =>
      guard('index', indexBlock.type, 'index', 'build', () =>
        index.build(scorer.items, ctxFor('index', indexBlock.type)),
      ),
    );
    const k = cfg.retrieve?.k ?? 1000;
    const { users, queries, exclude } = retrievalQueries(scorer, target, mask);
    candidates = await timed('retrieve', async () => {
      const r = await guard('index', indexBlock.type, 'retrieve', 'search', () =>
        index.search(queries, k, { exclude, threads: env.threads }),
      );
      return { itemIds: scorer.items.ids, users, k: r.k, items: r.ids, scores: r.scores };
    });
    // recall lost relative to exact retrieval
    if (Registry.qualify(indexBlock.type) !== 'embrec/exact' && registry.lookup('index', 'exact').ok) {
      const exact = await create('index', { type: 'embrec/exact' }, 'index(exact reference)');
      await exact.build(scorer.items);
      const ref = exact.search(queries, k, { exclude, threads: env.threads });
      metrics[`Retrieval recall@${k} vs exact`] = overlapRecall(
        candidates.items,
        ref.ids,
        candidates.k,
        ref.k,
      );
    }
  }
  // rank + rerank: every stage's lists are evaluated, with its latency per user -----------------
  const itemEmbeddings = scorer.kind === 'embeddings' ? scorer.items : undefined;
  // what aggregate metrics (diversity, calibration) read about items
  const itemData = {
    ...(dataset.itemFeatures ? { itemFeatures: dataset.itemFeatures } : {}),
    ...(itemEmbeddings ? { itemEmbeddings } : {}),
  };
  const stageResults: { label: string; candidates: CandidateSet; ms: number }[] = [];
  if (candidates && (cfg.ranker || cfg.rerankers.length > 0)) {
    stageResults.push({ label: 'retrieval', candidates, ms: stages.retrieve ?? 0 });
  }
  if (cfg.ranker) {
    const rb = cfg.ranker;
    const ranker = await get('ranker', rb, 'ranker');
    if (!candidates)
      throw new EmbrecError(
        'E_CONFIG_PIPELINE',
        'a ranker needs candidates: add an "index:" section for retrieval',
      );
    if (ranker.fit) {
      // the first stage's candidates for the validation users (train items excluded): the
      // ranker's hard negatives. Test items are never part of what the ranker trains on.
      let fitCandidates: CandidateSet | undefined;
      if (valid && cfg.index && scorer.kind === 'embeddings') {
        const index: IndexComponent = await get('index', cfg.index, 'index');
        const q = retrievalQueries(scorer, valid, [splits.train]);
        const r = index.search(q.queries, cfg.retrieve?.k ?? 1000, {
          exclude: q.exclude,
          threads: env.threads,
        });
        fitCandidates = { itemIds: scorer.items.ids, users: q.users, k: r.k, items: r.ids, scores: r.scores };
      }
      await timed('rank-fit', () =>
        guard('ranker', rb.type, 'rank', 'fit', () =>
          ranker.fit!({
            dataset,
            splits,
            ctx: ctxFor('ranker', rb.type),
            ...(validate ? { validate } : {}),
            ...(fitCandidates ? { candidates: fitCandidates } : {}),
          }),
        ),
      );
    }
    const c0 = candidates;
    candidates = await timed('rank', () =>
      guard('ranker', rb.type, 'rank', 'rank', () =>
        ranker.rank({
          candidates: c0,
          dataset,
          splits,
          ctx: ctxFor('ranker', rb.type),
          ...(itemEmbeddings ? { itemEmbeddings } : {}),
        }),
      ),
    );
    stageResults.push({ label: 'ranking', candidates, ms: stages.rank ?? 0 });
  }
  for (let i = 0; i < cfg.rerankers.length; i++) {
    const b = cfg.rerankers[i]!;
    const rr = await get('reranker', b, `rerankers[${i}]`);
    if (!candidates)
      throw new EmbrecError(
        'E_CONFIG_PIPELINE',
        're-rankers need candidates: add an "index:" section for retrieval',
      );
    const c0 = candidates;
    candidates = await timed(`rerank[${i}]`, () =>
      guard('reranker', b.type, 'rerank', 'rerank', () =>
        rr.rerank({
          candidates: c0,
          dataset,
          splits,
          ctx: ctxFor('reranker', b.type),
          ...(itemEmbeddings ? { itemEmbeddings } : {}),
        }),
      ),
    );
    stageResults.push({
      label: `rerank[${i}] ${Registry.display(b.type)}`,
      candidates,
      ms: stages[`rerank[${i}]`] ?? 0,
    });
  }

  // evaluate ----------------------------------------------------------------------------------
  const perUserDir = layout.perUserDir(env.stagingDir);
  mkdirSync(perUserDir, { recursive: true });
  const result: MetricSet = await timed('evaluate', () =>
    guard('evaluator', cfg.evaluate.type, 'evaluate', 'evaluate', () =>
      evaluator.evaluate({ scorer, mask, target, train: splits.train, ctx: evalCtx, ...itemData }),
    ),
  );
  Object.assign(metrics, result.values);
  const perUserIndex: Record<string, string> = writePerUser(perUserDir, result, target.userIds);
  if (candidates) {
    const c = candidates;
    const pipe = await timed('evaluate-pipeline', () =>
      guard('evaluator', cfg.evaluate.type, 'evaluate', 'evaluateCandidates', () =>
        evaluator.evaluateCandidates({
          candidates: c,
          target,
          train: splits.train,
          ctx: evalCtx,
          ...itemData,
        }),
      ),
    );
    for (const [k, v] of Object.entries(pipe.values)) metrics[`${k} (pipeline)`] = v;
    const files = writePerUser(perUserDir, pipe, target.userIds, 'pipeline.');
    for (const [k, f] of Object.entries(files)) perUserIndex[`${k} (pipeline)`] = f;
    // per stage: candidate recall of the whole list, accuracy at the cutoffs, latency per user
    for (const st of stageResults) {
      metrics[`Candidate recall@${st.candidates.k} (${st.label})`] = candidateRecall(st.candidates, target);
      metrics[`Latency ms/user (${st.label})`] = st.ms / Math.max(st.candidates.users.length, 1);
      if (st.candidates === c) continue; // the last stage is the pipeline's result above
      const m = await guard('evaluator', cfg.evaluate.type, 'evaluate', 'evaluateCandidates', () =>
        evaluator.evaluateCandidates({
          candidates: st.candidates,
          target,
          train: splits.train,
          ctx: evalCtx,
          ...itemData,
        }),
      );
      for (const [k, v] of Object.entries(m.values)) metrics[`${k} (${st.label})`] = v;
      const f = writePerUser(perUserDir, m, target.userIds, `${st.label.replace(/[^a-z0-9]+/gi, '-')}.`);
      for (const [k, file] of Object.entries(f)) perUserIndex[`${k} (${st.label})`] = file;
    }
  }
  writeJsonAtomic(join(perUserDir, 'index.json'), perUserIndex);
  const samples = sampleRecommendations({ dataset, train: splits.train, target, scorer, candidates });
  writeJsonAtomic(join(layout.artifacts(env.stagingDir), 'recommendations-sample.json'), samples);
  return { metrics, protocol: result.protocol, stages, samples };
}

/** Query vectors of the users with target items, and their masked items as per-query lists. */
function retrievalQueries(
  scorer: Extract<Scorer, { kind: 'embeddings' }>,
  target: Interactions,
  mask: readonly Interactions[],
): { users: Int32Array; queries: Float32Array; exclude: QueryItemLists } {
  const has = new Uint8Array(target.userIds.size);
  for (let i = 0; i < target.users.length; i++) has[target.users[i]!] = 1;
  const users: number[] = [];
  for (let u = 0; u < has.length; u++) if (has[u]) users.push(u);
  const d = scorer.users.dim;
  const queries = new Float32Array(users.length * d);
  users.forEach((u, q) => {
    queries.set(scorer.users.vectors.subarray(u * d, (u + 1) * d), q * d);
  });
  const csrs = mask.map((m) => userCsr(m));
  const indptr = new Int32Array(users.length + 1);
  const parts: number[] = [];
  users.forEach((u, q) => {
    for (const c of csrs) for (let p = c.indptr[u]!; p < c.indptr[u + 1]!; p++) parts.push(c.indices[p]!);
    indptr[q + 1] = parts.length;
  });
  return { users: Int32Array.from(users), queries, exclude: { indptr, indices: Int32Array.from(parts) } };
}

/** Mean over queries of |approx ∩ exact| / |exact| (ignoring -1 padding). */
function overlapRecall(approx: Int32Array, exact: Int32Array, ka: number, ke: number): number {
  const nq = exact.length / ke;
  let sum = 0;
  let counted = 0;
  for (let q = 0; q < nq; q++) {
    const ref = new Set<number>();
    for (let j = 0; j < ke; j++) {
      const v = exact[q * ke + j]!;
      if (v >= 0) ref.add(v);
    }
    if (ref.size === 0) continue;
    let hit = 0;
    for (let j = 0; j < ka; j++) if (ref.has(approx[q * ka + j]!)) hit++;
    sum += hit / ref.size;
    counted++;
  }
  return counted === 0 ? 1 : sum / counted;
}

/**
 * Pipeline sizes that cannot work, found before anything runs: the lists that reach the evaluator
 * must hold at least max(evaluate.ks) items, so retrieve.k (N) must be ≥ K when a ranker or a
 * re-ranker re-orders them.
 */
function checkPipelineSizes(cfg: TrialConfig): void {
  if (!cfg.index || (!cfg.ranker && cfg.rerankers.length === 0)) return;
  const ks = (cfg.evaluate as { ks?: readonly number[] }).ks ?? [];
  const K = ks.length > 0 ? Math.max(...ks) : 0;
  const N = cfg.retrieve?.k ?? 1000;
  if (N < K) {
    throw new EmbrecError(
      'E_CONFIG_PIPELINE',
      `retrieve.k = ${N} candidates per user is smaller than the largest evaluate.ks = ${K} (N < K): raise retrieve.k to at least ${K} or lower evaluate.ks`,
    );
  }
  const M = (cfg.ranker as { topM?: number } | undefined)?.topM;
  if (M !== undefined && M < K) {
    throw new EmbrecError(
      'E_CONFIG_PIPELINE',
      `ranker.topM = ${M} keeps fewer items than the largest evaluate.ks = ${K}: raise ranker.topM to at least ${K}`,
    );
  }
}

/** Mean over users with target items of |targets ∩ candidates| / |targets| (users without a list count 0). */
function candidateRecall(c: CandidateSet, target: Interactions): number {
  const targets = new Map<number, Set<number>>();
  for (let r = 0; r < target.users.length; r++) {
    const u = target.users[r]!;
    if (!targets.has(u)) targets.set(u, new Set());
    targets.get(u)!.add(target.items[r]!);
  }
  const same = c.itemIds === target.itemIds;
  const row = new Map<number, number>();
  for (let q = 0; q < c.users.length; q++) row.set(c.users[q]!, q);
  let sum = 0;
  for (const [u, items] of targets) {
    const q = row.get(u);
    if (q === undefined) continue;
    let hit = 0;
    for (let j = 0; j < c.k; j++) {
      const it = c.items[q * c.k + j]!;
      if (it < 0) continue;
      const d = same ? it : (target.itemIds.get(c.itemIds.external(it)) ?? -1);
      if (items.has(d)) hit++;
    }
    sum += hit / items.size;
  }
  return targets.size === 0 ? 0 : sum / targets.size;
}
