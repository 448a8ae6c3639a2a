/**
 * The src/shed controller as the engine drives it: the available time of a batch is supplied by the engine
 * (overhead already spent on this batch + per-packet estimates of the rest + backlog; see engine.ts) instead of
 * the controller's EWMA of past batches, which lags behind a sudden flood.
 */
import { ShedController } from '../shed/index.ts';

export class EngineController extends ShedController {
  /** Set by the engine before each plan(); NaN = the controller's own estimate. */
  nextAvailableNs = NaN;
  override availableNs(): number {
    return Number.isNaN(this.nextAvailableNs) ? super.availableNs() : this.nextAvailableNs;
  }
}

/** Whether two rate vectors are identical (the refinement made no change). */
export function sameRates(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
