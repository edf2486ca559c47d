import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataset, MetricSet, ModelComponent, Splits } from '@embrec/core';
import { makeTestContext } from '@embrec/core/testing';
import { lightgcnSchema, loadLightGcn as loadLightGcnFolder } from '@embrec/data';
import { builtinMetric, FullEvaluator } from '@embrec/eval';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** The shared data folder (never copied into the repo). */
export const dataRoot = process.env.EMBREC_DATA ?? path.resolve(repoRoot, '../shared/data');

export function hasData(sub: string): boolean {
  const ok = existsSync(path.join(dataRoot, sub, 'train.txt'));
  if (!ok) console.warn(`skipping: ${path.join(dataRoot, sub)} not found (set EMBREC_DATA)`);
  return ok;
}

/** Loads a LightGCN-format folder of the shared data through @embrec/data's loader. */
export async function loadLightGcn(sub: string): Promise<Dataset & { givenSplits: Splits }> {
  const dir = path.join(dataRoot, sub);
  const d = loadLightGcnFolder(dir, lightgcnSchema.parse({ path: dir }));
  if (!d.givenSplits) throw new Error(`${sub}: no given splits`);
  return d as Dataset & { givenSplits: Splits };
}

/** Full ranking at K = 20 with only training items masked, Recall and NDCG. */
export async function evaluate(
  model: ModelComponent,
  splits: Splits,
  target: 'valid' | 'test',
): Promise<MetricSet> {
  const ev = new FullEvaluator({
    ks: [20],
    metrics: [builtinMetric('recall'), builtinMetric('ndcg')],
    batchSize: 512,
    aggregates: false,
  });
  const t = splits[target];
  if (!t) throw new Error(`no ${target} split`);
  return ev.evaluate({
    scorer: model.scorer(),
    mask: [splits.train],
    target: t,
    train: splits.train,
    ctx: { ...makeTestContext(), threads: 2 },
  });
}

/** |got − want| / want. */
export function rel(got: number, want: number): number {
  return Math.abs(got - want) / want;
}
