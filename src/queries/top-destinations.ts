/**
 * `top-destinations`: the k destination addresses that received the most bytes in the interval (CoMo
 * `topaddr`), with their packets.
 *
 * Correction (Horvitz-Thompson): each processed packet adds 1/p packets and wireLen/p bytes to its destination,
 * p being its batch's rate, so each destination's volume is unbiased; the ranking itself is what degrades under
 * sampling (small destinations can swap places). Destinations are held in a bounded FlowTable keyed by address;
 * `evictions` counts destinations dropped when it was full.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { formatAddress } from './address.ts';
import { DEFAULT_MAX_FLOWS, FlowTable } from './flow-table.ts';
import { htWeight, IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';
import { topSlots } from './top-k.ts';

export interface DestinationStats {
  addr: string;
  bytes: number;
  packets: number;
}

export interface TopDestinationsValue {
  top: DestinationStats[];
  /** Distinct destinations seen (raw, not scaled). */
  destinations: number;
  evictions: number;
}

export interface TopDestinationsOptions {
  /** Number of destinations reported (default 10). */
  readonly k?: number;
  readonly maxFlows?: number;
}

const BYTES = 0;
const PKTS = 1;

export class TopDestinationsQuery implements Query<TopDestinationsValue> {
  readonly name = 'top-destinations';
  readonly sampling = 'packet' as const;
  readonly correction = 'horvitz-thompson' as const;
  readonly table: FlowTable;
  private readonly k: number;
  private readonly stats = new IntervalStats();

  constructor(opts: TopDestinationsOptions = {}) {
    this.k = opts.k ?? 10;
    this.table = new FlowTable({ key: 'dst', valueColumns: 2, maxFlows: opts.maxFlows ?? DEFAULT_MAX_FLOWS });
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const table = this.table;
    const w = htWeight(ctx.rate);
    const idx = sel.idx;
    const len = batch.wireLen;
    for (let j = 0; j < sel.length; j++) {
      const i = idx[j]!;
      const s = table.upsert(batch, i);
      const v = table.vals;
      const o = table.valueIndex(s);
      v[o + BYTES] = v[o + BYTES]! + w * len[i]!;
      v[o + PKTS] = v[o + PKTS]! + w;
    }
  }

  flush(ctx: FlushContext): QueryResult<TopDestinationsValue> {
    const table = this.table;
    const { slots, passed } = topSlots(table, BYTES, this.k);
    const top = slots.map((s) => ({
      addr: formatAddress(table.rows, table.keyOffset(s)),
      bytes: table.vals[table.valueIndex(s) + BYTES]!,
      packets: table.vals[table.valueIndex(s) + PKTS]!,
    }));
    const value = { top, destinations: passed, evictions: table.evictions };
    table.clear();
    return this.stats.result(this.name, this.correction, ctx, value);
  }
}

export function createTopDestinations(opts: TopDestinationsOptions = {}): TopDestinationsQuery {
  return new TopDestinationsQuery(opts);
}
