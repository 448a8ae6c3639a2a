/**
 * Multiple linear regression cost predictor (seed 004 section IV.C, eq. 1), CoMo style: per query and per
 * batch, select features with the FCBF variant (./fcbf.ts) over the last `history` (60) observations, then fit
 * OLS with an intercept on the selected features and predict; negative predictions clamp to 0.
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
 * Cost: the model depends only on the history, so it is refitted lazily once per new observation (on the first
 * predict after it); further predicts on re-extracted features of a sampled batch cost a dot product.
 */
import { checkCost, EwmaPredictor } from './ewma.ts';
import { CorrelationWorkspace } from './fcbf.ts';
import { CostHistory } from './history.ts';
import { solveLeastSquares } from './ols.ts';
import type { CostPredictor, PredictionFallback } from './predictor.ts';
import { fitSimpleRegression, type SimpleFit } from './slr.ts';

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
}

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
  readonly history: CostHistory;
  readonly relevance: number;
  readonly minObservations: number;
  readonly maxFeatures: number;
  readonly tolerance: number;
  private readonly ws: CorrelationWorkspace;
  private readonly ewma: EwmaPredictor;
  private readonly packetsCol: number;
  private readonly model: MlrModel;
  private readonly slr: SimpleFit = { intercept: 0, slope: 0, ok: false };
  private readonly design: Float64Array;
  private readonly rhs: Float64Array;
  private readonly beta: Float64Array;
  private readonly diag: Float64Array;
  private fittedVersion = -1;
  private selectedNames: readonly string[] = [];
  private lastFallback: PredictionFallback | null = 'warmup';
  private lastClamped = false;

  constructor(opts: MlrOptions) {
    const w = opts.featureNames.length;
    if (w < 1) throw new RangeError('MLR needs at least one feature name');
    const cap = opts.history ?? 60;
    this.featureNames = opts.featureNames;
    this.history = new CostHistory(cap, w);
    this.relevance = opts.relevance ?? 0.6;
    this.minObservations = Math.max(3, opts.minObservations ?? 10);
    this.maxFeatures = Math.max(1, opts.maxFeatures ?? 15);
    this.tolerance = opts.tolerance ?? 1e-7;
    this.ws = new CorrelationWorkspace(w, cap);
    this.ewma = new EwmaPredictor({ alpha: opts.alpha, history: cap });
    this.packetsCol = opts.featureNames.indexOf('packets');
    const kMax = Math.min(this.maxFeatures, w);
    this.model = { k: 0, index: new Int32Array(kMax), coef: new Float64Array(kMax), intercept: 0, reason: 'warmup' };
    this.design = new Float64Array(kMax * cap);
    this.rhs = new Float64Array(cap);
    this.beta = new Float64Array(kMax);
    this.diag = new Float64Array(kMax);
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
    const m = this.model;
    let p = m.intercept;
    for (let q = 0; q < m.k; q++) p += m.coef[q]! * features[m.index[q]!]!;
    if (!Number.isFinite(p)) {
      this.setFallback('non-finite', []);
      return this.ewma.predict(features);
    }
    this.lastFallback = m.reason;
    if (p < 0) {
      this.lastClamped = true;
      return 0;
    }
    return p;
  }

  observe(features: Float64Array, costNs: number): void {
    checkCost(costNs);
    this.history.push(features, costNs);
    this.ewma.observe(features, costNs);
  }

  private setFallback(reason: PredictionFallback, names: readonly string[]): void {
    this.lastFallback = reason;
    this.selectedNames = names;
  }

  /** FCBF + OLS on the current window; falls back to SLR on packets. */
  private refit(): void {
    const h = this.history;
    const ws = this.ws;
    const m = this.model;
    this.fittedVersion = h.version;
    ws.prepare(h);
    const n = ws.n;
    const k = ws.select(this.relevance, Math.min(this.maxFeatures, n - 2), m.index);
    if (k > 0 && this.fitOls(k)) {
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

  /** OLS on centred, unit-norm columns of the k selected features; writes the model in original units. */
  private fitOls(k: number): boolean {
    const ws = this.ws;
    const m = this.model;
    const n = ws.n;
    const cap = ws.capacity;
    const a = this.design;
    for (let q = 0; q < k; q++) {
      const j = m.index[q]!;
      const inv = 1 / Math.sqrt(ws.ssq[j]!);
      const src = j * cap;
      const dst = q * n;
      for (let r = 0; r < n; r++) a[dst + r] = ws.centered[src + r]! * inv;
    }
    const b = this.rhs;
    for (let r = 0; r < n; r++) b[r] = ws.yCentered[r]!;
    if (!solveLeastSquares(a, n, n, k, b, this.beta, this.diag, this.tolerance)) return false;
    let intercept = ws.yMean;
    for (let q = 0; q < k; q++) {
      const j = m.index[q]!;
      const c = this.beta[q]! / Math.sqrt(ws.ssq[j]!);
      m.coef[q] = c;
      intercept -= c * ws.mean[j]!;
    }
    m.intercept = intercept;
    return Number.isFinite(intercept);
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
