/**
 * `high-watermark`: peak link utilisation in the interval: the interval is cut into fixed slots (10 ms by
 * default) from its start, each slot's on-wire bytes are summed, and the result is max over slots of
 * bytes x 8 / slot seconds, in bit/s (plus the slot where it happened and the interval's mean rate).
 *
 * Correction: each packet's bytes are scaled by 1/p at its batch's rate (Horvitz-Thompson per slot), then the max
 * is taken. Each slot's volume is unbiased, but the max of noisy estimates is biased upward under sampling
 * (research notes §1.6); the number of processed packets in the peak slot is reported so that a reader can judge
 * the noise (fewer than ~10 means the peak is unreliable).
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { htWeight, IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';

export interface HighWatermarkValue {
  /** Peak slot rate, bit/s. */
  peakBps: number;
  /** Start of the peak slot, ns since the interval start. */
  peakSlotOffsetNs: number;
  /** Processed packets in the peak slot. */
  peakSlotPackets: number;
  /** Mean rate over the interval, bit/s. */
  meanBps: number;
  slotNs: number;
  /** Packets beyond the last slot kept (2^20 slots, ~2.9 h at 10 ms) counted in that slot. */
  clampedPackets: number;
}

/** Most slots per interval: bounds memory when an interval is far longer than expected. */
const MAX_SLOTS = 1 << 20;

export interface HighWatermarkOptions {
  /** Slot width in ns (default 10 ms). */
  readonly slotNs?: number;
}

export class HighWatermarkQuery implements Query<HighWatermarkValue> {
  readonly name = 'high-watermark';
  readonly sampling = 'packet' as const;
  readonly correction = 'horvitz-thompson' as const;
  readonly slotNs: number;
  private slotBytes = new Float64Array(128);
  private slotPkts = new Uint32Array(128);
  private used = 0;
  private total = 0;
  private clamped = 0;
  private readonly stats = new IntervalStats();

  constructor(opts: HighWatermarkOptions = {}) {
    this.slotNs = opts.slotNs ?? 1e7;
    if (!(this.slotNs >= 1)) throw new UserError('queries.bad-slot', `slot width ${this.slotNs} ns must be >= 1`, 'use e.g. 10ms');
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    if (sel.length === 0) return;
    const w = htWeight(ctx.rate);
    const base = Number(batch.startNs - ctx.intervalStartNs);
    const slotNs = this.slotNs;
    const lastSlot = Math.min(MAX_SLOTS - 1, Math.max(0, Math.floor((base + batch.durationNs) / slotNs)));
    if (lastSlot >= this.slotBytes.length) this.growTo(lastSlot + 1);
    const idx = sel.idx;
    const off = batch.offsetNs;
    const len = batch.wireLen;
    let total = 0;
    for (let j = 0; j < sel.length; j++) {
      const i = idx[j]!;
      let s = Math.floor((base + off[i]!) / slotNs);
      if (s < 0) s = 0; // late packet from before the interval: count it in the first slot
      else if (s >= MAX_SLOTS) {
        s = MAX_SLOTS - 1;
        this.clamped++;
      }
      if (s >= this.slotBytes.length) this.growTo(s + 1);
      const b = w * len[i]!;
      this.slotBytes[s] = this.slotBytes[s]! + b;
      this.slotPkts[s] = this.slotPkts[s]! + 1;
      if (s >= this.used) this.used = s + 1;
      total += b;
    }
    this.total += total;
  }

  flush(ctx: FlushContext): QueryResult<HighWatermarkValue> {
    let peak = 0;
    let at = 0;
    for (let s = 0; s < this.used; s++) {
      if (this.slotBytes[s]! > peak) {
        peak = this.slotBytes[s]!;
        at = s;
      }
    }
    const sec = this.slotNs / 1e9;
    const durNs = Number(ctx.intervalEndNs - ctx.intervalStartNs);
    const value: HighWatermarkValue = {
      peakBps: (peak * 8) / sec,
      peakSlotOffsetNs: at * this.slotNs,
      peakSlotPackets: this.slotPkts[at]!,
      meanBps: durNs > 0 ? (this.total * 8) / (durNs / 1e9) : 0,
      slotNs: this.slotNs,
      clampedPackets: this.clamped,
    };
    this.slotBytes.fill(0, 0, this.used);
    this.slotPkts.fill(0, 0, this.used);
    this.used = 0;
    this.total = 0;
    this.clamped = 0;
    return this.stats.result(this.name, this.correction, ctx, value);
  }

  private growTo(n: number): void {
    let m = this.slotBytes.length;
    while (m < n) m *= 2;
    const b = new Float64Array(m);
    b.set(this.slotBytes);
    const p = new Uint32Array(m);
    p.set(this.slotPkts);
    this.slotBytes = b;
    this.slotPkts = p;
  }
}

export function createHighWatermark(opts: HighWatermarkOptions = {}): HighWatermarkQuery {
  return new HighWatermarkQuery(opts);
}
