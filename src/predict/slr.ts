/**
 * Simple linear regression on one feature (seed 004 eq. 3: Y = β0 + β1·X + ε, X = packets), fitted by OLS over
 * the history window. Refits lazily: once per new observation, on the first predict after it.
 */
import { checkCost, EwmaPredictor } from './ewma.ts';
import { CostHistory } from './history.ts';
import type { ObservationWindow } from './observation-window.ts';
import type { CostPredictor, PredictionFallback } from './predictor.ts';

/** Result of {@link fitSimpleRegression}. `ok` is false when X is constant (then slope 0, intercept = mean). */
export interface SimpleFit {
  intercept: number;
  slope: number;
  ok: boolean;
}

/** OLS of the cost on column `col` of the history (two-pass, numerically stable). Writes into `out`. */
export function fitSimpleRegression(h: ObservationWindow, col: number, out: SimpleFit): SimpleFit {
  const n = h.count;
  const w = h.width;
  let mx = 0;
  let my = 0;
  for (let r = 0; r < n; r++) {
    mx += h.x[r * w + col]!;
    my += h.y[r]!;
  }
  mx = n > 0 ? mx / n : 0;
  my = n > 0 ? my / n : 0;
  let sxx = 0;
  let sxy = 0;
  for (let r = 0; r < n; r++) {
    const dx = h.x[r * w + col]! - mx;
    sxx += dx * dx;
    sxy += dx * (h.y[r]! - my);
  }
  if (n >= 2 && sxx > n * 1e-20 * Math.max(1, mx * mx) && Number.isFinite(sxy)) {
    out.slope = sxy / sxx;
    out.intercept = my - out.slope * mx;
    out.ok = true;
  } else {
    out.slope = 0;
    out.intercept = my;
    out.ok = false;
  }
  return out;
}

export interface SlrOptions {
  featureNames: readonly string[];
  /** Window length (60). */
  history?: number;
  /** Feature used as X (`packets`). */
  feature?: string;
  /** EWMA weight for the warm-up / non-finite fallback (0.3). */
  alpha?: number;
}

export class SlrPredictor implements CostPredictor {
  readonly kind = 'slr';
  readonly history: CostHistory;
  private readonly col: number;
  private readonly names: readonly string[];
  private readonly ewma: EwmaPredictor;
  private readonly fit: SimpleFit = { intercept: 0, slope: 0, ok: false };
  private fittedVersion = -1;
  private lastFallback: PredictionFallback | null = 'warmup';

  constructor(opts: SlrOptions) {
    const feature = opts.feature ?? 'packets';
    this.col = opts.featureNames.indexOf(feature);
    this.names = this.col >= 0 ? [feature] : [];
    this.history = new CostHistory(opts.history ?? 60, Math.max(1, opts.featureNames.length));
    this.ewma = new EwmaPredictor({ alpha: opts.alpha, history: opts.history });
  }

  get observations(): number {
    return this.history.count;
  }

  get selected(): readonly string[] {
    return this.lastFallback === null ? this.names : [];
  }

  get fallback(): PredictionFallback | null {
    return this.lastFallback;
  }

  predict(features: Float64Array): number {
    if (features.length < this.history.width) throw new RangeError(`features has ${features.length} values, expected ${this.history.width}`);
    if (this.history.count < 2) {
      this.lastFallback = 'warmup';
      return this.ewma.predict(features);
    }
    if (this.col < 0) {
      this.lastFallback = 'constant-predictor';
      return this.history.meanCost();
    }
    if (this.fittedVersion !== this.history.version) {
      fitSimpleRegression(this.history, this.col, this.fit);
      this.fittedVersion = this.history.version;
    }
    const p = this.fit.intercept + this.fit.slope * features[this.col]!;
    if (!Number.isFinite(p)) {
      this.lastFallback = 'non-finite';
      return this.ewma.predict(features);
    }
    this.lastFallback = this.fit.ok ? null : 'constant-predictor';
    return p > 0 ? p : 0;
  }

  observe(features: Float64Array, costNs: number): void {
    checkCost(costNs);
    this.history.push(features, costNs);
    this.ewma.observe(features, costNs);
  }
}
