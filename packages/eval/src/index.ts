import { coreVersion, definePlugin } from '@embrec/core';
import { analysisComponents } from './analysis/index.ts';
import { dataComponents } from './data/index.ts';
import { financeComponents } from './finance/index.ts';

export { lightgcnSchema, loadLightGcn } from './data/index.ts';

import { evaluationComponents } from './evaluation/index.ts';

/** Built-in data and evaluation components. */
const plugin = definePlugin({
  meta: { name: '@embrec/eval', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` }, // released with core: one version (core/src/version.ts)
  components: [...dataComponents, ...evaluationComponents, ...financeComponents, ...analysisComponents],
});
export default plugin;

export type { AnalysisResult, AnalyzeOptions, RenderedFigure, TrialInfo } from './analysis/index.ts';
export {
  analysisFigures,
  analysisHtml,
  analysisJson,
  analyzeEmbeddings,
  DEFAULT_ANALYZE_OPTIONS,
  readItemBias,
  readTrialInfo,
  renderVegaLite,
  replayData,
  trustworthiness,
  writeAnalysisReport,
} from './analysis/index.ts';
export {
  BUILTIN_METRICS,
  builtinMetric,
  FullEvaluator,
  metricKey,
  SampledEvaluator,
  topkBackend,
} from './evaluation/index.ts';
export type {
  FinanceInput,
  MeasureRow,
  SyntheticHoldings,
  SyntheticHoldingsParams,
} from './finance/index.ts';
export {
  clientMatching,
  coldStartRecall,
  generateSyntheticHoldings,
  similarSecurities,
  writeHoldingsCsv,
} from './finance/index.ts';
export type { CompareOptions, CompareRow, CompareTable } from './stats/index.ts';
export { compareMetricSets, pairedBootstrapCI, pairedTTest } from './stats/index.ts';
