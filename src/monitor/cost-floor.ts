/**
 * A lower bound on a query's cost from its own recent history: packets x the 10th percentile of its measured
 * cost per packet over the last `window` observations (non-GC batches that ran). The engine plans shedding with
 * max(prediction, floor) so that a prediction extrapolated far outside the history (a flood batch with 10x the
 * usual packets predicted at the usual cost) cannot let the batch through unshed.
 *
 * {@link high} is the same with the 90th percentile: what the shedding phase plans a batch of unseen size with
 * (see ShedPhase's novelty guard).
 */
export class CostFloor {
  private readonly ring: Float64Array;
  private readonly count: Uint32Array;
  private readonly next: Uint32Array;
  private readonly perPkt: Float64Array;
  private readonly perPktHigh: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly scratch: Float64Array;

  constructor(
    readonly queries: number,
    readonly window: number,
    /** Quantile of the cost per packet used as the floor. */
    readonly quantile = 0.1,
  ) {
    this.ring = new Float64Array(queries * window);
    this.count = new Uint32Array(queries);
    this.next = new Uint32Array(queries);
    this.perPkt = new Float64Array(queries);
    this.perPktHigh = new Float64Array(queries);
    this.dirty = new Uint8Array(queries);
    this.scratch = new Float64Array(window);
  }

  /** Adds one observation of query q: `costNs` for `packets` processed packets (ignored when empty). */
  observe(q: number, costNs: number, packets: number): void {
    if (!(packets > 0) || !(costNs >= 0)) return;
    this.ring[q * this.window + this.next[q]!] = costNs / packets;
    this.next[q] = (this.next[q]! + 1) % this.window;
    if (this.count[q]! < this.window) this.count[q]!++;
    this.dirty[q] = 1;
  }

  /** The floor for `packets` packets of query q (0 until it has a quarter window of history). */
  min(q: number, packets: number): number {
    return this.ready(q) ? this.perPkt[q]! * packets : 0;
  }

  /** `packets` x the 90th-percentile cost per packet of query q (0 until it has a quarter window of history). */
  high(q: number, packets: number): number {
    return this.ready(q) ? this.perPktHigh[q]! * packets : 0;
  }

  /** Whether query q has enough history; sorts its window once per new observation. */
  private ready(q: number): boolean {
    const c = this.count[q]!;
    if (c < this.window / 4) return false;
    if (this.dirty[q]) {
      const s = this.scratch.subarray(0, c);
      s.set(this.ring.subarray(q * this.window, q * this.window + c));
      s.sort();
      this.perPkt[q] = s[Math.floor((c - 1) * this.quantile)]!;
      this.perPktHigh[q] = s[Math.floor((c - 1) * 0.9)]!;
      this.dirty[q] = 0;
    }
    return true;
  }
}
