/**
 * `super-sources`: sources that contact many distinct destinations (fan-out; CoMo `superaddr`, Zhao et al.),
 * e.g. scanners and worm-infected hosts. Per packet the query records the distinct (source, destination) pair in
 * a bounded FlowTable, storing the pair's flow-count weight; at flush the pairs are aggregated per
 * source. Reported: sources whose fan-out is >= `threshold` (capped at `maxSources`, with the number omitted)
 * and the top-k sources by fan-out.
 *
 * Correction ('flow-count'): under flow sampling a pair counts, with weight 1/m_b, from the first batch b where
 * one of its packets has a flow hash passing the interval's running-minimum rate m_b (flow-count.ts; rates may
 * rise again inside the interval), and fan-out is the sum of its pairs' weights. This is unbiased when each
 * pair carries one 5-tuple flow in the interval (the usual case for scans of one port); a pair carrying n flows
 * is kept with probability about 1 - (1 - p)^n >= p, so for multi-flow pairs the estimate is biased HIGH (the
 * sampler hashes the 5-tuple, not the pair). Under packet sampling ('sampled-distinct'): each source's fan-out
 * is the distinct-key estimate of sampled-distinct.ts over its own pairs (sampled SYNs 1/p, a two-class fit of
 * the unseen pairs from their first three unseen-mass moments for the rest, the lambdas fitted per source): a
 * scanner sending one packet or one SYN per destination gets destinations seen / p (Horvitz-Thompson,
 * unbiased); for a host whose destinations mix one-packet probes and long exchanges the fit is approximate
 * (measured at p = 0.3 by test/queries/sampled-distinct.test.ts: +3.0% for a P2P host with 508 destinations,
 * -43% uncorrected; +5.7% for a backscatter source, -14% uncorrected; the previous Chao1-only fit gave -15% and
 * -2.8%, a development measurement). Unsampled, it
 * is exact. Pairs evicted from a full table are counted in
 * `evictions`; a pair evicted and seen again is counted twice (bias high).
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { formatAddress } from './address.ts';
import { FlowCountRunningMin } from './flow-count.ts';
import { DEFAULT_MAX_FLOWS, FlowTable } from './flow-table.ts';
import { IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';
import {
  addSampledKey,
  isSyn,
  recordSampledPacket,
  SAMPLED_DISTINCT_COLUMNS,
  SAMPLED_DISTINCT_SUMS,
  sampledDistinctEstimate,
  unseenRatio,
} from './sampled-distinct.ts';
import { topSlots } from './top-k.ts';

export interface SourceFanout {
  addr: string;
  /** Estimated distinct destinations. */
  fanout: number;
}

export interface SuperSourcesValue {
  threshold: number;
  /** Sources with fan-out >= threshold, largest first (capped). */
  sources: SourceFanout[];
  /** Sources above the threshold that were not listed. */
  omitted: number;
  /** The k sources with the largest fan-out. */
  top: SourceFanout[];
  /** Distinct (source, destination) pairs held (raw). */
  pairs: number;
  evictions: number;
}

export interface SuperSourcesOptions {
  /** Fan-out at or above which a source is reported (default 50). */
  readonly threshold?: number;
  /** Top-k list size (default 10). */
  readonly k?: number;
  /** Most listed sources above the threshold (default 100). */
  readonly maxSources?: number;
  /** Most (source, destination) pairs held (default 1,048,576). */
  readonly maxFlows?: number;
}

/** Pairs table, flow sampling: the pair's weight 1/m_b once counted, 0 before. */
const WEIGHT = 0;
/** First of the packet-sampling estimator's columns (pairs table). */
const SAMPLED = 1;
const FANOUT = 0;
/** First of a source's estimator sums (sources table, packet sampling). */
const SUMS = 1;

export class SuperSourcesQuery implements Query<SuperSourcesValue> {
  readonly name = 'super-sources';
  readonly sampling = 'flow' as const;
  readonly correction = 'flow-count' as const;
  readonly pairs: FlowTable;
  private readonly sources: FlowTable;
  private readonly threshold: number;
  private readonly k: number;
  private readonly maxSources: number;
  private readonly stats = new IntervalStats();
  private hashed = false;
  private readonly flowCount = new FlowCountRunningMin();

  constructor(opts: SuperSourcesOptions = {}) {
    const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.pairs = new FlowTable({ key: 'pair', valueColumns: 1 + SAMPLED_DISTINCT_COLUMNS, maxFlows });
    this.sources = new FlowTable({ key: 'src', valueColumns: 1 + SAMPLED_DISTINCT_SUMS, maxFlows });
    this.threshold = opts.threshold ?? 50;
    this.k = opts.k ?? 10;
    this.maxSources = opts.maxSources ?? 100;
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const table = this.pairs;
    const idx = sel.idx;
    const fh = ctx.flowHash;
    if (fh !== undefined) {
      this.hashed = true;
      this.flowCount.beginBatch(ctx.rate);
    }
    const thr = this.flowCount.batchThreshold;
    const weight = this.flowCount.batchWeight;
    const unseen = unseenRatio(ctx.rate);
    const proto = batch.proto;
    const flags = batch.tcpFlags;
    for (let j = 0; j < sel.length; j++) {
      const i = idx[j]!;
      const s = table.upsert(batch, i);
      if (fh === undefined) {
        recordSampledPacket(table.vals, table.valueIndex(s) + SAMPLED, isSyn(proto[i]!, flags[i]!), unseen);
      } else {
        // Counted from the first packet passing the batch's running-minimum threshold (a single-flow pair is
        // then counted where it is first seen, or never; see flow-count.ts).
        const v = table.vals;
        const o = table.valueIndex(s) + WEIGHT;
        // (A new pair's weight is 0: FlowTable zeroes the values of an inserted row.)
        if (v[o] === 0 && fh[i]! <= thr) v[o] = weight;
      }
    }
  }

  flush(ctx: FlushContext): QueryResult<SuperSourcesValue> {
    const hashed = this.hashed;
    const pairs = this.pairs;
    const srcs = this.sources;
    const pv = pairs.vals;
    const packetSampled = !this.hashed && this.stats.rates().min < 1;
    for (let s = 0; s < pairs.size; s++) {
      const w = hashed ? pv[pairs.valueIndex(s) + WEIGHT]! : 1;
      if (w === 0) continue;
      const sc = srcs.scratch;
      const o = pairs.keyOffset(s);
      for (let k = 0; k < 4; k++) sc[k] = pairs.rows[o + k]!;
      const t = srcs.upsertScratch();
      const fo = srcs.valueIndex(t);
      if (packetSampled) addSampledKey(srcs.vals, fo + SUMS, pv, pairs.valueIndex(s) + SAMPLED);
      else srcs.vals[fo + FANOUT] = srcs.vals[fo + FANOUT]! + w;
    }
    if (packetSampled) {
      // Each source's fan-out is estimated from its own pairs (the shrinkage factors fitted per source).
      const sv = srcs.vals;
      for (let t = 0; t < srcs.size; t++) {
        sv[srcs.valueIndex(t) + FANOUT] = sampledDistinctEstimate(sv, srcs.valueIndex(t) + SUMS);
      }
    }
    const fan = srcs.vals;
    const toResult = (t: number): SourceFanout => ({
      addr: formatAddress(srcs.rows, srcs.keyOffset(t)),
      fanout: fan[srcs.valueIndex(t) + FANOUT]!,
    });
    const top = topSlots(srcs, FANOUT, this.k).slots.map(toResult);
    const threshold = this.threshold;
    const above = topSlots(srcs, FANOUT, this.maxSources, (t) => fan[srcs.valueIndex(t) + FANOUT]! >= threshold);
    const value: SuperSourcesValue = {
      threshold,
      sources: above.slots.map(toResult),
      omitted: above.passed - above.slots.length,
      top,
      pairs: pairs.size,
      evictions: pairs.evictions,
    };
    pairs.clear();
    srcs.clear();
    this.hashed = false;
    this.flowCount.clear();
    return this.stats.result(this.name, packetSampled ? 'sampled-distinct' : this.correction, ctx, value);
  }
}

export function createSuperSources(opts: SuperSourcesOptions = {}): SuperSourcesQuery {
  return new SuperSourcesQuery(opts);
}
