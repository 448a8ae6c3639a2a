/**
 * The regression step of the MLR predictor (seed 004 eq. 1): cost = b0 + sum_j b_j x_j over the selected
 * features of the observation window, fitted either
 *
 * - `ols`: ordinary least squares, as in the seed and CoMo; or
 * - `relative` (default): weighted least squares for multiplicative noise, weights 1 / yhat^2, i.e. least squares
 *   on the relative residuals (y - yhat) / yhat. One reweighting step: a first fit weighted by the observed
 *   costs 1 / y^2 gives the fitted values yhat, a second fit uses them (values below a tenth of the window's
 *   mean cost are weighted as if they were that large).
 *
 * Why `relative`: measured query cost noise is multiplicative (its spread grows with the cost; batch-to-batch
 * cost-per-packet noise is 5-15 % whatever the batch size, measured during development) and right-skewed
 * (contention, page faults and minor GCs only ever add time). OLS then lets the expensive batches (attack on) dictate the fit, so cheap batches get
 * large relative errors, and a single slow batch pulls every prediction up for the next 60 batches. Weighting by
 * the square of the expected cost is the efficient (and unbiased) fit under constant relative noise, and makes the
 * fit care about relative error, which is what the shedder needs (it scales rates by available / predicted).
 * Weights from the observed costs alone (1 / y^2) would give a slow batch a small weight for being slow, which
 * biases every prediction low: on 12 recorded Fig. 3 runs that variant scored better on mean relative error
 * (10.05 % vs 10.88 %, OLS 11.00 %) only by predicting 3.7 % below the mean cost, which costs overruns when
 * shedding; the reweighted fit is unbiased (mean measured / predicted 1.003). (Development measurements on this
 * machine's recorded runs, not reproduced by a command; test/predict/window-regression.test.ts checks the
 * unbiasedness, mean measured / predicted within 1 % of 1, on synthetic multiplicative noise.)
 *
 * Both solve by Householder QR (./ols.ts) on centred (weighted-centred), unit-norm columns, so that one relative
 * tolerance on the diagonal of R detects rank deficiency. All scratch space is allocated once.
 */
import type { ObservationWindow } from './observation-window.ts';
import { solveLeastSquares } from './ols.ts';

export type RegressionMode = 'ols' | 'relative';
export const REGRESSION_MODES: readonly RegressionMode[] = ['relative', 'ols'];

/** Costs below this share of the window's mean cost are weighted as if they were that large. */
const WEIGHT_FLOOR = 0.1;

export class WindowRegression {
  /** Coefficients of the last successful fit, in original feature units (first k entries). */
  readonly coef: Float64Array;
  intercept = 0;
  /**
   * Root mean square relative residual of the last `relative` fit (weighted residual sum of squares over its
   * degrees of freedom); NaN after an `ols` fit. Used to clip the residual feedback (./residual-feedback.ts).
   */
  relativeScale = NaN;
  private readonly design: Float64Array;
  private readonly rhs: Float64Array;
  private readonly beta: Float64Array;
  private readonly diag: Float64Array;
  private readonly colMean: Float64Array;
  private readonly colNorm: Float64Array;
  /** Square roots of the row weights. */
  private readonly sqrtWeight: Float64Array;

  constructor(
    readonly capacity: number,
    readonly maxFeatures: number,
  ) {
    this.coef = new Float64Array(maxFeatures);
    this.design = new Float64Array(maxFeatures * capacity);
    this.rhs = new Float64Array(capacity);
    this.beta = new Float64Array(maxFeatures);
    this.diag = new Float64Array(maxFeatures);
    this.colMean = new Float64Array(maxFeatures);
    this.colNorm = new Float64Array(maxFeatures);
    this.sqrtWeight = new Float64Array(capacity);
  }

  /**
   * Fits the cost on columns `index[0..k)` of the window. Returns false when the system is rank-deficient (QR
   * diagonal below `tol` relative) or the result is not finite; the coefficients are then unspecified.
   */
  fit(win: ObservationWindow, index: Int32Array, k: number, mode: RegressionMode, tol: number): boolean {
    const n = win.count;
    if (k < 1 || k > this.maxFeatures || n < k + 1) return false;
    this.relativeScale = NaN;
    if (mode === 'ols') return this.solve(win, index, k, null, tol);
    const y = win.y;
    let mean = 0;
    for (let r = 0; r < n; r++) mean += y[r]!;
    mean /= n;
    if (!(mean > 0)) return this.solve(win, index, k, null, tol);
    const floor = WEIGHT_FLOOR * mean;
    const sw = this.sqrtWeight;
    for (let r = 0; r < n; r++) sw[r] = 1 / Math.max(y[r]!, floor);
    if (!this.solve(win, index, k, sw, tol)) return false;
    const x = win.x;
    const width = win.width;
    for (let r = 0; r < n; r++) {
      let p = this.intercept;
      for (let q = 0; q < k; q++) p += this.coef[q]! * x[r * width + index[q]!]!;
      sw[r] = 1 / Math.max(p, floor);
    }
    if (!this.solve(win, index, k, sw, tol)) return false;
    // After the QR solve, rhs[k..n) holds the residual's components: their squares sum to the weighted RSS.
    let rss = 0;
    for (let r = k; r < n; r++) rss += this.rhs[r]! * this.rhs[r]!;
    this.relativeScale = n > k + 1 ? Math.sqrt(rss / (n - k - 1)) : NaN;
    return true;
  }

  /**
   * (Weighted) least squares with intercept: centre each column on its weighted mean, scale rows by the square
   * roots of the weights `sw` and columns to unit norm, solve by QR, and map back to original units. `sw` null =
   * unweighted (the centring arithmetic is then exactly the plain two-pass mean and sum of squares).
   */
  private solve(win: ObservationWindow, index: Int32Array, k: number, sw: Float64Array | null, tol: number): boolean {
    const n = win.count;
    const width = win.width;
    const x = win.x;
    const y = win.y;
    const a = this.design;
    let wsum = n;
    if (sw) {
      wsum = 0;
      for (let r = 0; r < n; r++) wsum += sw[r]! * sw[r]!;
      if (!(wsum > 0) || !Number.isFinite(wsum)) return false;
    }
    for (let q = 0; q < k; q++) {
      const j = index[q]!;
      const dst = q * n;
      let sum = 0;
      if (sw) for (let r = 0; r < n; r++) sum += sw[r]! * sw[r]! * x[r * width + j]!;
      else for (let r = 0; r < n; r++) sum += x[r * width + j]!;
      const m = sum / wsum;
      let ss = 0;
      for (let r = 0; r < n; r++) {
        const d = sw ? sw[r]! * (x[r * width + j]! - m) : x[r * width + j]! - m;
        a[dst + r] = d;
        ss += d * d;
      }
      if (!(ss > 0) || !Number.isFinite(ss)) return false;
      const norm = Math.sqrt(ss);
      const inv = 1 / norm;
      for (let r = 0; r < n; r++) a[dst + r] = a[dst + r]! * inv;
      this.colMean[q] = m;
      this.colNorm[q] = norm;
    }
    let ysum = 0;
    if (sw) for (let r = 0; r < n; r++) ysum += sw[r]! * sw[r]! * y[r]!;
    else for (let r = 0; r < n; r++) ysum += y[r]!;
    const ym = ysum / wsum;
    const b = this.rhs;
    for (let r = 0; r < n; r++) b[r] = sw ? sw[r]! * (y[r]! - ym) : y[r]! - ym;
    if (!solveLeastSquares(a, n, n, k, b, this.beta, this.diag, tol)) return false;
    let intercept = ym;
    for (let q = 0; q < k; q++) {
      const c = this.beta[q]! / this.colNorm[q]!;
      this.coef[q] = c;
      intercept -= c * this.colMean[q]!;
    }
    this.intercept = intercept;
    return Number.isFinite(intercept);
  }
}
