export { beyondMetricComponents } from './components.ts';
export { calibrationKl, catalogCoverage, giniExposure, intraListDiversity, novelty } from './metrics.ts';
