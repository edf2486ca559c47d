import { coreVersion, definePlugin } from '@embrec/core';
import { analysisComponents } from './analysis/index.ts';
import { evaluationComponents } from './evaluation/index.ts';
import { financeComponents } from './finance/index.ts';

/** Built-in evaluation components: evaluators, metrics, finance models (data sets are @embrec/data's). */
const plugin = definePlugin({
  meta: { name: '@embrec/eval', version: coreVersion, namespace: 'embrec' },
  engines: { '@embrec/core': `^${coreVersion}` }, // released with core: one version (core/src/version.ts)
  components: [...evaluationComponents, ...financeComponents, ...analysisComponents],
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
export type { FinanceInput, MeasureRow } from './finance/index.ts';
export { clientMatching, coldStartRecall, similarSecurities } from './finance/index.ts';
export type { CompareOptions, CompareRow, CompareTable } from './stats/index.ts';
export { compareMetricSets, pairedBootstrapCI, pairedTTest } from './stats/index.ts';
