/**
 * Distinct counting for the 13 aggregates with multi-resolution bitmaps (mrb.ts), the default back end.
 *
 * Per aggregate there are two MRBs with the same geometry and hash: the batch sketch (rebuilt by every
 * measure()) and the interval sketch (OR of the batch sketches committed since the interval began). Because
 * they share positions, the union "interval + this selection" is tracked incrementally with no extra pass:
 * when a packet sets a new batch bit that is also zero in the interval sketch, the union loses a zero.
 *
 * - unique = MRB estimate of the batch sketch.
 * - new, dense mode = est(union) - est(interval), both summed from the union's base so the two terms share
 *   sampling and collisions (CoMo's n_ = est(after OR) - est(before)).
 * - new, sparse mode: while the interval has seen <= {@link SPARSE_LIMIT} keys of an aggregate it also keeps
 *   their 32-bit hashes in an open-addressing set (like HLL++'s sparse mode). A packet that sets a new batch
 *   bit is looked up there, and new = unique * (looked-up keys absent from the interval) / (looked-up keys).
 *   This makes small "new" counts exact up to 32-bit hash collisions: with bitmaps alone, a few new keys
 *   landing on already-set interval bits is a large relative error when new counts are small.
 *
 * Memory (default geometry, 11 x 2^18 bits): 352 KiB per sketch, 2 x 13 x 352 KiB = 8.9 MiB of bitmaps, plus
 * 13 x 512 KiB = 6.5 MiB of sparse sets, plus 52 B per packet of the largest batch for the hash cache.
 * Loops run aggregate by aggregate so one aggregate's two bitmaps (704 KiB, interleaved) stay in L2.
 */
import type { PacketBatch, Selection } from '../capture/batch.ts';
import { Rng } from '../random.ts';
import type { DistinctEngine } from './engine.ts';
import { AggregateHasher } from './hash.ts';
import { type MrbGeometry, checkGeometry, mrbBase, mrbEstimate, mrbSaturated, mrbSum, mrbWords } from './mrb.ts';
import { AGGREGATE_COUNT } from './names.ts';

/** Feature-extractor geometry: 11 components x 2^18 bits (32 KiB each), setmax 70 %. See README for the measured errors. */
export const FEATURE_MRB: MrbGeometry = { components: 11, log2Bits: 18, setmaxFill: 0.7 };
/** Interval keys per aggregate kept exactly (as hashes) before switching "new" to the bitmap difference. */
export const SPARSE_LIMIT = 1 << 16;

const A = AGGREGATE_COUNT;

export class SketchEngine implements DistinctEngine {
  private readonly g: MrbGeometry;
  private readonly words: number;
  private readonly c: number;
  private readonly lb: number;
  private readonly bitMask: number;
  /**
   * Batch and interval bitmaps interleaved word by word (batch word at 2w, interval word at 2w + 1), so the
   * batch test, the interval test and the commit of a bit touch one cache line.
   */
  private readonly bits: Int32Array;
  private readonly bZeros: Int32Array;
  private readonly iZeros: Int32Array;
  private readonly uZeros: Int32Array;
  /** Batch-bitmap words that went from 0 to non-zero since the last clear (all aggregates). */
  private readonly touched: Int32Array;
  private nTouched = 0;
  /** Interval-bitmap words that went from 0 to non-zero this interval (so a reset costs O(touched)). */
  private readonly iTouched: Int32Array;
  private nITouched = 0;
  /** Per aggregate, the slots filled in its sparse set (sparseLimit + 1 each), for O(size) clearing. */
  private readonly setFilled: Int32Array;
  /** Whether anything was committed since the last reset. */
  private dirty = true;
  /** Sparse interval sets: A tables of `setSlots` hashes (0 = empty; a hash of 0 is stored as 1). */
  private readonly sets: Int32Array;
  private readonly setSize: Int32Array;
  private readonly dense: Uint8Array;
  private readonly setSlots: number;
  private readonly sparseLimit: number;
  private readonly hasher: AggregateHasher;
  private readonly rng: Rng;
  private hashes = new Uint32Array(0);
  private hashStride = 0;
  private hashed = false;
  private lastFull = false;

  constructor(seed: number, geometry: MrbGeometry = FEATURE_MRB, sparseLimit = SPARSE_LIMIT) {
    checkGeometry(geometry);
    this.g = geometry;
    this.c = geometry.components;
    this.lb = geometry.log2Bits;
    this.bitMask = (1 << this.lb) - 1;
    this.words = mrbWords(geometry);
    this.bits = new Int32Array(2 * A * this.words);
    this.bZeros = new Int32Array(A * this.c);
    this.iZeros = new Int32Array(A * this.c);
    this.uZeros = new Int32Array(A * this.c);
    this.touched = new Int32Array(A * this.words);
    this.iTouched = new Int32Array(A * this.words);
    this.setFilled = new Int32Array(A * (sparseLimit + 1));
    this.sparseLimit = sparseLimit;
    let slots = 16;
    while (slots < 2 * sparseLimit) slots *= 2;
    this.setSlots = slots;
    this.sets = new Int32Array(A * slots);
    this.setSize = new Int32Array(A);
    this.dense = new Uint8Array(A);
    this.rng = new Rng(seed);
    this.hasher = new AggregateHasher(this.rng);
    this.resetInterval();
  }

  get stateBytes(): number {
    return this.bits.byteLength + this.sets.byteLength;
  }

  resetInterval(): void {
    this.hashed = false;
    if (!this.dirty) return; // nothing committed since the last reset: state is already empty
    this.dirty = false;
    const bits = this.bits;
    for (let k = 0; k < this.nTouched; k++) bits[this.touched[k]!] = 0;
    this.nTouched = 0;
    for (let k = 0; k < this.nITouched; k++) bits[this.iTouched[k]!] = 0;
    this.nITouched = 0;
    this.iZeros.fill(1 << this.lb);
    const per = this.sparseLimit + 1;
    for (let a = 0; a < A; a++) {
      const base = a * this.setSlots;
      const n = Math.min(this.setSize[a]!, per);
      for (let k = 0; k < n; k++) this.sets[base + this.setFilled[a * per + k]!] = 0;
    }
    this.setSize.fill(0);
    this.dense.fill(0);
    this.hasher.reseed(this.rng);
  }

  load(_batch: PacketBatch): void {
    this.hashed = false;
    this.lastFull = false;
  }

  private ensureHashes(batch: PacketBatch): void {
    if (this.hashed) return;
    const n = batch.count;
    if (this.hashes.length < A * n) {
      this.hashStride = Math.max(n, 2 * this.hashStride, 1024);
      this.hashes = new Uint32Array(A * this.hashStride);
    }
    const out = this.hashes;
    const stride = this.hashStride;
    const h = this.hasher;
    for (let i = 0; i < n; i++) h.hashPacket(batch, i, out, i, stride);
    this.hashed = true;
  }

  private clearBatchBits(): void {
    const t = this.touched;
    const b = this.bits;
    for (let k = 0; k < this.nTouched; k++) b[t[k]!] = 0;
    this.nTouched = 0;
    this.bZeros.fill(1 << this.lb);
  }

  private setHas(a: number, h: number): boolean {
    const v = h | 0 || 1;
    const mask = this.setSlots - 1;
    const base = a * this.setSlots;
    const s = this.sets;
    let k = h & mask;
    for (;;) {
      const e = s[base + k]!;
      if (e === v) return true;
      if (e === 0) return false;
      k = (k + 1) & mask;
    }
  }

  private setAdd(a: number, h: number): void {
    const v = h | 0 || 1;
    const mask = this.setSlots - 1;
    const base = a * this.setSlots;
    const s = this.sets;
    let k = h & mask;
    for (;;) {
      const e = s[base + k]!;
      if (e === v) return;
      if (e === 0) {
        s[base + k] = v;
        this.setFilled[a * (this.sparseLimit + 1) + this.setSize[a]!] = k;
        this.setSize[a]!++;
        return;
      }
      k = (k + 1) & mask;
    }
  }

  /**
   * Rebuilds the batch bitmaps from the selected packets and the union zero counts; for sparse aggregates
   * (when `counts` is given) also counts looked-up keys (counts[2a]) and those absent from the interval
   * (counts[2a+1]).
   */
  private fillBatch(sel: Selection | null, n: number, counts: Int32Array | null): void {
    this.clearBatchBits();
    this.uZeros.set(this.iZeros);
    const hashes = this.hashes;
    const stride = this.hashStride;
    const bits = this.bits;
    const bZeros = this.bZeros;
    const uZeros = this.uZeros;
    const touched = this.touched;
    const idx = sel ? sel.idx : null;
    const last = this.c - 1;
    const lb = this.lb;
    const bitMask = this.bitMask;
    let nt = this.nTouched;
    for (let a = 0; a < A; a++) {
      const ho = a * stride;
      const bo = 2 * a * this.words;
      const zo = a * this.c;
      const sparse = counts !== null && this.dense[a] === 0;
      let looked = 0;
      let absent = 0;
      for (let k = 0; k < n; k++) {
        const h = hashes[ho + (idx === null ? k : idx[k]!)]!;
        let comp = Math.clz32(h);
        if (comp > last) comp = last;
        const pos = (comp << lb) | (h & bitMask);
        const w = bo + ((pos >>> 5) << 1);
        const m = 1 << (pos & 31);
        const old = bits[w]!;
        if ((old & m) !== 0) continue;
        if (old === 0) touched[nt++] = w;
        bits[w] = old | m;
        bZeros[zo + comp]!--;
        if ((bits[w + 1]! & m) === 0) uZeros[zo + comp]!--;
        if (sparse) {
          looked++;
          if (!this.setHas(a, h)) absent++;
        }
      }
      if (counts !== null) {
        counts[2 * a] = looked;
        counts[2 * a + 1] = absent;
      }
    }
    this.nTouched = nt;
  }

  private readonly counts = new Int32Array(2 * A);

  measure(batch: PacketBatch, sel: Selection | null, unique: Float64Array, fresh: Float64Array): number {
    this.ensureHashes(batch);
    const n = sel ? sel.length : batch.count;
    this.fillBatch(sel, n, this.counts);
    this.lastFull = n === batch.count;
    const g = this.g;
    let saturated = 0;
    for (let a = 0; a < A; a++) {
      const zo = a * this.c;
      let u = Math.round(mrbEstimate(this.bZeros, zo, g));
      if (mrbSaturated(this.bZeros, zo, g)) saturated++;
      if (u > n) u = n;
      if (u < 1 && n > 0) u = 1;
      let f: number;
      if (this.dense[a] === 0) {
        const looked = this.counts[2 * a]!;
        f = looked > 0 ? Math.round((u * this.counts[2 * a + 1]!) / looked) : 0;
      } else {
        const base = mrbBase(this.uZeros, zo, g);
        f = Math.round(mrbSum(this.uZeros, zo, base, g) - mrbSum(this.iZeros, zo, base, g));
        if (mrbSaturated(this.uZeros, zo, g)) saturated++;
      }
      if (f > u) f = u;
      if (f < 0) f = 0;
      unique[a] = u;
      fresh[a] = f;
    }
    return saturated;
  }

  commit(batch: PacketBatch): void {
    const n = batch.count;
    if (!this.lastFull) {
      this.ensureHashes(batch);
      this.fillBatch(null, n, null);
    }
    const t = this.touched;
    const b = this.bits;
    const it = this.iTouched;
    let nit = this.nITouched;
    for (let k = 0; k < this.nTouched; k++) {
      const w = t[k]!;
      const iv = b[w + 1]!;
      if (iv === 0) it[nit++] = w + 1;
      b[w + 1] = iv | b[w]!;
      b[w] = 0;
    }
    this.nITouched = nit;
    this.nTouched = 0;
    if (n > 0) this.dirty = true;
    this.bZeros.fill(1 << this.lb);
    this.iZeros.set(this.uZeros);
    // Sparse sets: add the batch's keys; switch an aggregate to dense once it outgrows the limit.
    const stride = this.hashStride;
    for (let a = 0; a < A; a++) {
      if (this.dense[a] !== 0) continue;
      const ho = a * stride;
      let prev = -1;
      for (let i = 0; i < n; i++) {
        const h = this.hashes[ho + i]! | 0;
        if (h === prev) continue; // runs of the same key are common; skip the probe
        prev = h;
        this.setAdd(a, h);
        if (this.setSize[a]! > this.sparseLimit) {
          this.dense[a] = 1;
          break;
        }
      }
    }
    this.lastFull = false;
  }
}
