/**
 * Multiple linear regression cost predictor (seed 004 section IV.C, eq. 1), CoMo style: per query and per
 * batch, select features with the FCBF variant (./fcbf.ts) over the last `history` (60) observations, then fit a
 * linear model with an intercept on the selected features and predict; negative predictions clamp to 0.
 *
 * Two refinements over the seed, both on by default and both switchable off (`regression: 'ols'`,
 * `feedback: false`) to get the seed's plain OLS back:
 * - the fit minimises relative rather than absolute squared error (./window-regression.ts explains why);
 * - an AR(1) model of the one-step relative residuals corrects for measurement noise that persists across
 *   batches (./residual-feedback.ts).
 *
 * Fallbacks, reported in {@link MlrPredictor.fallback}:
 * - fewer than `minObservations` (10) observations: EWMA (alpha 0.3) of past costs (`warmup`);
 * - no feature passes the relevance threshold: SLR on packets (`no-features`);
 * - the least-squares system is rank-deficient (QR diagonal below tolerance): SLR on packets (`rank-deficient`);
 * - the model yields a non-finite value (e.g. NaN feature): EWMA of past costs (`non-finite`).
 *
 * The history should hold what really ran: `observe(features of the batch after shedding, measured cost)`.
 * Batches flagged for GC are simply not observed; the caller decides (the predictor cannot know).
 *
 * Cost: the FCBF statistics are kept incrementally (./sliding-correlations.ts, O(features) per observation);
 * the model depends only on the history, so it is refitted lazily once per new observation (on the first
 * predict after it); further predicts on re-extracted features of a sampled batch cost a dot product.
 */
import { checkCost, EwmaPredictor } from './ewma.ts';
import { selectFeatures } from './fcbf.ts';
import type { CostPredictor, PredictionFallback } from './predictor.ts';
import { ResidualFeedback } from './residual-feedback.ts';
import { SlidingCorrelations } from './sliding-correlations.ts';
import { fitSimpleRegression, type SimpleFit } from './slr.ts';
import { type RegressionMode, WindowRegression } from './window-regression.ts';

export interface MlrOptions {
  featureNames: readonly string[];
  /** Window length (CoMo NUM_OBS = 60). */
  history?: number;
  /** FCBF relevance threshold on |r| (CoMo CORR_THRESH = 0.6). */
  relevance?: number;
  /** EWMA weight for the warm-up fallback (0.3). */
  alpha?: number;
  /** Observations needed before the regression is used (10). */
  minObservations?: number;
  /** Most features kept by FCBF (15; also capped at n - 2 so the fit has residual degrees of freedom). */
  maxFeatures?: number;
  /** Relative tolerance on the diagonal of R (1e-7, on unit-norm centred columns). */
  tolerance?: number;
  /** `relative` (default): least squares on relative residuals (weights 1/yhat^2); `ols`: the seed's OLS. */
  regression?: RegressionMode;
  /** Correct predictions by an AR(1) model of the recent relative residuals (default true). */
  feedback?: boolean;
}

/** Residual clip for the feedback: twice the fit's RMS relative residual, at most MAX_CLIP; DEFAULT_CLIP after OLS. */
const DEFAULT_CLIP = 0.2;
const MAX_CLIP = 0.5;

/** The fitted model, in the original feature units. */
interface MlrModel {
  k: number;
  index: Int32Array;
  coef: Float64Array;
  intercept: number;
  /** null = own model; otherwise why the SLR fit (`slr`) was used instead. */
  reason: PredictionFallback | null;
}

export class MlrPredictor implements CostPredictor {
  readonly kind = 'mlr';
  readonly featureNames: readonly string[];
  /** The observation window with its incrementally maintained FCBF statistics. */
  readonly history: SlidingCorrelations;
  readonly relevance: number;
  readonly minObservations: number;
  readonly maxFeatures: number;
  readonly tolerance: number;
  readonly regression: RegressionMode;
  private readonly order: Int32Array;
  private readonly reg: WindowRegression;
  private readonly feedback: ResidualFeedback | null;
  private clip = DEFAULT_CLIP;
  private readonly ewma: EwmaPredictor;
  private readonly packetsCol: number;
  private readonly model: MlrModel;
  private readonly slr: SimpleFit = { intercept: 0, slope: 0, ok: false };
  private fittedVersion = -1;
  private selectedNames: readonly string[] = [];
  private lastFallback: PredictionFallback | null = 'warmup';
  private lastClamped = false;

  constructor(opts: MlrOptions) {
    const w = opts.featureNames.length;
    if (w < 1) throw new RangeError('MLR needs at least one feature name');
    const cap = opts.history ?? 60;
    this.featureNames = opts.featureNames;
    this.history = new SlidingCorrelations(cap, w);
    this.relevance = opts.relevance ?? 0.6;
    this.minObservations = Math.max(3, opts.minObservations ?? 10);
    this.maxFeatures = Math.max(1, opts.maxFeatures ?? 15);
    this.tolerance = opts.tolerance ?? 1e-7;
    this.regression = opts.regression ?? 'relative';
    this.feedback = opts.feedback === false ? null : new ResidualFeedback(cap);
    this.order = new Int32Array(w);
    this.ewma = new EwmaPredictor({ alpha: opts.alpha, history: cap });
    this.packetsCol = opts.featureNames.indexOf('packets');
    const kMax = Math.min(this.maxFeatures, w);
    this.model = { k: 0, index: new Int32Array(kMax), coef: new Float64Array(kMax), intercept: 0, reason: 'warmup' };
    this.reg = new WindowRegression(cap, kMax);
  }

  get observations(): number {
    return this.history.count;
  }

  /** Feature names the last prediction used (FCBF selection; `packets` under the SLR fallback; [] otherwise). */
  get selected(): readonly string[] {
    return this.selectedNames;
  }

  get fallback(): PredictionFallback | null {
    return this.lastFallback;
  }

  /** Whether the last prediction was negative and clamped to 0. */
  get clamped(): boolean {
    return this.lastClamped;
  }

  predict(features: Float64Array): number {
    if (features.length < this.history.width) throw new RangeError(`features has ${features.length} values, expected ${this.history.width}`);
    this.lastClamped = false;
    if (this.history.count < this.minObservations) {
      this.setFallback('warmup', []);
      return this.ewma.predict(features);
    }
    if (this.fittedVersion !== this.history.version) this.refit();
    let p = this.modelValue(features);
    if (this.feedback) p *= this.feedback.factor(this.clip);
    if (!Number.isFinite(p)) {
      this.setFallback('non-finite', []);
      return this.ewma.predict(features);
    }
    this.lastFallback = this.model.reason;
    if (p < 0) {
      this.lastClamped = true;
      return 0;
    }
    return p;
  }

  observe(features: Float64Array, costNs: number): void {
    checkCost(costNs);
    if (this.feedback && this.history.count >= this.minObservations) {
      // One-step residual of the model fitted before this observation, on the features of what ran.
      if (this.fittedVersion !== this.history.version) this.refit();
      const p = this.modelValue(features);
      this.feedback.observe(p > 0 ? (costNs - p) / p : NaN);
    }
    this.history.push(features, costNs);
    this.ewma.observe(features, costNs);
  }

  /** The fitted model's value on `features` (no feedback, no clamping). */
  private modelValue(features: Float64Array): number {
    const m = this.model;
    let p = m.intercept;
    for (let q = 0; q < m.k; q++) p += m.coef[q]! * features[m.index[q]!]!;
    return p;
  }

  private setFallback(reason: PredictionFallback, names: readonly string[]): void {
    this.lastFallback = reason;
    this.selectedNames = names;
  }

  /** FCBF + regression on the current window; falls back to SLR on packets. */
  private refit(): void {
    const h = this.history;
    const m = this.model;
    this.fittedVersion = h.version;
    h.refresh();
    const n = h.count;
    const k = selectFeatures(h, this.relevance, Math.min(this.maxFeatures, n - 2), this.order, m.index);
    if (k > 0 && this.reg.fit(h, m.index, k, this.regression, this.tolerance)) {
      m.coef.set(this.reg.coef.subarray(0, k));
      m.intercept = this.reg.intercept;
      const scale = this.reg.relativeScale;
      this.clip = Number.isFinite(scale) && scale > 0 ? Math.min(MAX_CLIP, 2 * scale) : DEFAULT_CLIP;
      m.k = k;
      m.reason = null;
      this.selectedNames = namesOf(this.featureNames, m.index, k, this.selectedNames);
      return;
    }
    // SLR on packets (or the mean when packets is absent or constant).
    const reason: PredictionFallback = k === 0 ? 'no-features' : 'rank-deficient';
    if (this.packetsCol >= 0) fitSimpleRegression(h, this.packetsCol, this.slr);
    else {
      this.slr.ok = false;
      this.slr.slope = 0;
      this.slr.intercept = h.meanCost();
    }
    m.intercept = this.slr.intercept;
    if (this.slr.ok) {
      m.k = 1;
      m.index[0] = this.packetsCol;
      m.coef[0] = this.slr.slope;
      m.reason = reason;
      this.selectedNames = namesOf(this.featureNames, m.index, 1, this.selectedNames);
    } else {
      m.k = 0;
      m.reason = 'constant-predictor';
      this.selectedNames = [];
    }
  }
}

/** Names of the selected indices; reuses `prev` when the selection did not change (no allocation per batch). */
function namesOf(all: readonly string[], index: Int32Array, k: number, prev: readonly string[]): readonly string[] {
  if (prev.length === k) {
    let same = true;
    for (let q = 0; q < k; q++) if (prev[q] !== all[index[q]!]) same = false;
    if (same) return prev;
  }
  const out: string[] = new Array(k);
  for (let q = 0; q < k; q++) out[q] = all[index[q]!]!;
  return out;
}
