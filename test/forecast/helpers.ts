/** Tiny in-memory datasets for the forecast tests. */
import { buildMultiSeries, type MultiSeries } from '../../src/series/index.ts';
import { topologyEdges } from '../../src/series/adjacency.ts';
import { Rng } from '../../src/random.ts';

/**
 * E entities x M metrics of daily sines + noise + a level step, with a few missing values; same-entity (topology)
 * adjacency.
 */
export function tinyDataset(opts: { T?: number; E?: number; M?: number; seed?: number } = {}): MultiSeries {
  const T = opts.T ?? 400;
  const E = opts.E ?? 2;
  const M = opts.M ?? 3;
  const K = E * M;
  const rng = new Rng(opts.seed ?? 7);
  const values = new Float64Array(T * K);
  const names: string[] = [];
  for (let e = 0; e < E; e++) for (let m = 0; m < M; m++) names.push(`h${e}:m${m}`);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) {
      values[t * K + k] = 20 + 5 * k + 4 * Math.sin((2 * Math.PI * t) / 48 + k) + 0.5 * rng.normal() + (t > 250 ? 2 : 0);
    }
  }
  values[10 * K + 1] = NaN;
  values[300 * K + 2] = NaN;
  const entityOf = names.map((n) => n.slice(0, n.indexOf(':')));
  const metricOf = names.map((n) => n.slice(n.indexOf(':') + 1));
  const adjacency = topologyEdges(entityOf, metricOf).toAdjacency('topology');
  return buildMultiSeries({ values, T, K, names, stepSeconds: 1800, adjacency });
}

export const TINY = { lookback: 16, horizon: 4, hidden: 8, patch: 4, batchSize: 8, lowRank: 2 };
