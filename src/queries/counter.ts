/**
 * `counter`: packets and bytes (on-wire length) per measurement interval (CoMo `traffic`).
 *
 * Correction (Horvitz-Thompson): each processed packet counts 1/p and its bytes x 1/p, p being the rate in
 * force for the batch it came in, so the estimate stays unbiased when p changes inside the interval (under
 * packet sampling and under flow sampling alike: a packet's inclusion probability is p either way). The raw
 * counts of processed packets are reported alongside.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { htWeight, IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';

export interface CounterValue {
  /** Estimated packets in the interval. */
  packets: number;
  /** Estimated on-wire bytes in the interval. */
  bytes: number;
  /** Packets actually processed (not scaled). */
  sampledPackets: number;
  sampledBytes: number;
}

export class CounterQuery implements Query<CounterValue> {
  readonly name = 'counter';
  readonly sampling = 'packet' as const;
  readonly correction = 'horvitz-thompson' as const;
  private readonly stats = new IntervalStats();
  private packets = 0;
  private bytes = 0;
  private rawPackets = 0;
  private rawBytes = 0;

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const idx = sel.idx;
    const len = batch.wireLen;
    let b = 0;
    for (let j = 0; j < sel.length; j++) b += len[idx[j]!]!;
    const w = htWeight(ctx.rate);
    this.rawPackets += sel.length;
    this.rawBytes += b;
    this.packets += sel.length * w;
    this.bytes += b * w;
  }

  flush(ctx: FlushContext): QueryResult<CounterValue> {
    const value = { packets: this.packets, bytes: this.bytes, sampledPackets: this.rawPackets, sampledBytes: this.rawBytes };
    this.packets = this.bytes = this.rawPackets = this.rawBytes = 0;
    return this.stats.result(this.name, this.correction, ctx, value);
  }
}

export function createCounter(): CounterQuery {
  return new CounterQuery();
}
