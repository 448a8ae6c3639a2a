/**
 * Emulated CPU and capture buffer for `--clock emulated` and for the "no shedding" baseline (seed 004 section
 * VI.B: a 200 ms buffer, packets beyond it are lost without control). Pure arithmetic on what the caller
 * passes in: no clock is read here.
 *
 * Model (one CPU, batches of `interval` ns of traffic arriving back to back at their trace times):
 * - backlog_t (ns) = how far the CPU is behind real time after processing batch t:
 *     backlog_t = max(0, backlog_{t−1} + cost_t − interval_t)
 *   where cost_t is the measured processing time of what was kept of batch t. Being b ns behind means the last b
 *   ns of traffic are waiting in the capture buffer.
 * - the buffer holds B ns worth of traffic (default 200 ms). When batch t arrives and backlog_{t−1} > B, the
 *   buffer is full for the first (backlog_{t−1} − B) ns of the batch, so that share of its packets is dropped:
 *     dropShare_t = min(1, (backlog_{t−1} − B) / interval_t),   dropped_t = round(dropShare_t × packets_t)
 *   and the dropped packets are the first `dropped_t` in arrival order (those with offset < dropShare × interval).
 * Dropped traffic costs nothing, so cost_t (measured on the rest) already accounts for it; the model needs no
 * extra correction. In steady overload with cost ratio k = full cost / interval > 1 the CPU is always busy, so
 * the long-run drop share is 1 − 1/k; per batch it converges to that (backlog B + (1 − 1/k)·interval) when
 * k < 2 and oscillates around it when k > 2 (the discrete batch-level model over-reacts).
 */
export interface AdmitResult {
  /** Share of the batch's packets lost in the full buffer, in [0, 1]. */
  dropShare: number;
  /** Packets lost (the first ones in arrival order). */
  droppedPackets: number;
  /** Packets with offset (from the batch start) below this are the dropped ones. */
  dropBeforeOffsetNs: number;
  /** Backlog (ns) when the batch arrived. */
  backlogNs: number;
}

export class EmulatedCpu {
  /** Capture buffer in ns of traffic. */
  readonly bufferNs: number;
  /** Default batch interval in ns. */
  readonly intervalNs: number;
  private backlog = 0;
  /** Totals since construction. */
  packets = 0;
  dropped = 0;
  batches = 0;
  busyNs = 0;

  constructor(opts: { bufferNs?: number; intervalNs?: number } = {}) {
    this.bufferNs = opts.bufferNs ?? 2e8;
    this.intervalNs = opts.intervalNs ?? 1e8;
    if (!(this.bufferNs >= 0) || !Number.isFinite(this.bufferNs)) throw new RangeError(`buffer must be >= 0 ns, got ${this.bufferNs}`);
    if (!(this.intervalNs > 0) || !Number.isFinite(this.intervalNs)) throw new RangeError(`interval must be > 0 ns, got ${this.intervalNs}`);
  }

  /** How far behind real time the CPU is (ns). */
  get backlogNs(): number {
    return this.backlog;
  }

  /** Batch arrival: decides how many of its `packets` are lost because the buffer is full. */
  admit(packets: number, intervalNs = this.intervalNs): AdmitResult {
    if (!Number.isInteger(packets) || packets < 0) throw new RangeError(`packets must be an integer >= 0, got ${packets}`);
    const excess = this.backlog - this.bufferNs;
    const share = excess > 0 ? Math.min(1, excess / intervalNs) : 0;
    const dropped = Math.min(packets, Math.round(share * packets));
    this.packets += packets;
    this.dropped += dropped;
    return { dropShare: share, droppedPackets: dropped, dropBeforeOffsetNs: share * intervalNs, backlogNs: this.backlog };
  }

  /** Charges the measured processing time of the kept part of the batch; returns the new backlog. */
  charge(costNs: number, intervalNs = this.intervalNs): number {
    if (!(costNs >= 0) || !Number.isFinite(costNs)) throw new RangeError(`cost must be finite and >= 0 ns, got ${costNs}`);
    this.backlog = Math.max(0, this.backlog + costNs - intervalNs);
    this.batches++;
    this.busyNs += costNs;
    return this.backlog;
  }

  /** Share of all admitted packets that were dropped. */
  get dropRate(): number {
    return this.packets === 0 ? 0 : this.dropped / this.packets;
  }

  /** Forgets the backlog (keeps the totals): measurement starts with an idle CPU and an empty buffer. */
  clearBacklog(): void {
    this.backlog = 0;
  }

  reset(): void {
    this.backlog = 0;
    this.packets = 0;
    this.dropped = 0;
    this.batches = 0;
    this.busyNs = 0;
  }
}
