/**
 * Distinct counting for the 13 aggregates, the default back end: a sparse exact mode while an aggregate's
 * interval is small (sparse-table.ts), multi-resolution bitmaps (mrb.ts, dense-sketches.ts) once it is large
 * (the same idea as HLL++'s sparse mode). See README.md for the design and the measurements behind it.
 *
 * Sparse mode (interval has seen <= {@link SPARSE_LIMIT} keys of the aggregate): unique and new counts are
 * exact up to 32-bit hash collisions. With bitmaps alone a few new keys landing on already-set interval bits
 * is a large relative error when new counts are small; this mode removes that error where it matters.
 *
 * Dense mode: "new" is CoMo's n_ = est(interval OR batch) - est(interval) on the interval sketch I; unique is
 * the batch sketch B's estimate (or exact for small selections). A sampled selection measured after the
 * whole batch sets the whole batch's log aside, and the commit re-applies it instead of counting the batch
 * again: the interval state is the same bit for bit (dense-sketches.ts).
 *
 * Aggregates are counted parents first (EVAL_ORDER): an aggregate whose key is a function of an exactly
 * counted parent's key is counted over the parent's distinct representatives only.
 *
 * Density carry-over: an aggregate that ended an interval dense with >= limit/2 keys starts the next one
 * dense (resetInterval).
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { Rng } from '../random.ts';
import type { DistinctEngine } from './engine.ts';
import { AggregateHasher } from './hash.ts';
import { DenseSketches, DEDUP_MAX as DEDUP_REPS } from './dense-sketches.ts';
import { type MrbGeometry, checkGeometry, mrbBase, mrbEstimate, mrbSaturated, mrbSum } from './mrb.ts';
import { Agg, AGGREGATE_COUNT } from './names.ts';
import { SparseKeyTable } from './sparse-table.ts';

/** Interval sketch geometry: 11 components x 2^18 bits (32 KiB each), setmax 70 %. See README for errors. */
export const FEATURE_MRB: MrbGeometry = { components: 11, log2Bits: 18, setmaxFill: 0.7 };
/** Batch sketch geometry (unique counts): 12 x 2^16 bits; p99 error 0.5 % at 10^5 keys (README). */
export const BATCH_MRB: MrbGeometry = { components: 12, log2Bits: 16, setmaxFill: 0.7 };
/** Interval keys per aggregate counted exactly (sparse mode) before switching to the bitmaps. */
export const SPARSE_LIMIT = 1 << 14;

const A = AGGREGATE_COUNT;
/**
 * Aggregates in counting order, each after the aggregates its key is a function of ({@link PARENTS}).
 * Functional dependencies (names.ts order): five_tuple determines every key; src_dst_ip determines src_ip,
 * dst_ip and the nets; proto_src_ip_src_port determines src_ip, proto_src_port and proto; and so on.
 */
const EVAL_ORDER: readonly number[] = [
  Agg.FIVE_TUPLE,
  Agg.SRC_DST_IP,
  Agg.PROTO_SRC_IP_SRC_PORT,
  Agg.PROTO_DST_IP_DST_PORT,
  Agg.PROTO_SRC_PORT_DST_PORT,
  Agg.SRC_IP,
  Agg.DST_IP,
  Agg.PROTO_SRC_PORT,
  Agg.PROTO_DST_PORT,
  Agg.SRC_DST_NET,
  Agg.PROTO,
  Agg.SRC_NET,
  Agg.DST_NET,
];
/**
 * PARENTS[a]: aggregates whose key determines a's key. Counting a over one packet per distinct parent key
 * (the parent's representatives, when the parent was counted exactly) sees every distinct key of a, so
 * unique, new and the interval state are the same as over all packets, in fewer probes: on general traffic
 * most aggregates have a few distinct keys per thousands of packets. Never from a bitmap-counted parent:
 * "bit already set" is not "key already seen".
 */
const PARENTS: readonly (readonly number[])[] = (() => {
  const p: number[][] = Array.from({ length: A }, () => []);
  p[Agg.SRC_IP] = [Agg.SRC_DST_IP, Agg.PROTO_SRC_IP_SRC_PORT, Agg.FIVE_TUPLE];
  p[Agg.DST_IP] = [Agg.SRC_DST_IP, Agg.PROTO_DST_IP_DST_PORT, Agg.FIVE_TUPLE];
  p[Agg.PROTO] = [Agg.PROTO_SRC_PORT, Agg.PROTO_DST_PORT, Agg.PROTO_SRC_IP_SRC_PORT, Agg.PROTO_DST_IP_DST_PORT, Agg.PROTO_SRC_PORT_DST_PORT, Agg.FIVE_TUPLE];
  p[Agg.SRC_DST_IP] = [Agg.FIVE_TUPLE];
  p[Agg.PROTO_SRC_PORT] = [Agg.PROTO_SRC_IP_SRC_PORT, Agg.PROTO_SRC_PORT_DST_PORT, Agg.FIVE_TUPLE];
  p[Agg.PROTO_DST_PORT] = [Agg.PROTO_DST_IP_DST_PORT, Agg.PROTO_SRC_PORT_DST_PORT, Agg.FIVE_TUPLE];
  p[Agg.PROTO_SRC_IP_SRC_PORT] = [Agg.FIVE_TUPLE];
  p[Agg.PROTO_DST_IP_DST_PORT] = [Agg.FIVE_TUPLE];
  p[Agg.PROTO_SRC_PORT_DST_PORT] = [Agg.FIVE_TUPLE];
  p[Agg.SRC_NET] = [Agg.SRC_IP, Agg.SRC_DST_NET, Agg.SRC_DST_IP, Agg.PROTO_SRC_IP_SRC_PORT, Agg.FIVE_TUPLE];
  p[Agg.DST_NET] = [Agg.DST_IP, Agg.SRC_DST_NET, Agg.SRC_DST_IP, Agg.PROTO_DST_IP_DST_PORT, Agg.FIVE_TUPLE];
  p[Agg.SRC_DST_NET] = [Agg.SRC_DST_IP, Agg.FIVE_TUPLE];
  return p;
})();
for (let j = 0; j < A; j++) for (const p of PARENTS[EVAL_ORDER[j]!]!) if (EVAL_ORDER.indexOf(p) >= j) throw new Error('feature counting order out of sync');

/** Keys sampled to predict a batch's distinct count, and the slots of the sample's hash set. */
const SAMPLE = 1024;
const SAMPLE_SLOTS = 4096;

export class SketchEngine implements DistinctEngine {
  private readonly ig: MrbGeometry;
  private readonly bg: MrbGeometry;
  /** The bitmap regime's state and dense counting of all aggregates. */
  private readonly sk: DenseSketches;
  /** The interval sketches' zero counts (sk's). */
  private readonly iZeros: Int32Array;
  private readonly tables: SparseKeyTable[] = [];
  private readonly dense: Uint8Array;
  private readonly limit: number;
  /**
   * Whether aggregate a's keys of the whole batch were counted in this batch (sparse: they are the table's
   * tentative keys; dense: their log is applied or set aside), so the commit need not count them again.
   */
  private readonly counted: Uint8Array;
  private readonly hasher: AggregateHasher;
  private readonly rng: Rng;
  private hashes = new Int32Array(0);
  private hashStride = 0;
  private hashed = false;
  private dirty = true;
  private scratch = new Int32Array(1024);
  private readonly pair = new Int32Array(2);
  /**
   * Per aggregate, the packet indices of its distinct keys' first occurrences in the current count (valid
   * when repValid[a] = 1: counted exactly by this measure), for the aggregates whose key is a function of it.
   */
  private readonly reps: Uint32Array[] = [];
  private readonly repN = new Int32Array(A);
  private readonly repValid = new Uint8Array(A);
  private mask = new Uint8Array(1024);
  private maskBuilt = false;
  /**
   * @param geometry interval sketch geometry; the batch sketch is {@link BATCH_MRB}, or the same geometry
   *   when its components have at most 2^16 bits (tests of saturation use a tiny one).
   * @param active per aggregate, 1 = counted (default all); the others are never counted (their counts are
   *   NaN) and cost nothing but their share of the per-packet hashing.
   */
  constructor(
    seed: number,
    geometry: MrbGeometry = FEATURE_MRB,
    sparseLimit = SPARSE_LIMIT,
    private readonly active: Uint8Array = new Uint8Array(A).fill(1),
  ) {
    checkGeometry(geometry);
    this.sk = new DenseSketches(geometry, BATCH_MRB, A);
    this.ig = this.sk.ig;
    this.bg = this.sk.bg;
    this.iZeros = this.sk.iZeros;
    for (let a = 0; a < A; a++) {
      this.tables.push(new SparseKeyTable(sparseLimit));
      this.reps.push(new Uint32Array(0));
    }
    this.dense = new Uint8Array(A);
    this.limit = sparseLimit;
    this.counted = new Uint8Array(A);
    this.rng = new Rng(seed);
    this.hasher = new AggregateHasher(this.rng);
    this.resetInterval();
  }

  get stateBytes(): number {
    let t = 0;
    for (const s of this.tables) t += s.byteLength;
    return this.sk.iBits.byteLength + this.sk.bBits.byteLength + t;
  }

  resetInterval(): void {
    this.hashed = false;
    if (!this.dirty) return; // nothing committed since the last reset: the state is already empty
    this.dirty = false;
    for (let a = 0; a < A; a++) {
      // A sparse aggregate never set interval bits (see toDense): nothing to clear.
      if (this.dense[a] === 1) this.sk.clearInterval(a);
      this.tables[a]!.clear();
    }
    // Density carry-over: an aggregate whose interval went dense with at least limit/2 keys starts the next
    // interval dense, instead of refilling its sparse table to the limit only to drop it (under a flood,
    // 2^14 inserts per aggregate per interval before the switch). Below limit/2 it goes back to sparse.
    const lg = this.ig;
    for (let a = 0; a < A; a++) {
      this.dense[a] = this.dense[a] === 1 && mrbEstimate(this.iZeros, a * lg.components, lg) >= this.limit / 2 ? 1 : 0;
    }
    this.sk.resetZeros();
    this.hasher.reseed(this.rng);
  }

  /**
   * Switches aggregate a to bitmaps for the rest of the interval. While sparse, the interval's keys live only in
   * the table; here the committed ones (the first `batchStart` entries, in insertion order) are written into
   * the interval sketch once, so the bitmap state is what it would be had every commit set its bits.
   */
  private toDense(a: number): void {
    this.dense[a] = 1;
    const tab = this.tables[a]!;
    const m = tab.batchStart;
    if (m === 0) return;
    if (this.scratch.length < tab.size) this.scratch = new Int32Array(Math.max(tab.size, 2 * this.scratch.length));
    tab.keys(this.scratch);
    this.sk.addKeys(a, this.scratch, m);
  }

  load(_batch: PacketBatch): void {
    this.hashed = false;
    this.counted.fill(0);
    this.sk.nextBatch();
    this.sk.logIsFull.fill(0);
    this.sk.nFull.fill(0); // a set-aside log's bits are not in I
    for (let a = 0; a < A; a++) {
      const tab = this.tables[a]!;
      // A measured batch that was never committed: drop its tentative keys / clear its logged bits.
      if (this.dense[a] === 0) tab.rollback();
      else tab.batchStart = tab.size;
      if (this.sk.nLog[a]! > 0) this.sk.undoLog(a);
    }
  }

  private ensureHashes(batch: PacketBatch): void {
    if (this.hashed) return;
    const n = batch.count;
    if (this.hashes.length < A * n) {
      this.hashStride = Math.max(n, 2 * this.hashStride, 1024);
      this.hashes = new Int32Array(A * this.hashStride);
    }
    this.hasher.hashBatch(batch, n, this.hashes, this.hashStride);
    this.sk.hashes = this.hashes;
    this.sk.hashStride = this.hashStride;
    this.hashed = true;
  }

  /**
   * Dense count of aggregate a over the selection: rebuilds its batch sketch, and sets the selection's keys
   * in the interval sketch, logging the bits turned on (after undoing the previous measure's).
   */
  private fillDense(a: number, idx: Uint32Array | null, n: number, full: number): number {
    // Only the exact path (fillExact, n <= 4,096) writes representatives: no full-size array for the others.
    return this.sk.fill(a, idx, n, full, this.repsFor(a, n <= DEDUP_REPS ? n : 0));
  }

  /** selected[i] = 1 for the packets of `sel` (built once per sampled measure, when fillFiltered needs it). */
  private selectedMask(batch: PacketBatch, sel: Selection): Uint8Array {
    if (this.maskBuilt) return this.mask;
    const n = batch.count;
    if (this.mask.length < n) this.mask = new Uint8Array(Math.max(n, 2 * this.mask.length));
    const mask = this.mask;
    mask.fill(0, 0, n);
    const idx = sel.idx;
    for (let k = 0; k < sel.length; k++) mask[idx[k]!] = 1;
    this.maskBuilt = true;
    return mask;
  }

  /**
   * Whether aggregate a's sparse table would clearly overflow counting these n keys: its size plus the
   * distinct keys estimated from a sample of 1,024 of them exceeds the limit. Then the aggregate switches to
   * bitmaps before counting, instead of inserting up to `limit` keys only to drop them (at 1 Mpps, the first
   * batch of every interval of a flood). Only a shortcut: a wrong "no" (skewed keys) costs a failed count, a
   * wrong "yes" an early switch to bitmaps (estimates within their errors instead of exact counts).
   */
  private willOverflow(a: number, idx: Uint32Array | null, n: number): boolean {
    // The committed keys: a selection measured earlier in this batch left tentative keys that are also among
    // these n (counting them twice switched the whole batch to bitmaps when it would have fit).
    const size = this.tables[a]!.batchStart;
    if (size + n <= this.limit) return false;
    return size + Math.min(n, this.sampleDistinct(a, idx, n)) > this.limit;
  }

  private readonly sampleKeys = new Int32Array(SAMPLE_SLOTS);
  private readonly sampleStamp = new Int32Array(SAMPLE_SLOTS);
  private sampleId = 0;

  /**
   * Distinct keys among n, estimated from m = 1,024 evenly spaced ones: the D that solves
   * D (1 - e^(-m/D)) = d, the expected distinct count d of m uniform draws from D keys (Infinity if all m differ).
   */
  private sampleDistinct(a: number, idx: Uint32Array | null, n: number): number {
    const m = Math.min(n, SAMPLE);
    const keys = this.sampleKeys;
    const stamp = this.sampleStamp;
    const id = (this.sampleId = (this.sampleId + 1) | 0);
    const ho = a * this.hashStride;
    const step = n / m;
    let d = 0;
    for (let j = 0; j < m; j++) {
      const k = Math.floor(j * step);
      const h = this.hashes[ho + (idx === null ? k : idx[k]!)]!;
      let s = h & (SAMPLE_SLOTS - 1);
      while (stamp[s] === id && keys[s] !== h) s = (s + 1) & (SAMPLE_SLOTS - 1);
      if (stamp[s] !== id) {
        stamp[s] = id;
        keys[s] = h;
        d++;
      }
    }
    if (d >= m) return Infinity;
    let lo = d;
    let hi = d;
    while (hi * (1 - Math.exp(-m / hi)) < d) hi *= 2;
    for (let it = 0; it < 40; it++) {
      const mid = (lo + hi) / 2;
      if (mid * (1 - Math.exp(-m / mid)) < d) lo = mid;
      else hi = mid;
    }
    return hi;
  }

  measure(batch: PacketBatch, sel: Selection | null, unique: Float64Array, fresh: Float64Array): number {
    this.ensureHashes(batch);
    const n = sel ? sel.length : batch.count;
    const full = n === batch.count ? 1 : 0;
    if (n > 0) this.dirty = true; // tentative keys and logged bits are state too
    this.maskBuilt = false;
    const ig = this.ig;
    const bg = this.bg;
    let saturated = 0;
    this.repValid.fill(0);
    for (let j = 0; j < A; j++) {
      const a = EVAL_ORDER[j]!;
      if (this.active[a] === 0) {
        unique[a] = fresh[a] = NaN;
        continue;
      }
      // Input: the fewest distinct representatives among a's parents counted exactly in this measure, else
      // the selection. Same key set, so the same counts and interval state, in fewer probes.
      let idx = sel ? sel.idx : null;
      let m = n;
      const p = this.fewestRepsParent(a, m);
      if (p >= 0) {
        idx = this.reps[p]!;
        m = this.repN[p]!;
      }
      // Once the whole batch is in the table, a selection of it cannot overflow: no prediction needed (its
      // tentative keys would count twice), so sampled measures never change the regime.
      if (this.dense[a] === 0 && this.counted[a] === 0 && this.willOverflow(a, idx, m)) this.toDense(a);
      if (this.dense[a] === 0) {
        if (this.tables[a]!.count(this.hashes, a * this.hashStride, idx, m, this.pair, this.repsFor(a, m))) {
          unique[a] = this.pair[0]!;
          fresh[a] = this.pair[1]!;
          this.repN[a] = this.pair[0]!;
          this.repValid[a] = 1;
          if (full === 1) this.counted[a] = 1;
          continue;
        }
        this.toDense(a); // outgrew the table: bitmaps from now on
      }
      let exact: number;
      let uZeros = this.sk.uZeros;
      if (sel !== null && full === 0 && this.sk.canFilter(a, m)) {
        // The whole batch's sorted entries, filtered: no re-hash, re-sort or interval-bit round trip.
        this.sk.fillFiltered(a, this.selectedMask(batch, sel));
        uZeros = this.sk.kept.fZeros;
        exact = -1;
      } else {
        exact = this.fillDense(a, idx, m, full);
      }
      if (full === 1) this.counted[a] = 1;
      let u: number;
      if (exact >= 0) {
        u = exact;
        this.repN[a] = exact;
        this.repValid[a] = 1;
      } else {
        const bzo = a * bg.components;
        u = Math.round(mrbEstimate(this.sk.bZeros, bzo, bg));
        if (mrbSaturated(this.sk.bZeros, bzo, bg)) saturated++;
        if (u > m) u = m;
        if (u < 1 && m > 0) u = 1;
      }
      const zo = a * ig.components;
      const base = mrbBase(uZeros, zo, ig);
      let f = Math.round(mrbSum(uZeros, zo, base, ig) - mrbSum(this.iZeros, zo, base, ig));
      if (mrbSaturated(uZeros, zo, ig)) saturated++;
      if (f > u) f = u;
      if (f < 0) f = 0;
      unique[a] = u;
      fresh[a] = f;
    }
    return saturated;
  }

  /**
   * The parent of a counted exactly in this measure with the fewest distinct representatives, under m; -1 if
   * none (count the selection itself). Same key set, so the same counts and interval state, in fewer probes.
   */
  private fewestRepsParent(a: number, m: number): number {
    let best = -1;
    const ps = PARENTS[a]!;
    for (let q = 0; q < ps.length; q++) {
      const p = ps[q]!;
      if (this.repValid[p] === 1 && this.repN[p]! < m) {
        best = p;
        m = this.repN[p]!;
      }
    }
    return best;
  }

  /** Aggregate a's representatives array, with room for m entries (a leaf of the order writes to scratch). */
  private repsFor(a: number, m: number): Uint32Array {
    let r = this.reps[a]!;
    if (r.length < m) {
      r = new Uint32Array(Math.max(m, 2 * r.length, 1024));
      this.reps[a] = r;
    }
    return r;
  }

  commit(batch: PacketBatch): void {
    const n = batch.count;
    if (n > 0) this.dirty = true;
    this.repValid.fill(0);
    for (let j = 0; j < A; j++) {
      const a = EVAL_ORDER[j]!;
      if (this.active[a] === 0) continue;
      const tab = this.tables[a]!;
      // Aggregates no whole-batch measure counted: count the batch now, from parents' representatives when
      // this pass counted one exactly (see measure()).
      let idx: Uint32Array | null = null;
      let m = n;
      if (this.counted[a] === 0) {
        this.ensureHashes(batch);
        const p = this.fewestRepsParent(a, m);
        if (p >= 0) {
          idx = this.reps[p]!;
          m = this.repN[p]!;
        }
      }
      if (this.dense[a] === 0 && this.counted[a] === 0 && this.willOverflow(a, idx, m)) this.toDense(a);
      if (this.dense[a] === 0 && this.counted[a] === 0) {
        if (!tab.count(this.hashes, a * this.hashStride, idx, m, this.pair, this.repsFor(a, m))) this.toDense(a);
        else {
          this.counted[a] = 1;
          this.repN[a] = this.pair[0]!;
          this.repValid[a] = 1;
        }
      }
      if (this.dense[a] === 0) {
        // Commit this batch's keys (mark them). Their interval bits are set only if the aggregate turns dense
        // (toDense), so a sparse interval costs no random writes into the 352 KiB interval bitmap.
        tab.commitBatch();
        continue;
      }
      const sk = this.sk;
      if (sk.logIsFull[a] === 0) {
        if (this.counted[a] === 1 && sk.nFull[a]! > 0) {
          sk.restoreFull(a);
        } else if (this.counted[a] === 0 || sk.nLog[a]! > 0) {
          // Not counted (or only a selection was, after the regime switched): count the whole batch.
          this.ensureHashes(batch);
          const exact = this.fillDense(a, idx, m, 1);
          if (exact >= 0) {
            this.repN[a] = exact;
            this.repValid[a] = 1;
          }
        } else {
          // Counted, and the whole batch turned on no interval bit: nothing to apply, zero counts unchanged.
          sk.unionIsInterval(a);
        }
      }
      // The logged bits are in the interval sketch: keep them.
      sk.keep(a);
    }
    this.counted.fill(0);
    this.sk.nFull.fill(0);
  }
}
