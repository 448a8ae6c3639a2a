/** Public entry of the feature layer: the 55 CoMo traffic features per batch, their names, and the check. */
export {
  FEATURE_NAMES,
  FEATURE_INDEX,
  FEATURE_COUNT,
  AGGREGATES,
  AGGREGATE_COUNTS,
  aggFeature,
  FEATURE_PRESETS,
  parseAggregates,
} from './names.ts';
export type { AggregateName } from './names.ts';
export { FeatureExtractor } from './extractor.ts';
export type { FeatureExtractorOptions } from './extractor.ts';
export { checkFeatures, FeatureComparison, relError } from './check.ts';
export type { FeatureCheckReport, FeatureCheckOptions, FamilyError } from './check.ts';
export { MultiResolutionBitmap, DEFAULT_MRB } from './mrb.ts';
export type { MrbGeometry } from './mrb.ts';
export { FEATURE_MRB, BATCH_MRB, SPARSE_LIMIT } from './sketch-engine.ts';
export { HyperLogLog } from './hll.ts';
