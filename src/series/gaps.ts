/** Gap report: where each series is missing, as runs of consecutive missing steps. */
import type { MultiSeries } from './dataset.ts';

export interface SeriesGaps {
  k: number;
  observed: number;
  missing: number;
  /** Missing steps before the first / after the last observation (series starting late, ending early). */
  leading: number;
  trailing: number;
  /** Runs of missing steps strictly between the first and last observation. */
  innerRuns: number;
  /** Longest run of missing steps anywhere (leading and trailing included). */
  longestRun: number;
}

export interface GapSummary {
  /** Series with no observed value at all. */
  emptySeries: number;
  /** Series with at least one inner gap. */
  seriesWithGaps: number;
  innerRuns: number;
  longestRunSteps: number;
  longestRunSeries: string | null;
  /** Series starting late or ending early (leading/trailing missing steps). */
  seriesStartingLate: number;
  seriesEndingEarly: number;
}

export function gapReport(ds: Pick<MultiSeries, 'T' | 'K' | 'mask' | 'names'>): { perSeries: SeriesGaps[]; summary: GapSummary } {
  const { T, K, mask } = ds;
  const perSeries: SeriesGaps[] = [];
  for (let k = 0; k < K; k++) {
    let observed = 0;
    let first = -1;
    let last = -1;
    let run = 0;
    let longest = 0;
    let innerRuns = 0;
    for (let t = 0; t < T; t++) {
      if (mask[t * K + k]) {
        if (run > 0 && first >= 0) innerRuns++;
        observed++;
        if (first < 0) first = t;
        last = t;
        run = 0;
      } else {
        run++;
        if (run > longest) longest = run;
      }
    }
    perSeries.push({
      k,
      observed,
      missing: T - observed,
      leading: first < 0 ? T : first,
      trailing: first < 0 ? 0 : T - 1 - last,
      innerRuns,
      longestRun: longest,
    });
  }
  let best = -1;
  const summary: GapSummary = {
    emptySeries: 0,
    seriesWithGaps: 0,
    innerRuns: 0,
    longestRunSteps: 0,
    longestRunSeries: null,
    seriesStartingLate: 0,
    seriesEndingEarly: 0,
  };
  for (const g of perSeries) {
    if (g.observed === 0) summary.emptySeries++;
    if (g.innerRuns > 0) summary.seriesWithGaps++;
    summary.innerRuns += g.innerRuns;
    if (g.observed > 0 && g.leading > 0) summary.seriesStartingLate++;
    if (g.observed > 0 && g.trailing > 0) summary.seriesEndingEarly++;
    if (g.longestRun > summary.longestRunSteps) {
      summary.longestRunSteps = g.longestRun;
      best = g.k;
    }
  }
  summary.longestRunSeries = best >= 0 ? ds.names[best]! : null;
  return { perSeries, summary };
}
