/**
 * A lower bound on a query's cost from its own recent history: packets x the 10th percentile of its measured
 * cost per packet over the last `window` observations (non-GC batches that ran). The engine plans shedding with
 * max(prediction, floor) so that a prediction extrapolated far outside the history (a flood batch with 10x the
 * usual packets predicted at the usual cost) cannot let the batch through unshed.
 *
 * {@link high} is the same with the 90th percentile: what the shedding phase plans a batch of unseen size with
 * (see ShedPhase's novelty guard).
 */
import { RecentValues } from '../shed/index.ts';

export class CostFloor {
  /** Per query: its recent costs per packet. */
  private readonly perPacket: RecentValues[];

  constructor(
    readonly queries: number,
    readonly window: number,
    /** Quantile of the cost per packet used as the floor. */
    readonly quantile = 0.1,
  ) {
    this.perPacket = Array.from({ length: queries }, () => new RecentValues(window));
  }

  /** Adds one observation of query q: `costNs` for `packets` processed packets (ignored when empty). */
  observe(q: number, costNs: number, packets: number): void {
    if (!(packets > 0) || !(costNs >= 0)) return;
    this.perPacket[q]!.push(costNs / packets);
  }

  /** The floor for `packets` packets of query q (0 until it has a quarter window of history). */
  min(q: number, packets: number): number {
    return this.at(q, this.quantile) * packets;
  }

  /** `packets` x the 90th-percentile cost per packet of query q (0 until it has a quarter window of history). */
  high(q: number, packets: number): number {
    return this.at(q, 0.9) * packets;
  }

  /** Query q's cost per packet at quantile `p` of its window (lower rank), 0 with under a quarter window. */
  private at(q: number, p: number): number {
    const w = this.perPacket[q]!;
    if (w.size < this.window / 4) return 0;
    const s = w.sorted();
    return s[Math.floor((s.length - 1) * p)]!;
  }
}
