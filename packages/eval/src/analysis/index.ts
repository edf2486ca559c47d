export type { AnalysisResult, AnalyzeInput, AnalyzeOptions, MapData } from './analyze.ts';
export { analyzeEmbeddings, DEFAULT_ANALYZE_OPTIONS } from './analyze.ts';
export type { Labels } from './attributes.ts';
export { attributeLabels, attributeNames, checkAttribute, primaryLabel } from './attributes.ts';
export type { AnalysisParams } from './component.ts';
export {
  analysisComponents,
  analysisMetrics,
  analysisSchema,
  embeddingAnalysisComponent,
} from './component.ts';
export type { Figure, VegaLiteSpec } from './figures.ts';
export { analysisFigures } from './figures.ts';
export type { GenreStructure } from './genre-structure.ts';
export { genreStructure } from './genre-structure.ts';
export type { Neighbours } from './neighbours.ts';
export { nearestNeighbours } from './neighbours.ts';
export type { PopularityBias } from './popularity.ts';
export { gini, lorenz, popularityBias, spearman } from './popularity.ts';
export type { Map2d, TsneOptions, UmapOptions } from './projection.ts';
export { checkPerplexity, tsne, umap } from './projection.ts';
export { renderVegaLite } from './render.ts';
export type { DataConfig } from './replay.ts';
export { replayData } from './replay.ts';
export type { RenderedFigure } from './report.ts';
export { analysisHtml, analysisJson } from './report.ts';
export type { TrialInfo } from './run-input.ts';
export { readItemBias, readTrialInfo } from './run-input.ts';
export { trustworthiness } from './trustworthiness.ts';
export { writeAnalysisReport } from './write.ts';
