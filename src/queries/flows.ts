/**
 * `flows`: per-5-tuple packet and byte records per interval (CoMo `tuple`). The records live in a bounded
 * {@link FlowTable}; the result gives the number of flow records, the interval's packet and byte totals and the
 * largest records by bytes (capped at `maxRecords`, with the number omitted).
 *
 * Correction:
 * - Record count under flow sampling: 'flow-count' (see flow-count.ts): records whose stored flow hash passes
 *   the interval's final threshold, divided by finalRate. Under packet sampling ('sampled-distinct'): the flows
 *   seen plus the estimated unseen ones, as in active-flows (sampled-distinct.ts; nearly unbiased, bias stated
 *   there); `recordsHeld` stays the raw count.
 * - Totals (packets, bytes): Horvitz-Thompson, 1/p per packet at its batch's rate.
 * - Per-flow packets/bytes: under flow sampling a kept flow was kept whole, so its counts are exact and not
 *   scaled; under packet sampling each packet counts 1/p.
 * Evicted records (table full) are counted in `evictions` and still enter the record count (see EvictedHashes).
 */
import type { PacketBatch, Selection } from '../capture/batch.ts';
import { formatAddress } from './address.ts';
import { EvictedHashes, flowThreshold, scaleFlowCount } from './flow-count.ts';
import { DEFAULT_MAX_FLOWS, FlowTable } from './flow-table.ts';
import { htWeight, IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';
import { isSyn, recordSampledPacket, SAMPLED_DISTINCT_COLUMNS, SampledDistinct, unseenRatio } from './sampled-distinct.ts';
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
}

const PKTS = 0;
const BYTES = 1;
const HASH = 2;
/** First of the packet-sampling estimator's columns. */
const SAMPLED = 3;
/** How many packets ahead process() touches the table row (overlapping cache misses on big tables). */
const PREFETCH = 8;

export class FlowsQuery implements Query<FlowsValue> {
  readonly name = 'flows';
  readonly sampling = 'flow' as const;
  readonly correction = 'flow-count' as const;
  readonly table: FlowTable;
  private readonly maxRecords: number;
  private readonly stats = new IntervalStats();
  private readonly evicted = new EvictedHashes();
  /** Packet-sampling record-count estimate: held flows are added at flush, evicted ones when evicted. */
  private readonly distinct = new SampledDistinct();
  /** Whether any batch of the interval carried flow hashes (i.e. flow sampling was in force). */
  private hashed = false;
  private packets = 0;
  private bytes = 0;
  /** Table hashes of the current batch's selected packets. */
  private hashBuf = new Uint32Array(4096);

  constructor(opts: FlowsOptions = {}) {
    this.table = new FlowTable({ key: '5-tuple', valueColumns: 3 + SAMPLED_DISTINCT_COLUMNS, maxFlows: opts.maxFlows ?? DEFAULT_MAX_FLOWS });
    this.maxRecords = opts.maxRecords ?? 10;
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const table = this.table;
    const idx = sel.idx;
    const len = batch.wireLen;
    const fh = ctx.flowHash;
    if (fh !== undefined) this.hashed = true;
    const w = htWeight(ctx.rate);
    // Per-flow weight: flow-sampled flows are whole (exact counts), packet-sampled ones are scaled.
    const fw = fh !== undefined ? 1 : w;
    let bytes = 0;
    const n = sel.length;
    if (this.hashBuf.length < n) this.hashBuf = new Uint32Array(Math.max(n, 2 * this.hashBuf.length));
    const hb = this.hashBuf;
    const unseen = unseenRatio(ctx.rate);
    const proto = batch.proto;
    const flags = batch.tcpFlags;
    table.hashSelection(batch, idx, n, hb);
    for (let j = 0; j < n; j++) {
      const i = idx[j]!;
      if (j + PREFETCH < n) table.touch(hb[j + PREFETCH]!);
      const s = table.upsertHashed(batch, i, hb[j]!);
      if (table.evictedNow) {
        this.evicted.add(table.evictedValues[HASH]!);
        this.distinct.add(table.evictedValues, SAMPLED);
      }
      const v = table.vals;
      const o = table.valueIndex(s);
      const l = len[i]!;
      if (table.inserted && fh !== undefined) v[o + HASH] = fh[i]!;
      v[o + PKTS] = v[o + PKTS]! + fw;
      v[o + BYTES] = v[o + BYTES]! + fw * l;
      if (fh === undefined) recordSampledPacket(v, o + SAMPLED, isSyn(proto[i]!, flags[i]!), unseen);
      bytes += l;
    }
    this.packets += sel.length * w;
    this.bytes += bytes * w;
  }

  flush(ctx: FlushContext): QueryResult<FlowsValue> {
    const table = this.table;
    // Without flow hashes (unsampled or packet sampling) there is nothing to re-filter or scale.
    const finalRate = this.hashed ? ctx.finalRate : 1;
    const packetSampled = !this.hashed && this.stats.rates().min < 1;
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
    const evictedKept = finalRate >= 1 ? this.evicted.total : this.evicted.countAtOrBelow(thr);
    let records = scaleFlowCount(passed + evictedKept, finalRate);
    if (packetSampled) {
      const d = this.distinct;
      for (let s = 0; s < table.slots; s++) if (table.occupied(s)) d.add(vals, table.valueIndex(s) + SAMPLED);
      records = d.estimate();
    }
    const value: FlowsValue = {
      records,
      recordsHeld: passed,
      packets: this.packets,
      bytes: this.bytes,
      evictions: table.evictions,
      top,
      omitted: passed - top.length,
    };
    table.clear();
    this.evicted.clear();
    this.distinct.clear();
    this.hashed = false;
    this.packets = this.bytes = 0;
    return this.stats.result(this.name, packetSampled ? 'sampled-distinct' : this.correction, ctx, value);
  }
}

export function createFlows(opts: FlowsOptions = {}): FlowsQuery {
  return new FlowsQuery(opts);
}
