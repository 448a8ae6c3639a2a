/**
 * Distinct counting for the 13 aggregates, the default back end: a sparse exact mode while an aggregate's
 * interval is small (sparse-table.ts), multi-resolution bitmaps (mrb.ts) once it is large (the same idea as
 * HLL++'s sparse mode).
 *
 * Sparse mode (interval has seen <= {@link SPARSE_LIMIT} keys of the aggregate): unique and new counts are
 * exact up to 32-bit hash collisions. With bitmaps alone a few new keys landing on already-set interval bits
 * is a large relative error when new counts are small; this mode removes that error where it matters.
 *
 * Dense mode, per aggregate:
 * - the interval sketch I ({@link FEATURE_MRB}, 352 KiB), the OR of the committed batches; always maintained
 *   (also in sparse mode, from the committed keys), so the switch is seamless;
 * - the batch sketch B ({@link BATCH_MRB}, 96 KiB), rebuilt by every measure(); unique = its MRB estimate. A
 *   batch holds at most ~10^5..10^6 keys, so it does not need the interval's range; a separate small sketch
 *   keeps one aggregate's hot state (B + the low components of I) in L2.
 * - "new" is CoMo's n_ = est(interval OR batch) - est(interval), on I's geometry, both terms summed from the
 *   union's base so they share sampling and collisions. measure() sets the batch's keys directly in I and logs
 *   every bit it turned on: the number of logged bits per component is the union's gain, a repeated measure()
 *   first clears the logged bits (I is back to the interval before the batch), and commit just keeps them.
 *   So a key costs one bit test in B and one in I, and committing costs nothing. A sampled selection measured
 *   after the whole batch sets the whole batch's log aside (setAsideFull), and the commit re-applies it
 *   (restoreFull) instead of counting the batch again: the interval state is the same bit for bit.
 *
 * Memory (default geometries, limit 2^16 keys): bitmaps 13 x (352 + 96) KiB = 5.7 MiB; sparse tables grow
 * with the interval, at most 13 x 2^17 slots x 8 B = 13 MiB; plus 52 B per packet of the largest batch (hash
 * cache) and 4 B per packet per dense aggregate (logs). Loops run aggregate by aggregate so one aggregate's
 * state stays in L2.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { Rng } from '../random.ts';
import type { DistinctEngine } from './engine.ts';
import { AggregateHasher } from './hash.ts';
import { type MrbGeometry, checkGeometry, mrbBase, mrbEstimate, mrbSaturated, mrbSum, mrbWords, popcount } from './mrb.ts';
import { AGGREGATE_COUNT } from './names.ts';
import { SparseKeyTable } from './sparse-table.ts';

/** Interval sketch geometry: 11 components x 2^18 bits (32 KiB each), setmax 70 %. See README for errors. */
export const FEATURE_MRB: MrbGeometry = { components: 11, log2Bits: 18, setmaxFill: 0.7 };
/** Batch sketch geometry (unique counts): 12 x 2^16 bits; p99 error 0.5 % at 10^5 keys (README). */
export const BATCH_MRB: MrbGeometry = { components: 12, log2Bits: 16, setmaxFill: 0.7 };
/** Interval keys per aggregate counted exactly (sparse mode) before switching to the bitmaps. */
export const SPARSE_LIMIT = 1 << 16;

const A = AGGREGATE_COUNT;
/** Keys sampled to predict a batch's distinct count, and the slots of the sample's hash set. */
const SAMPLE = 1024;
const SAMPLE_SLOTS = 4096;

export class SketchEngine implements DistinctEngine {
  private readonly ig: MrbGeometry;
  private readonly bg: MrbGeometry;
  private readonly iWords: number;
  private readonly bWords: number;
  /** Interval sketches, aggregate a at [a * iWords, (a + 1) * iWords). */
  private readonly iBits: Int32Array;
  private readonly iZeros: Int32Array;
  /** Zero counts of "interval OR last measured selection". */
  private readonly uZeros: Int32Array;
  /** Batch sketches, aggregate a at [a * bWords, ...). */
  private readonly bBits: Int32Array;
  private readonly bZeros: Int32Array;
  /** Per aggregate: positions of the I bits the last measure() turned on (undone by a repeated measure). */
  private logs: Int32Array[] = [];
  private readonly nLog: Int32Array;
  /** Whether aggregate a's applied log (logs[a]) is the whole batch's. */
  private readonly logIsFull: Uint8Array;
  /**
   * The whole batch's log, set aside (its bits cleared from I) while sampled selections are measured, and its
   * union zero counts: the commit re-applies it instead of counting the batch again.
   */
  private fullLogs: Int32Array[] = [];
  private readonly nFull: Int32Array;
  private readonly fullZeros: Int32Array;
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
  private measureId = 0;
  private dirty = true;
  private scratch = new Int32Array(1024);
  private readonly pair = new Int32Array(2);

  /**
   * @param geometry interval sketch geometry; the batch sketch is {@link BATCH_MRB}, or the same geometry
   *   when that is smaller (tests of saturation use a tiny one).
   */
  constructor(seed: number, geometry: MrbGeometry = FEATURE_MRB, sparseLimit = SPARSE_LIMIT) {
    checkGeometry(geometry);
    this.ig = geometry;
    this.bg = geometry.log2Bits <= BATCH_MRB.log2Bits && geometry.components <= BATCH_MRB.components ? geometry : BATCH_MRB;
    this.iWords = mrbWords(this.ig);
    this.bWords = mrbWords(this.bg);
    this.iBits = new Int32Array(A * this.iWords);
    this.iZeros = new Int32Array(A * this.ig.components);
    this.uZeros = new Int32Array(A * this.ig.components);
    this.bBits = new Int32Array(A * this.bWords);
    this.bZeros = new Int32Array(A * this.bg.components);
    this.nLog = new Int32Array(A);
    this.logIsFull = new Uint8Array(A);
    this.nFull = new Int32Array(A);
    this.fullZeros = new Int32Array(A * this.ig.components);
    for (let a = 0; a < A; a++) {
      this.tables.push(new SparseKeyTable(sparseLimit));
      this.logs.push(new Int32Array(0));
      this.fullLogs.push(new Int32Array(0));
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
    return this.iBits.byteLength + this.bBits.byteLength + t;
  }

  resetInterval(): void {
    this.hashed = false;
    if (!this.dirty) return; // nothing committed since the last reset: the state is already empty
    this.dirty = false;
    const iw = this.iWords;
    for (let a = 0; a < A; a++) {
      const tab = this.tables[a]!;
      if (this.dense[a] === 1) {
        this.iBits.fill(0, a * iw, (a + 1) * iw);
      }
      // A sparse aggregate never set interval bits (see toDense): nothing to clear.
      tab.clear();
      this.nLog[a] = 0;
      this.nFull[a] = 0;
    }
    this.logIsFull.fill(0);
    this.iZeros.fill(1 << this.ig.log2Bits);
    this.dense.fill(0);
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
    this.keysToScratch(tab);
    const io = a * this.iWords;
    const zo = a * this.ig.components;
    const lb = this.ig.log2Bits;
    const b = this.iBits;
    const sc = this.scratch;
    for (let k = 0; k < m; k++) {
      const pos = this.iPos(sc[k]!);
      const w = io + (pos >>> 5);
      const bit = 1 << (pos & 31);
      const old = b[w]!;
      if ((old & bit) === 0) {
        b[w] = old | bit;
        this.iZeros[zo + (pos >>> lb)]!--;
      }
    }
  }

  private keysToScratch(tab: SparseKeyTable): number {
    if (this.scratch.length < tab.size) this.scratch = new Int32Array(Math.max(tab.size, 2 * this.scratch.length));
    return tab.keys(this.scratch);
  }

  /** Position of a hash in the interval sketch (component << log2Bits | bit). */
  private iPos(h: number): number {
    const last = this.ig.components - 1;
    let comp = Math.clz32(h);
    if (comp > last) comp = last;
    return (comp << this.ig.log2Bits) | (h & ((1 << this.ig.log2Bits) - 1));
  }

  load(_batch: PacketBatch): void {
    this.hashed = false;
    this.counted.fill(0);
    this.logIsFull.fill(0);
    this.nFull.fill(0); // a set-aside log's bits are not in I
    for (let a = 0; a < A; a++) {
      const tab = this.tables[a]!;
      tab.batchStart = tab.size;
      if (this.nLog[a]! > 0) this.undoLog(a); // a measured batch that was never committed
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
    this.hashed = true;
  }

  /**
   * Dense count of aggregate a over the selection: rebuilds its batch sketch, and sets the selection's keys
   * in the interval sketch, logging the bits turned on (after undoing the previous measure's).
   */
  private fillDense(a: number, sel: Selection | null, n: number, full: number): void {
    if (this.logIsFull[a] === 1 && full === 0) this.setAsideFull(a);
    else if (this.nLog[a]! > 0) this.undoLog(a);
    if (full === 1) this.nFull[a] = 0; // superseded
    this.logIsFull[a] = full;
    const iBits = this.iBits;
    const io = a * this.iWords;
    const ilb = this.ig.log2Bits;
    const iMask = (1 << ilb) - 1;
    const iLast = this.ig.components - 1;
    const izo = a * this.ig.components;
    let log = this.logs[a]!;
    let nl = 0;
    const bBits = this.bBits;
    const bo = a * this.bWords;
    const blb = this.bg.log2Bits;
    const bMask = (1 << blb) - 1;
    const bLast = this.bg.components - 1;
    const bzo = a * this.bg.components;
    const bZeros = this.bZeros;
    bZeros.fill(1 << blb, bzo, bzo + this.bg.components);
    if (log.length < n) {
      log = new Int32Array(Math.max(n, 1024));
      this.logs[a] = log;
    }
    const hashes = this.hashes;
    const ho = a * this.hashStride;
    const idx = sel ? sel.idx : null;
    // Zero counts of B: per key for selections of up to ~2/3 of B's words; for larger ones a popcount of B
    // afterwards is cheaper than a read-modify-write per key (consecutive keys often hit the same component's
    // counter). The scan costs ~40 us per aggregate whatever n (measured): below the threshold it would be a
    // fixed cost of every measure (~0.3 ms with 7 dense aggregates, at 6,000 packets twice the per-key cost).
    const perKey = n < (2 * this.bWords) / 3;
    let prev = 0;
    for (let k = 0; k < n; k++) {
      const h = hashes[ho + (idx === null ? k : idx[k]!)]!;
      if (h === prev && k > 0) continue;
      prev = h;
      // Branch-free bit updates: whether a bit was already set is data-dependent and mispredicts often.
      const cz = Math.clz32(h);
      const cb = cz > bLast ? bLast : cz;
      const pb = (cb << blb) | (h & bMask);
      const wb = bo + (pb >>> 5);
      const sb = pb & 31;
      const ob = bBits[wb]!;
      bBits[wb] = ob | (1 << sb);
      if (perKey) bZeros[bzo + cb] -= ((ob >>> sb) & 1) ^ 1;
      const ci = cz > iLast ? iLast : cz;
      const pi = (ci << ilb) | (h & iMask);
      const wi = io + (pi >>> 5);
      const si = pi & 31;
      const oi = iBits[wi]!;
      iBits[wi] = oi | (1 << si);
      log[nl] = pi;
      nl += ((oi >>> si) & 1) ^ 1;
    }
    this.nLog[a] = nl;
    if (!perKey) {
      const wpc = 1 << (blb - 5);
      for (let c = 0; c <= bLast; c++) {
        let set = 0;
        for (let w = bo + c * wpc, e = w + wpc; w < e; w++) set += popcount(bBits[w]!);
        bZeros[bzo + c] = (1 << blb) - set;
      }
    }
    // B is scratch: clear it now (only the touched words when they are few), so it is clean for the next one.
    if (n < this.bWords >>> 2) {
      for (let k = 0; k < n; k++) {
        const h = hashes[ho + (idx === null ? k : idx[k]!)]!;
        const cz = Math.clz32(h);
        bBits[bo + ((((cz > bLast ? bLast : cz) << blb) | (h & bMask)) >>> 5)] = 0;
      }
    } else {
      bBits.fill(0, bo, bo + this.bWords);
    }
    const uZeros = this.uZeros;
    uZeros.set(this.iZeros.subarray(izo, izo + this.ig.components), izo);
    for (let k = 0; k < nl; k++) uZeros[izo + (log[k]! >>> ilb)]!--;
  }

  /**
   * Whether aggregate a's sparse table would clearly overflow counting these n keys: its size plus the
   * distinct keys estimated from a sample of 1,024 of them exceeds the limit. Then the aggregate switches to
   * bitmaps before counting, instead of inserting up to `limit` keys only to drop them (at 1 Mpps, the first
   * batch of every interval of a flood). Only a shortcut: a wrong "no" (skewed keys) costs a failed count, a
   * wrong "yes" an early switch to bitmaps (estimates within their errors instead of exact counts).
   */
  private willOverflow(a: number, idx: Uint32Array | null, n: number): boolean {
    const size = this.tables[a]!.size;
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

  /**
   * Before a sampled selection is measured: sets aside the whole batch's log (swapping the log arrays, no copy)
   * and its union zero counts, and clears its bits from I, so I is the interval before the batch again.
   */
  private setAsideFull(a: number): void {
    const log = this.logs[a]!;
    this.logs[a] = this.fullLogs[a]!;
    this.fullLogs[a] = log;
    this.nFull[a] = this.nLog[a]!;
    const c = this.ig.components;
    this.fullZeros.set(this.uZeros.subarray(a * c, (a + 1) * c), a * c);
    this.undoLog(a, log, this.nLog[a]!);
    this.nLog[a] = 0;
    this.logIsFull[a] = 0;
  }

  /**
   * At commit, after sampled selections: re-applies the set-aside whole-batch log. The last selection's bits
   * stay: they are a subset of the whole batch's (each is a bit the batch turned on), so ORing is enough.
   */
  private restoreFull(a: number): void {
    const log = this.fullLogs[a]!;
    this.fullLogs[a] = this.logs[a]!;
    this.logs[a] = log;
    const n = this.nFull[a]!;
    const iBits = this.iBits;
    const io = a * this.iWords;
    for (let k = 0; k < n; k++) {
      const p = log[k]!;
      iBits[io + (p >>> 5)] |= 1 << (p & 31);
    }
    this.nLog[a] = n;
    this.nFull[a] = 0;
    this.logIsFull[a] = 1;
    const c = this.ig.components;
    this.uZeros.set(this.fullZeros.subarray(a * c, (a + 1) * c), a * c);
  }

  /** Clears the interval bits that aggregate a's last measure() turned on. */
  private undoLog(a: number, log = this.logs[a]!, n = this.nLog[a]!): void {
    const iBits = this.iBits;
    const io = a * this.iWords;
    for (let k = 0; k < n; k++) {
      const p = log[k]!;
      iBits[io + (p >>> 5)] &= ~(1 << (p & 31));
    }
    this.nLog[a] = 0;
  }

  measure(batch: PacketBatch, sel: Selection | null, unique: Float64Array, fresh: Float64Array): number {
    this.ensureHashes(batch);
    const n = sel ? sel.length : batch.count;
    const full = n === batch.count ? 1 : 0;
    const id = ++this.measureId & 0x3fffffff;
    if (n > 0) this.dirty = true; // tentative keys and logged bits are state too
    const ig = this.ig;
    const bg = this.bg;
    let saturated = 0;
    for (let a = 0; a < A; a++) {
      // Once the whole batch is in the table, a selection of it cannot overflow: no prediction needed (its
      // tentative keys would count twice), so sampled measures never change the regime.
      if (this.dense[a] === 0 && this.counted[a] === 0 && this.willOverflow(a, sel ? sel.idx : null, n)) this.toDense(a);
      if (this.dense[a] === 0) {
        if (this.tables[a]!.count(this.hashes, a * this.hashStride, sel ? sel.idx : null, n, id, this.pair)) {
          unique[a] = this.pair[0]!;
          fresh[a] = this.pair[1]!;
          if (full === 1) this.counted[a] = 1;
          continue;
        }
        this.toDense(a); // outgrew the table: bitmaps from now on
      }
      this.fillDense(a, sel, n, full);
      if (full === 1) this.counted[a] = 1;
      const bzo = a * bg.components;
      let u = Math.round(mrbEstimate(this.bZeros, bzo, bg));
      if (mrbSaturated(this.bZeros, bzo, bg)) saturated++;
      if (u > n) u = n;
      if (u < 1 && n > 0) u = 1;
      const zo = a * ig.components;
      const base = mrbBase(this.uZeros, zo, ig);
      let f = Math.round(mrbSum(this.uZeros, zo, base, ig) - mrbSum(this.iZeros, zo, base, ig));
      if (mrbSaturated(this.uZeros, zo, ig)) saturated++;
      if (f > u) f = u;
      if (f < 0) f = 0;
      unique[a] = u;
      fresh[a] = f;
    }
    return saturated;
  }

  commit(batch: PacketBatch): void {
    const n = batch.count;
    if (n > 0) this.dirty = true;
    const ig = this.ig;
    for (let a = 0; a < A; a++) {
      const tab = this.tables[a]!;
      if (this.dense[a] === 0 && this.counted[a] === 0) {
        this.ensureHashes(batch);
        if (this.willOverflow(a, null, n)) this.toDense(a);
      }
      if (this.dense[a] === 0 && this.counted[a] === 0) {
        if (!tab.count(this.hashes, a * this.hashStride, null, n, ++this.measureId & 0x3fffffff, this.pair)) this.toDense(a);
        else this.counted[a] = 1;
      }
      const zo = a * ig.components;
      if (this.dense[a] === 0) {
        // Commit this batch's keys (mark them). Their interval bits are set only if the aggregate turns dense
        // (toDense), so a sparse interval costs no random writes into the 352 KiB interval bitmap.
        tab.commitBatch();
        continue;
      }
      if (this.logIsFull[a] === 0) {
        if (this.counted[a] === 1 && this.nFull[a]! > 0) {
          this.restoreFull(a);
        } else if (this.counted[a] === 0 || this.nLog[a]! > 0) {
          // Not counted (or only a selection was, after the regime switched): count the whole batch.
          this.ensureHashes(batch);
          this.fillDense(a, null, n, 1);
        } else {
          // Counted, and the whole batch turned on no interval bit: nothing to apply, zero counts unchanged.
          this.uZeros.set(this.iZeros.subarray(zo, zo + ig.components), zo);
        }
      }
      // The logged bits are in the interval sketch: keep them.
      this.nLog[a] = 0;
      this.logIsFull[a] = 0;
      this.iZeros.set(this.uZeros.subarray(zo, zo + ig.components), zo);
    }
    this.counted.fill(0);
    this.nFull.fill(0);
  }
}
