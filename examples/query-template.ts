/**
 * Template for a user query, loaded with `--query ./examples/query-template.ts` (copy it and edit).
 *
 * The default export is a Query object or a function returning one (it may be async). This example counts
 * TCP SYN packets (SYN set, ACK clear) per measurement interval and the distinct destination ports they target.
 *
 * Rules for a query (see src/queries/query.ts):
 * - `process` is called once per 100 ms batch with the indices of the packets the shedder kept (`sel`) and the
 *   sampling rate in force (`ctx.rate`); read packet fields from the batch's typed-array columns by index
 *   (no per-packet objects, strings or closures: process is timed and its cost is predicted).
 * - `flush` is called at every interval end; return the result and reset the interval state.
 * - Declare how the result is corrected under sampling: here SYN counts are additive, so each kept packet counts
 *   1/rate (Horvitz-Thompson); the distinct-port count cannot be corrected under packet sampling and is reported
 *   raw, with the coverage.
 */
import type { PacketBatch, Selection } from '../src/capture/index.ts';
import { IntervalStats, htWeight } from '../src/queries/index.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from '../src/queries/index.ts';

const TCP = 6;
const SYN = 2;
const ACK = 16;

export interface SynValue {
  /** Estimated SYN packets in the interval. */
  syns: number;
  /** Distinct destination ports of the kept SYNs (raw). */
  ports: number;
}

export class SynCounterQuery implements Query<SynValue> {
  readonly name = 'syn-counter';
  readonly sampling = 'packet' as const;
  readonly correction = 'horvitz-thompson' as const;
  private readonly stats = new IntervalStats();
  private readonly portSeen = new Uint8Array(65536);
  private syns = 0;
  private ports = 0;

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const w = htWeight(ctx.rate);
    for (let j = 0; j < sel.length; j++) {
      const i = sel.idx[j]!;
      if (batch.proto[i] !== TCP || (batch.tcpFlags[i]! & (SYN | ACK)) !== SYN) continue;
      this.syns += w;
      const p = batch.dstPort[i]!;
      if (this.portSeen[p] === 0) {
        this.portSeen[p] = 1;
        this.ports++;
      }
    }
  }

  flush(ctx: FlushContext): QueryResult<SynValue> {
    const value = { syns: this.syns, ports: this.ports };
    this.syns = 0;
    this.ports = 0;
    this.portSeen.fill(0);
    return this.stats.result(this.name, this.correction, ctx, value);
  }
}

export default function create(): Query<SynValue> {
  return new SynCounterQuery();
}
