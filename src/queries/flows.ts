/**
 * `flows`: per-5-tuple packet and byte records per interval (CoMo `tuple`). The records live in a bounded
 * {@link FlowTable}; the result gives the number of flow records, the interval's packet and byte totals and the
 * largest records by bytes (capped at `maxRecords`, with the number omitted).
 *
 * Correction:
 * - Record count under flow sampling: 'flow-count' (see flow-count.ts): each record counted when first seen,
 *   1/m_b when its flow hash passes the running-minimum threshold m_b of that batch (rates may rise again). Under packet sampling ('sampled-distinct'): the flows
 *   seen plus the estimated unseen ones, as in active-flows (sampled-distinct.ts; nearly unbiased, bias stated
 *   there); `recordsHeld` stays the raw count.
 * - Totals (packets, bytes): Horvitz-Thompson, 1/p per packet at its batch's rate.
 * - Per-flow packets/bytes: under flow sampling the listed records are those whose hash passes the interval's
 *   final (lowest) threshold: they were kept in every batch, so their counts are exact and not scaled (flows
 *   kept only while the rate was higher are held but not listed); under packet sampling each packet counts 1/p.
 * Evicted records (table full) are counted in `evictions` and still enter the record count (counted when first seen).
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { formatAddress } from './address.ts';
import { DistinctFlows } from './distinct-flows.ts';
import { flowThreshold } from './flow-count.ts';
import { DEFAULT_MAX_FLOWS, FlowTable } from './flow-table.ts';
import { htWeight, IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';
import { SAMPLED_DISTINCT_COLUMNS } from './sampled-distinct.ts';
import { topSlots } from './top-k.ts';

export interface FlowRecord {
  proto: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  packets: number;
  bytes: number;
}

export interface FlowsValue {
  /** Estimated number of distinct 5-tuple flows (records) in the interval. */
  records: number;
  /** Records held by the table at flush that passed the final threshold (raw, not scaled). */
  recordsHeld: number;
  /** Estimated packets and bytes of the interval (Horvitz-Thompson). */
  packets: number;
  bytes: number;
  /** Flows evicted because the table was full. */
  evictions: number;
  /** The largest held records by bytes, largest first. */
  top: FlowRecord[];
  /** Held records not listed in `top`. */
  omitted: number;
}

export interface FlowsOptions {
  /** Most flows held at once (default 1,048,576). */
  readonly maxFlows?: number;
  /** Records listed in the result (default 10). */
  readonly maxRecords?: number;
  /** Pre-size the table for this many flows (FlowTable initialFlows). */
  readonly initialFlows?: number;
}

const PKTS = 0;
const BYTES = 1;
const HASH = 2;
/** First of the packet-sampling estimator's columns. */
const SAMPLED = 3;

export class FlowsQuery implements Query<FlowsValue> {
  readonly name = 'flows';
  readonly sampling = 'flow' as const;
  readonly correction = 'flow-count' as const;
  readonly table: FlowTable;
  private readonly maxRecords: number;
  private readonly stats = new IntervalStats();
  /** The record count (shared with active-flows). */
  private readonly count: DistinctFlows;
  private packets = 0;
  private bytes = 0;

  constructor(opts: FlowsOptions = {}) {
    this.table = new FlowTable({ key: '5-tuple', valueColumns: 3 + SAMPLED_DISTINCT_COLUMNS, maxFlows: opts.maxFlows ?? DEFAULT_MAX_FLOWS, initialFlows: opts.initialFlows });
    this.maxRecords = opts.maxRecords ?? 10;
    this.count = new DistinctFlows(this.table, SAMPLED);
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const table = this.table;
    const count = this.count;
    const idx = sel.idx;
    const len = batch.wireLen;
    const w = htWeight(ctx.rate);
    // Per-flow weight: flow-sampled flows are whole (exact counts), packet-sampled ones are scaled.
    const fh = ctx.flowHash;
    const fw = fh !== undefined ? 1 : w;
    let bytes = 0;
    const n = sel.length;
    count.beginBatch(batch, sel, ctx);
    for (let j = 0; j < n; j++) {
      const i = idx[j]!;
      const o = count.upsert(batch, i, j);
      const v = table.vals;
      // The flow hash, to list at flush only the flows kept in every batch (hash <= the final threshold).
      if (fh !== undefined && table.inserted) v[o + HASH] = fh[i]!;
      const l = len[i]!;
      v[o + PKTS] = v[o + PKTS]! + fw;
      v[o + BYTES] = v[o + BYTES]! + fw * l;
      bytes += l;
    }
    this.packets += sel.length * w;
    this.bytes += bytes * w;
  }

  flush(ctx: FlushContext): QueryResult<FlowsValue> {
    const table = this.table;
    const c = this.count.flush(ctx.finalRate, this.stats.rates().min);
    const finalRate = c.finalRate;
    const thr = flowThreshold(finalRate);
    const vals = table.vals;
    const keep = finalRate >= 1 ? undefined : (s: number): boolean => vals[table.valueIndex(s) + HASH]! <= thr;
    const { slots, passed } = topSlots(table, BYTES, this.maxRecords, keep);
    const top = slots.map((s): FlowRecord => {
      const b = table.keyOffset(s);
      const k = table.rows;
      return {
        proto: k[b]!,
        src: formatAddress(k, b + 1),
        dst: formatAddress(k, b + 5),
        srcPort: k[b + 9]! >>> 16,
        dstPort: k[b + 9]! & 0xffff,
        packets: vals[table.valueIndex(s) + PKTS]!,
        bytes: vals[table.valueIndex(s) + BYTES]!,
      };
    });
    const value: FlowsValue = {
      records: c.flows,
      recordsHeld: passed,
      packets: this.packets,
      bytes: this.bytes,
      evictions: table.evictions,
      top,
      omitted: passed - top.length,
    };
    table.clear();
    this.packets = this.bytes = 0;
    return this.stats.result(this.name, c.correction, ctx, value);
  }
}

export function createFlows(opts: FlowsOptions = {}): FlowsQuery {
  return new FlowsQuery(opts);
}
