/**
 * Feature selection for the MLR predictor: CoMo's linear-correlation variant of the fast correlation-based
 * filter (FCBF, Yu & Liu 2003; seed 004 section IV.B; CoMo `loadshed/prediction.c`).
 *
 * 1. Relevance: Pearson |r(f_j, cost)| over the history window; candidates are the features above the
 *    threshold (0.6 in CoMo), sorted by |r| descending.
 * 2. Redundancy (approximate Markov blanket): walking down the ranking, candidate j is dropped when some
 *    better-ranked feature i that was kept has |r(f_i, f_j)| >= |r(f_j, cost)| - 1e-9 (Yu & Liu's condition,
 *    with a slack below the rounding of the incremental statistics, so that an exact duplicate of a kept
 *    feature is always dropped, even when the cost is an exact linear function of both).
 *
 * A feature that is constant over the window (or contains NaN) has r = 0 and is never selected.
 *
 * The correlations come from a {@link FeatureCorrelations}: {@link CorrelationWorkspace} below recomputes them
 * over the whole window on every call (the reference), ./sliding-correlations.ts keeps them incrementally (what
 * the MLR predictor uses; tested to give the same selections).
 */
import type { ObservationWindow } from './observation-window.ts';

/** Relative variance under which a column counts as constant (std/|mean| below 1e-10). */
export const CONSTANT_REL_VAR = 1e-20;

/** What the FCBF walk needs: each feature's correlation with the cost, and feature-feature correlations. */
export interface FeatureCorrelations {
  readonly width: number;
  /** Pearson r of each feature with the cost (0 when undefined). */
  readonly relevance: Float64Array;
  /** Pearson r between features i and j (0 if either is constant). */
  correlation(i: number, j: number): number;
}

/** Slack of the redundancy test (see the header). */
const REDUNDANCY_SLACK = 1e-9;

/** r clamped to [-1, 1] (rounding can push |r| of an exact linear relation just above 1). */
export function clampUnit(r: number): number {
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** Scratch for the ranking keys (grown on demand; the walk below is not re-entrant). */
let keys = new Float64Array(64);

/**
 * The FCBF variant on prepared correlations. Writes the selected feature indices, best first, into `out` and
 * returns how many (at most `maxFeatures` and `out.length`). `order` is scratch space of at least `src.width`.
 */
export function selectFeatures(src: FeatureCorrelations, threshold: number, maxFeatures: number, order: Int32Array, out: Int32Array): number {
  const w = src.width;
  const rel = src.relevance;
  if (w > 65536) throw new RangeError(`FCBF ranks at most 65536 features, got ${w}`);
  if (keys.length < w) keys = new Float64Array(w);
  // Rank by |r| descending. The key is |r| rounded to 1e-9, so that near-ties (duplicated features, whose r
  // differs only by rounding) go to the lower index whichever way r was computed (incrementally or directly);
  // the index is folded into the key's low bits: key * 2^16 + (2^16 - 1 - j), one number per candidate.
  let m = 0;
  for (let j = 0; j < w; j++) {
    const r = Math.abs(rel[j]!);
    if (r > threshold) keys[m++] = Math.round(r * 1e9) * 65536 + (65535 - j);
  }
  // Insertion sort, descending (m <= 55, allocation-free).
  for (let a = 1; a < m; a++) {
    const v = keys[a]!;
    let b = a - 1;
    while (b >= 0 && keys[b]! < v) {
      keys[b + 1] = keys[b]!;
      b--;
    }
    keys[b + 1] = v;
  }
  for (let a = 0; a < m; a++) order[a] = 65535 - (keys[a]! % 65536);
  const limit = Math.min(maxFeatures, out.length);
  let k = 0;
  for (let a = 0; a < m && k < limit; a++) {
    const j = order[a]!;
    const rj = Math.abs(rel[j]!);
    let redundant = false;
    for (let q = 0; q < k; q++) {
      if (Math.abs(src.correlation(out[q]!, j)) >= rj - REDUNDANCY_SLACK) {
        redundant = true;
        break;
      }
    }
    if (!redundant) out[k++] = j;
  }
  return k;
}

/**
 * Direct computation: centres every column of the window on each call (O(width x n)). The MLR predictor keeps
 * the same statistics incrementally (./sliding-correlations.ts); this is the reference it is tested against.
 */
export class CorrelationWorkspace implements FeatureCorrelations {
  readonly width: number;
  readonly capacity: number;
  /** Centred feature columns, column-major: column j occupies [j * capacity, j * capacity + n). */
  readonly centered: Float64Array;
  /** Centred sums of squares per column (0 for constant or non-finite columns). */
  readonly ssq: Float64Array;
  /** Pearson r of each feature with the cost (0 when undefined). */
  readonly relevance: Float64Array;
  /** Centred costs. */
  readonly yCentered: Float64Array;
  /** Observations used by the last {@link prepare}. */
  n = 0;
  private readonly order: Int32Array;

  constructor(width: number, capacity: number) {
    this.width = width;
    this.capacity = capacity;
    this.centered = new Float64Array(width * capacity);
    this.ssq = new Float64Array(width);
    this.relevance = new Float64Array(width);
    this.yCentered = new Float64Array(capacity);
    this.order = new Int32Array(width);
  }

  /** Centres every column of the history and computes each feature's correlation with the cost. */
  prepare(h: ObservationWindow): void {
    const n = h.count;
    const w = this.width;
    const cap = this.capacity;
    const x = h.x;
    const y = h.y;
    this.n = n;
    let ym = 0;
    for (let r = 0; r < n; r++) ym += y[r]!;
    ym = n > 0 ? ym / n : 0;
    let yss = 0;
    const yc = this.yCentered;
    for (let r = 0; r < n; r++) {
      const d = y[r]! - ym;
      yc[r] = d;
      yss += d * d;
    }
    const yConst = !(yss > n * CONSTANT_REL_VAR * Math.max(1, ym * ym));
    const ssq = this.ssq;
    const rel = this.relevance;
    const c = this.centered;
    // Transpose the ring into column-major storage, then work column by column on contiguous memory with
    // scalar accumulators (measured ~3x faster than one row-major pass updating per-column typed arrays).
    for (let r = 0; r < n; r++) {
      const base = r * w;
      for (let j = 0; j < w; j++) c[j * cap + r] = x[base + j]!;
    }
    for (let j = 0; j < w; j++) {
      const col = j * cap;
      let sum = 0;
      for (let r = 0; r < n; r++) sum += c[col + r]!;
      const m = n > 0 ? sum / n : 0;
      let ss = 0;
      let sxy = 0;
      for (let r = 0; r < n; r++) {
        const d = c[col + r]! - m;
        c[col + r] = d;
        ss += d * d;
        sxy += d * yc[r]!;
      }
      const constant = !(ss > n * CONSTANT_REL_VAR * Math.max(1, m * m)); // also true for NaN
      ssq[j] = constant ? 0 : ss;
      const r = constant || yConst ? 0 : sxy / Math.sqrt(ss * yss);
      rel[j] = Number.isFinite(r) ? clampUnit(r) : 0;
    }
  }

  /** Pearson r between features i and j over the prepared window (0 if either is constant). */
  correlation(i: number, j: number): number {
    const si = this.ssq[i]!;
    const sj = this.ssq[j]!;
    if (si === 0 || sj === 0) return 0;
    const c = this.centered;
    const a = i * this.capacity;
    const b = j * this.capacity;
    let s = 0;
    for (let r = 0; r < this.n; r++) s += c[a + r]! * c[b + r]!;
    return s / Math.sqrt(si * sj);
  }

  /** Runs the FCBF variant on the prepared window (see {@link selectFeatures}). */
  select(threshold: number, maxFeatures: number, out: Int32Array): number {
    return selectFeatures(this, threshold, maxFeatures, this.order, out);
  }
}
