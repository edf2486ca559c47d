import plugin from './plugin.ts';

export { BaseIndex } from './common/base.ts';
export type { Metric } from './common/metric.ts';
export { ExactScorer, exactSearch } from './common/scan.ts';
export { ExactIndex } from './exact/exact.ts';
export type { FaissParams } from './faiss/faiss.ts';
export { FaissIndexComponent } from './faiss/faiss.ts';
export { HnswIndex } from './hnsw/hnsw.ts';
export type { LoadedEmbeddings } from './io/embeddings.ts';
export { loadEmbeddings, npyBytes, readNpyTable, readTable } from './io/embeddings.ts';
export type { AutoTuneMode, AutoTuneResult } from './tuning/autotune.ts';
export { autoTune } from './tuning/autotune.ts';
export type { CurvePoint, EqualRecall, EqualRecallRow } from './tuning/equal-recall.ts';
export {
  EQUAL_RECALL_TARGETS,
  equalRecallCell,
  equalRecallMarkdown,
  equalRecallRows,
  fastestAtRecall,
  qpsAtRecall,
  recallFront,
} from './tuning/equal-recall.ts';
export { paretoFront } from './tuning/pareto.ts';
export type { PlotOptions } from './tuning/plot.ts';
export { sweepSpec, writeSweepPlot } from './tuning/plot.ts';
export { percentile, recallAtK } from './tuning/recall.ts';
export type { IndexSpec } from './tuning/specs.ts';
export {
  createIndex,
  defaultGrid,
  indexRegistry,
  parseGrid,
  parseIndexSpec,
  specName,
  sweepEntries,
} from './tuning/specs.ts';
export type { SweepEntry, SweepOptions, SweepRow } from './tuning/sweep.ts';
export { crossParams, settingLabel, sweepIndex, timeSearch } from './tuning/sweep.ts';
export type { AutoTuneToolOptions, IndexToolOptions, SweepToolResult } from './tuning/tool.ts';
export { pickQueries, runAutoTuneTool, runSweepTool, sweepMarkdown } from './tuning/tool.ts';

export default plugin;
