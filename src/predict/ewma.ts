/**
 * EWMA cost predictor (seed 004 eq. 2): Ŷ(t+1) = α·Y(t) + (1 − α)·Ŷ(t), α = 0.3 by default (the seed's best).
 * The first observation initialises Ŷ; before any observation the prediction is 0. Ignores the features.
 */
import type { CostPredictor, PredictionFallback } from './predictor.ts';

export class EwmaPredictor implements CostPredictor {
  readonly kind = 'ewma';
  readonly selected: readonly string[] = [];
  readonly alpha: number;
  private readonly window: number;
  private value = 0;
  private seen = 0;

  constructor(opts: { alpha?: number; history?: number } = {}) {
    this.alpha = opts.alpha ?? 0.3;
    if (!(this.alpha > 0 && this.alpha <= 1)) throw new RangeError(`EWMA alpha must be in (0, 1], got ${this.alpha}`);
    this.window = opts.history ?? 60;
  }

  get observations(): number {
    return Math.min(this.seen, this.window);
  }

  get fallback(): PredictionFallback | null {
    return this.seen === 0 ? 'warmup' : null;
  }

  predict(_features: Float64Array): number {
    return this.value;
  }

  observe(_features: Float64Array, costNs: number): void {
    checkCost(costNs);
    this.value = this.seen === 0 ? costNs : this.alpha * costNs + (1 - this.alpha) * this.value;
    this.seen++;
  }
}

/** Observed costs must be finite and >= 0: anything else is a bug in the caller's timing. */
export function checkCost(costNs: number): void {
  if (!(costNs >= 0) || !Number.isFinite(costNs)) throw new RangeError(`observed cost must be a finite number >= 0 ns, got ${costNs}`);
}
