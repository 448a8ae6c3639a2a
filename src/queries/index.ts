/** Public entry of the queries layer: the Query contract, the standard queries, the registry, FlowTable. */
export type {
  BatchContext,
  Correction,
  FlushContext,
  Query,
  QueryResult,
  SamplingMethod,
} from './query.ts';
export { IntervalStats, htWeight } from './interval-stats.ts';
export { FlowTable, DEFAULT_MAX_FLOWS, type FlowKeyKind, type FlowTableOptions } from './flow-table.ts';
export { flowThreshold } from './flow-count.ts';
export { SampledDistinct, SAMPLED_DISTINCT_COLUMNS, recordSampledPacket, unseenRatio } from './sampled-distinct.ts';
export { formatAddress } from './address.ts';
export { CounterQuery, createCounter, type CounterValue } from './counter.ts';
export {
  ApplicationQuery,
  createApplication,
  DEFAULT_APP_CLASSES,
  type AppClass,
  type ApplicationOptions,
  type ApplicationValue,
} from './application.ts';
export { FlowsQuery, createFlows, type FlowRecord, type FlowsOptions, type FlowsValue } from './flows.ts';
export { ActiveFlowsQuery, createActiveFlows, type ActiveFlowsOptions, type ActiveFlowsValue } from './active-flows.ts';
export {
  TopDestinationsQuery,
  createTopDestinations,
  type TopDestinationsOptions,
  type TopDestinationsValue,
} from './top-destinations.ts';
export { SuperSourcesQuery, createSuperSources, type SuperSourcesOptions, type SuperSourcesValue } from './super-sources.ts';
export {
  PatternSearchQuery,
  createPatternSearch,
  DEFAULT_PATTERNS,
  type PatternSearchOptions,
  type PatternSearchValue,
} from './pattern-search.ts';
export { HighWatermarkQuery, createHighWatermark, type HighWatermarkOptions, type HighWatermarkValue } from './high-watermark.ts';
export { TraceQuery, createTrace, type TraceOptions, type TraceSink, type TraceValue } from './trace.ts';
export {
  STANDARD_QUERIES,
  STANDARD_QUERY_NAMES,
  createQueries,
  type QueryFactory,
  type StandardQueryOptions,
} from './registry.ts';
export { loadUserQuery, contractProblems } from './user-query.ts';
