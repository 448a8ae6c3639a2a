/**
 * Dataset layer: turns cluster traces (Alibaba 2018, Bitbrains GWA-T-12, generic long/wide tables) into one
 * aligned, masked, normalised multi-task series with a task adjacency, stored in DuckDB.
 */
export type { MultiSeries, SparseAdjacency } from './dataset.ts';
export { buildMultiSeries, splitBoundaries, trainingStats, DEFAULT_SPLIT, CONSTANT_STD } from './build.ts';
export type { BuildOptions } from './build.ts';
export { zScore, unZScore } from './zscore.ts';
export { WindowIndex } from './windows.ts';
export type { Part } from './windows.ts';
export { identityAdjacency, restrictAdjacency, parseAdjacencyKind, offDiagonalEdges, ADJACENCY_KINDS } from './adjacency.ts';
export { prepareDataset } from './prepare.ts';
export type { PrepareOptions, PrepareReport, PrepareProgress, MaskedCount } from './prepare.ts';
export { openDataset, selectChannels } from './open.ts';
export type { OpenOptions } from './open.ts';
export { datasetInfo } from './info.ts';
export type { DatasetInfo } from './info.ts';
export { exportDataset } from './export.ts';
export type { ExportReport } from './export.ts';
export { gapReport } from './gaps.ts';
export type { GapSummary, SeriesGaps } from './gaps.ts';
export { SOURCE_KINDS, BITBRAINS_DEFAULT } from './sources.ts';
export type { SourceKind } from './sources.ts';
