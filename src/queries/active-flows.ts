/**
 * `active-flows`: the number of distinct 5-tuple flows with at least one packet in the interval (the
 * accuracy query of the CoMo load-shedding papers; CoMo `flowcount`, here exact rather than linear counting).
 *
 * Correction ('flow-count'): under flow sampling, flows whose stored flow hash passes the interval's final
 * threshold, divided by finalRate (unbiased; see flow-count.ts). Under packet sampling the count is NOT
 * corrected: flows whose packets were all dropped are missing, so it is biased low (CoMo's paper reports ~5%
 * error at moderate rates); `sampledFlows` is the raw count either way. Flows evicted from a full table still
 * count (their hashes are kept in a histogram).
 */
import type { PacketBatch, Selection } from '../capture/batch.ts';
import { EvictedHashes, flowThreshold, scaleFlowCount } from './flow-count.ts';
import { DEFAULT_MAX_FLOWS, FlowTable } from './flow-table.ts';
import { IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';

export interface ActiveFlowsValue {
  /** Estimated active flows in the interval. */
  flows: number;
  /** Flows counted before scaling (held + evicted, after re-filtering to the final threshold). */
  sampledFlows: number;
  evictions: number;
}

export interface ActiveFlowsOptions {
  readonly maxFlows?: number;
}

const HASH = 0;
/** How many packets ahead process() touches the table row (overlapping cache misses on big tables). */
const PREFETCH = 8;

export class ActiveFlowsQuery implements Query<ActiveFlowsValue> {
  readonly name = 'active-flows';
  readonly sampling = 'flow' as const;
  readonly correction = 'flow-count' as const;
  readonly table: FlowTable;
  private readonly stats = new IntervalStats();
  private readonly evicted = new EvictedHashes();
  /** Whether any batch of the interval carried flow hashes (i.e. flow sampling was in force). */
  private hashed = false;
  /** Table hashes of the current batch's selected packets. */
  private hashBuf = new Uint32Array(4096);

  constructor(opts: ActiveFlowsOptions = {}) {
    this.table = new FlowTable({ key: '5-tuple', valueColumns: 1, maxFlows: opts.maxFlows ?? DEFAULT_MAX_FLOWS });
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const table = this.table;
    const idx = sel.idx;
    const fh = ctx.flowHash;
    if (fh !== undefined) this.hashed = true;
    const n = sel.length;
    if (this.hashBuf.length < n) this.hashBuf = new Uint32Array(Math.max(n, 2 * this.hashBuf.length));
    const hb = this.hashBuf;
    table.hashSelection(batch, idx, n, hb);
    for (let j = 0; j < n; j++) {
      const i = idx[j]!;
      if (j + PREFETCH < n) table.touch(hb[j + PREFETCH]!);
      const s = table.upsertHashed(batch, i, hb[j]!);
      if (table.evictedNow) this.evicted.add(table.evictedValues[HASH]!);
      if (table.inserted && fh !== undefined) table.vals[table.valueIndex(s) + HASH] = fh[i]!;
    }
  }

  flush(ctx: FlushContext): QueryResult<ActiveFlowsValue> {
    const table = this.table;
    // Without flow hashes (unsampled or packet sampling) there is nothing to re-filter or scale.
    const finalRate = this.hashed ? ctx.finalRate : 1;
    let kept = 0;
    if (finalRate >= 1) {
      kept = table.size + this.evicted.total;
    } else {
      const thr = flowThreshold(finalRate);
      const h = table.vals;
      for (let s = 0; s < table.slots; s++) if (table.occupied(s) && h[table.valueIndex(s) + HASH]! <= thr) kept++;
      kept += this.evicted.countAtOrBelow(thr);
    }
    const value = { flows: scaleFlowCount(kept, finalRate), sampledFlows: kept, evictions: table.evictions };
    table.clear();
    this.evicted.clear();
    this.hashed = false;
    return this.stats.result(this.name, this.correction, ctx, value);
  }
}

export function createActiveFlows(opts: ActiveFlowsOptions = {}): ActiveFlowsQuery {
  return new ActiveFlowsQuery(opts);
}
