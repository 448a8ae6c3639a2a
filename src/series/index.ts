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
export { identityAdjacency, restrictAdjacency, parseAdjacencyKind, offDiagonalEdges } from './adjacency.ts';
