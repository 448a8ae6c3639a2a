/**
 * FeatureExtractor: the 55 CoMo traffic features of a packet batch (names.ts), measured against a
 * measurement interval (default 1 s) whose state is reset (and hashes reseeded) when a batch starts in a new
 * interval. Intervals are aligned to the epoch: interval = floor(batch.startNs / intervalNs).
 *
 * Usage per batch: beginBatch(batch); measure() [, measure(sampledSelection) ...]; endBatch().
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import type { DistinctEngine } from './engine.ts';
import { ExactEngine } from './exact-engine.ts';
import { AGG_BASE, AGGREGATE_COUNT, AGGREGATES, type AggregateName, F_BYTES, F_NEW_INTERVAL, F_PACKETS, FEATURE_COUNT } from './names.ts';
import { FEATURE_MRB, SketchEngine, SPARSE_LIMIT } from './sketch-engine.ts';
import { MAX_SPARSE_KEYS } from './sparse-table.ts';

export interface FeatureExtractorOptions {
  /** Measurement interval in ns (default 1e9 = 1 s). */
  intervalNs?: number;
  /** Count distinct keys exactly (hash sets of the full keys) instead of with sketches. */
  exact?: boolean;
  /** Seed of the hash tables (default 1). */
  seed?: number;
  /**
   * Interval keys per aggregate counted exactly before switching to bitmaps (default SPARSE_LIMIT = 16,384,
   * at most 65,536; 0 = bitmaps only, used to test the bitmap path on small traces).
   */
  sparseLimit?: number;
  /** Aggregates to count (default all 13); the features of the others are NaN (see FEATURE_PRESETS). */
  aggregates?: readonly AggregateName[];
}

export class FeatureExtractor {
  readonly intervalNs: number;
  readonly exact: boolean;
  /** The aggregates counted (the others' features are NaN). */
  readonly aggregates: readonly AggregateName[];
  private readonly engine: DistinctEngine;
  private readonly intervalBig: bigint;
  private interval: bigint | null = null;
  private newInterval = 0;
  private batch: PacketBatch | null = null;
  private readonly unique = new Float64Array(AGGREGATE_COUNT);
  private readonly fresh = new Float64Array(AGGREGATE_COUNT);
  private sat = 0;

  constructor(opts: FeatureExtractorOptions = {}) {
    const intervalNs = opts.intervalNs ?? 1e9;
    if (!(Number.isInteger(intervalNs) && intervalNs > 0)) {
      throw new UserError('features.bad-interval', `measurement interval must be a positive whole number of ns, got ${intervalNs}`, 'Use e.g. --interval 1s.');
    }
    this.intervalNs = intervalNs;
    this.intervalBig = BigInt(intervalNs);
    this.exact = opts.exact ?? false;
    const limit = opts.sparseLimit ?? SPARSE_LIMIT;
    if (!(Number.isInteger(limit) && limit >= 0 && limit <= MAX_SPARSE_KEYS)) {
      throw new UserError('features.bad-sparse-limit', `FeatureExtractor option sparseLimit must be a whole number in 0..${MAX_SPARSE_KEYS}, got ${limit}`, 'Use e.g. 16384 (the default), or 0 for bitmaps only.');
    }
    const active = new Uint8Array(AGGREGATE_COUNT);
    for (const name of opts.aggregates ?? AGGREGATES) {
      const a = AGGREGATES.indexOf(name);
      if (a < 0) throw new UserError('features.unknown-aggregate', `unknown traffic aggregate "${String(name)}"`, `Use names from: ${AGGREGATES.join(', ')}.`);
      active[a] = 1;
    }
    this.aggregates = AGGREGATES.filter((_, a) => active[a] === 1);
    this.engine = this.exact ? new ExactEngine(active) : new SketchEngine(opts.seed ?? 1, FEATURE_MRB, limit, active);
  }

  /** Number of saturated estimates in the last measure() (0 normally; always 0 when exact). */
  get saturated(): number {
    return this.sat;
  }

  /** Bytes of fixed counting state (sketches); 0 for exact counting. */
  get stateBytes(): number {
    return this.engine.stateBytes;
  }

  /** Start a batch: handles interval rollover (sets new_interval) based on batch.startNs. */
  beginBatch(batch: PacketBatch): void {
    const s = batch.startNs;
    let iv = s / this.intervalBig;
    if (s < 0n && iv * this.intervalBig !== s) iv -= 1n;
    if (this.interval === null || iv !== this.interval) {
      if (this.interval !== null) this.engine.resetInterval();
      this.interval = iv;
      this.newInterval = 1;
    } else {
      this.newInterval = 0;
    }
    this.batch = batch;
    this.engine.load(batch);
  }

  /**
   * Features of the given selection of the current batch (default: all packets), measured against the
   * interval state as it was before this batch. Does not change interval state; may be called several times
   * per batch. Returns a new Float64Array(55) or fills `out`.
   */
  measure(sel?: Selection, out?: Float64Array): Float64Array {
    const b = this.batch;
    if (b === null) throw new Error('FeatureExtractor.measure() called before beginBatch()');
    const o = out ?? new Float64Array(FEATURE_COUNT);
    const n = sel ? sel.length : b.count;
    let bytes = 0;
    const cap = b.capLen;
    if (sel) for (let k = 0; k < n; k++) bytes += cap[sel.idx[k]!]!;
    else for (let i = 0; i < n; i++) bytes += cap[i]!;
    o[F_PACKETS] = n;
    o[F_BYTES] = bytes;
    o[F_NEW_INTERVAL] = this.newInterval;
    this.sat = this.engine.measure(b, sel ?? null, this.unique, this.fresh);
    for (let a = 0; a < AGGREGATE_COUNT; a++) {
      const u = this.unique[a]!;
      const f = this.fresh[a]!;
      const p = AGG_BASE + 4 * a;
      o[p] = u;
      o[p + 1] = f;
      o[p + 2] = n - u;
      o[p + 3] = n - f;
    }
    return o;
  }

  /** Commit the whole batch (all packets) into the interval accumulators. Call once per batch. */
  endBatch(): void {
    const b = this.batch;
    if (b === null) throw new Error('FeatureExtractor.endBatch() called before beginBatch()');
    this.engine.commit(b);
    this.batch = null;
  }
}
