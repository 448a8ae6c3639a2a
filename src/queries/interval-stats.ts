/**
 * The bookkeeping every query shares: the sampling rates it saw in a measurement interval (min, max, and the
 * mean weighted by the batch's packet count) and its coverage (share of the interval's packets it processed),
 * plus building the {@link QueryResult}.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import type { BatchContext, Correction, FlushContext, QueryResult } from './query.ts';

export class IntervalStats {
  private minRate = Infinity;
  private maxRate = -Infinity;
  private weightedRate = 0;
  private offered = 0;
  private processed = 0;

  /** Records one batch: all its packets were offered, `sel.length` processed at `ctx.rate`. */
  observe(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    const r = ctx.rate;
    if (r < this.minRate) this.minRate = r;
    if (r > this.maxRate) this.maxRate = r;
    this.weightedRate += r * batch.count;
    this.offered += batch.count;
    this.processed += sel.length;
  }

  /** min / max / packet-weighted mean of the rates seen; all 1 when no batch was seen. */
  rates(): { min: number; max: number; mean: number } {
    if (this.minRate === Infinity) return { min: 1, max: 1, mean: 1 };
    const mean = this.offered > 0 ? this.weightedRate / this.offered : (this.minRate + this.maxRate) / 2;
    return { min: this.minRate, max: this.maxRate, mean };
  }

  /** processed / offered packets; 1 for an empty interval (nothing was missed). */
  coverage(): number {
    return this.offered > 0 ? this.processed / this.offered : 1;
  }

  /** Builds the interval's result and resets the statistics for the next interval. */
  result<R>(query: string, correction: Correction, ctx: FlushContext, value: R): QueryResult<R> {
    const res: QueryResult<R> = {
      query,
      intervalStartNs: ctx.intervalStartNs,
      intervalEndNs: ctx.intervalEndNs,
      value,
      correction,
      rates: this.rates(),
      coverage: this.coverage(),
    };
    this.reset();
    return res;
  }

  reset(): void {
    this.minRate = Infinity;
    this.maxRate = -Infinity;
    this.weightedRate = 0;
    this.offered = 0;
    this.processed = 0;
  }
}

/** Horvitz-Thompson weight of a packet sampled at `rate`: 1/rate (0 for rate 0, where nothing is kept). */
export function htWeight(rate: number): number {
  return rate > 0 ? 1 / rate : 0;
}
