/**
 * The distinct-flow count of an interval over the rows of a 5-tuple {@link FlowTable}, shared by `active-flows`
 * and `flows` (their results differ, their count and its correction are the same):
 * - flow sampling (the batches carried flow hashes; 'flow-count', flow-count.ts): each flow counts in the batch
 *   b where it is first seen, with weight 1/m_b, when its flow hash passes m_b, the lowest rate of the
 *   interval's batches up to b ({@link FlowCountRunningMin}); the rate may rise again after a dip;
 * - packet sampling (no flow hashes and some rate < 1; 'sampled-distinct', sampled-distinct.ts): the flows seen
 *   plus the estimated unseen ones, from the estimator state each row carries;
 * - unsampled: the rows held plus the rows evicted.
 * Each table row holds the estimator's {@link SAMPLED_DISTINCT_COLUMNS} columns from `sampledCol` on; the query
 * may use its other columns freely (`flows` keeps each flow's hash there, to list the flows kept in every batch).
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { FlowCountRunningMin } from './flow-count.ts';
import type { FlowTable } from './flow-table.ts';
import type { BatchContext, Correction } from './query.ts';
import { isSyn, recordSampledPacket, SampledDistinct, unseenRatio } from './sampled-distinct.ts';

/**
 * Prefetch group: every GROUP packets {@link DistinctFlows.upsert} touches the table's index entries of the
 * packets two groups ahead and the rows of the packets one group ahead (whose index entries are then likely
 * cached): many cache misses in flight at once on big tables instead of one per packet. Measured on the capture
 * benchmark's SYN flood (~1 M flows per interval): no prefetch ~270 ns/packet, groups of 4-16 ~150, 32-64 ~135.
 */
const GROUP = 32;

export interface DistinctFlowsCount {
  /** Estimated distinct flows of the interval. */
  flows: number;
  /** Flows counted before scaling: under flow sampling those passing their first batch's running-minimum threshold. */
  rows: number;
  /** The interval's lowest flow-sampling rate (1 unless flow sampling). */
  finalRate: number;
  /** The correction applied: 'sampled-distinct' under packet sampling, otherwise 'flow-count'. */
  correction: Correction;
}

export class DistinctFlows {
  /** Evicted rows (unsampled: they still count). */
  private evictedRows = 0;
  /** The flow-sampling count (running-minimum rule). */
  private readonly flowCount = new FlowCountRunningMin();
  /** Packet-sampling estimate: held rows are added at flush, evicted ones when evicted. */
  private readonly distinct = new SampledDistinct();
  /** Whether any batch of the interval carried flow hashes (i.e. flow sampling was in force). */
  private hashed = false;
  /** The current batch's flow hashes and unseen ratio (set by {@link beginBatch}). */
  private flowHash: Uint32Array | undefined;
  private unseen = 0;
  /** Table hashes of the current batch's selected packets, and their number. */
  private hashes = new Uint32Array(4096);
  private selected = 0;

  constructor(
    private readonly table: FlowTable,
    private readonly sampledCol: number,
  ) {}

  /** Takes the batch's sampling state and hashes its selected packets; call once per batch before {@link upsert}. */
  beginBatch(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.flowHash = ctx.flowHash;
    if (ctx.flowHash !== undefined) {
      this.hashed = true;
      this.flowCount.beginBatch(ctx.rate);
    }
    this.unseen = unseenRatio(ctx.rate);
    const n = sel.length;
    if (this.hashes.length < n) this.hashes = new Uint32Array(Math.max(n, 2 * this.hashes.length));
    this.selected = n;
    this.table.hashSelection(batch, sel.idx, n, this.hashes);
  }

  /**
   * Upserts packet i, the j-th selected packet of the batch (in order), and records it for the count: an
   * evicted row goes to the estimator sums, a new row under flow sampling is counted where first seen
   * ({@link FlowCountRunningMin.firstSeen}), and under packet sampling the packet updates the row's estimator
   * state. Returns the row's value index.
   */
  upsert(batch: PacketBatch, i: number, j: number): number {
    const table = this.table;
    const hs = this.hashes;
    if ((j & (GROUP - 1)) === 0) {
      const n = this.selected;
      if (j === 0) {
        table.touch(hs, 0, Math.min(n, 2 * GROUP));
        table.touchRows(hs, 0, Math.min(n, GROUP));
      }
      if (j + 2 * GROUP < n) table.touch(hs, j + 2 * GROUP, Math.min(n, j + 3 * GROUP));
      if (j + GROUP < n) table.touchRows(hs, j + GROUP, Math.min(n, j + 2 * GROUP));
    }
    const s = table.upsertHashed(batch, i, hs[j]!);
    if (table.evictedNow) {
      this.evictedRows++;
      this.distinct.add(table.evictedValues, this.sampledCol);
    }
    const o = table.valueIndex(s);
    const fh = this.flowHash;
    if (fh !== undefined) {
      // Counted in the batch where it is first seen (a flow evicted and seen again is counted twice: bias high).
      if (table.inserted) this.flowCount.firstSeen(fh, i);
    } else {
      recordSampledPacket(table.vals, o + this.sampledCol, isSyn(batch.proto[i]!, batch.tcpFlags[i]!), this.unseen);
    }
    return o;
  }

  /**
   * The interval's count, for a flush with final rate `ctxFinalRate` and smallest batch rate `minRate`; then
   * clears this state (the caller clears the table, after reading its rows if it needs them).
   */
  flush(ctxFinalRate: number, minRate: number): DistinctFlowsCount {
    const table = this.table;
    // Without flow hashes (unsampled or packet sampling) no flow was dropped whole: the final rate is 1.
    const finalRate = this.hashed ? ctxFinalRate : 1;
    const packetSampled = !this.hashed && minRate < 1;
    let rows: number;
    let flows: number;
    if (this.hashed) {
      rows = this.flowCount.counted;
      flows = this.flowCount.estimate();
    } else {
      rows = table.size + this.evictedRows;
      flows = rows;
    }
    if (packetSampled) {
      const d = this.distinct;
      const v = table.vals;
      for (let s = 0; s < table.size; s++) d.add(v, table.valueIndex(s) + this.sampledCol);
      flows = d.estimate();
    }
    this.evictedRows = 0;
    this.flowCount.clear();
    this.distinct.clear();
    this.hashed = false;
    return { flows, rows, finalRate, correction: packetSampled ? 'sampled-distinct' : 'flow-count' };
  }
}
