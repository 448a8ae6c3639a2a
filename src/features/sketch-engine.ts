/**
 * Distinct counting for the 13 aggregates, the default back end: a sparse exact mode while an aggregate's
 * interval is small, multi-resolution bitmaps (mrb.ts) once it is large (the same idea as HLL++'s sparse mode).
 *
 * Sparse mode (interval has seen <= {@link SPARSE_LIMIT} keys of the aggregate): an open-addressing table of
 * the keys' 32-bit hashes, each slot tagged with the last measure() that saw it and whether it was committed
 * to the interval. A measure() counts a key once (tag), as unique, and as new unless committed. Counts are
 * exact up to 32-bit hash collisions (~n^2 / 2^33 colliding pairs: 0.5 pairs at 65k keys). With bitmaps
 * alone a few new keys landing on already-set interval bits is a large relative error when new counts are
 * small; this mode removes that error where it matters (small and medium traffic).
 *
 * Dense mode: per aggregate two MRBs with the same geometry and hash, the batch sketch (rebuilt by every
 * measure()) and the interval sketch (OR of the committed batches; always maintained, also in sparse mode, so
 * the switch is seamless). Their words are interleaved so the batch test, interval test and commit of a bit
 * touch one cache line. The union "interval + this selection" is tracked incrementally: when a packet sets a
 * new batch bit that is zero in the interval sketch, the union loses a zero. unique = MRB estimate of the
 * batch sketch; new = est(union) - est(interval), both summed from the union's base so the two terms share
 * sampling and collisions (CoMo's n_ = est(after OR) - est(before)). An aggregate switches to dense for the
 * rest of the interval when its table would exceed the limit.
 *
 * Memory (default geometry 11 x 2^18 bits, limit 2^16 keys): bitmaps 2 x 13 x 352 KiB = 8.9 MiB; tables
 * 13 x 2^17 slots x 8 B = 13 MiB; plus 52 B per packet of the largest batch (hash cache). Loops run
 * aggregate by aggregate so one aggregate's state stays in L2.
 */
import type { PacketBatch, Selection } from '../capture/batch.ts';
import { Rng } from '../random.ts';
import type { DistinctEngine } from './engine.ts';
import { AggregateHasher } from './hash.ts';
import { type MrbGeometry, checkGeometry, mrbBase, mrbEstimate, mrbSaturated, mrbSum, mrbWords } from './mrb.ts';
import { AGGREGATE_COUNT } from './names.ts';

/** Feature-extractor geometry: 11 components x 2^18 bits (32 KiB each), setmax 70 %. See README for errors. */
export const FEATURE_MRB: MrbGeometry = { components: 11, log2Bits: 18, setmaxFill: 0.7 };
/** Interval keys per aggregate counted exactly (sparse mode) before switching to the bitmaps. */
export const SPARSE_LIMIT = 1 << 16;

const A = AGGREGATE_COUNT;

export class SketchEngine implements DistinctEngine {
  private readonly g: MrbGeometry;
  private readonly words: number;
  private readonly c: number;
  private readonly lb: number;
  private readonly bitMask: number;
  /** Batch word at 2w, interval word at 2w + 1 (w = aggregate * words + word). */
  private readonly bits: Int32Array;
  private readonly bZeros: Int32Array;
  private readonly iZeros: Int32Array;
  private readonly uZeros: Int32Array;
  /** Per aggregate (segment of `words`), batch-bitmap word indices that went 0 -> non-zero since the last clear. */
  private readonly touched: Int32Array;
  private readonly nTouched: Int32Array;
  /** Interval-bitmap word indices that went 0 -> non-zero this interval (a reset costs O(touched)). */
  private readonly iTouched: Int32Array;
  private nITouched = 0;
  /** Sparse tables: slot k of aggregate a at 2 * (a * slots + k): [hash (0 = empty, 0 stored as 1), tag]. */
  private readonly table: Int32Array;
  /** tag = (measure id << 1) | committed. */
  private readonly slots: number;
  private readonly size: Int32Array;
  /** Per aggregate, slots filled in order (limit + 1 each), for O(size) clearing and for commit. */
  private readonly filled: Int32Array;
  /** Table size when the current batch began (entries after it are this batch's tentative keys). */
  private readonly batchStart: Int32Array;
  private readonly dense: Uint8Array;
  /** Whether the last measure of aggregate a covered the whole batch (its batch state can be committed). */
  private readonly lastFull: Uint8Array;
  private readonly limit: number;
  private readonly hasher: AggregateHasher;
  private readonly rng: Rng;
  private hashes = new Uint32Array(0);
  private hashStride = 0;
  private hashed = false;
  private measureId = 0;
  private dirty = true;

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
    this.nTouched = new Int32Array(A);
    this.iTouched = new Int32Array(A * this.words);
    this.limit = sparseLimit;
    let slots = 16;
    while (slots < 2 * sparseLimit) slots *= 2;
    this.slots = slots;
    this.table = new Int32Array(2 * A * slots);
    this.size = new Int32Array(A);
    this.filled = new Int32Array(A * (sparseLimit + 1));
    this.batchStart = new Int32Array(A);
    this.dense = new Uint8Array(A);
    this.lastFull = new Uint8Array(A);
    this.rng = new Rng(seed);
    this.hasher = new AggregateHasher(this.rng);
    this.resetInterval();
  }

  get stateBytes(): number {
    return this.bits.byteLength + this.table.byteLength;
  }

  resetInterval(): void {
    this.hashed = false;
    if (!this.dirty) return; // nothing committed since the last reset: the state is already empty
    this.dirty = false;
    const bits = this.bits;
    for (let a = 0; a < A; a++) this.clearBatchBits(a);
    for (let k = 0; k < this.nITouched; k++) bits[this.iTouched[k]!] = 0;
    this.nITouched = 0;
    this.iZeros.fill(1 << this.lb);
    const per = this.limit + 1;
    for (let a = 0; a < A; a++) {
      const base = a * this.slots;
      for (let k = 0; k < this.size[a]!; k++) {
        const s = 2 * (base + this.filled[a * per + k]!);
        this.table[s] = 0;
        this.table[s + 1] = 0;
      }
    }
    this.size.fill(0);
    this.batchStart.fill(0);
    this.dense.fill(0);
    this.hasher.reseed(this.rng);
  }

  load(_batch: PacketBatch): void {
    this.hashed = false;
    this.lastFull.fill(0);
    this.batchStart.set(this.size);
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

  private clearBatchBits(a: number): void {
    const t = this.touched;
    const b = this.bits;
    const o = a * this.words;
    const n = this.nTouched[a]!;
    for (let k = 0; k < n; k++) b[t[o + k]!] = 0;
    this.nTouched[a] = 0;
    this.bZeros.fill(1 << this.lb, a * this.c, (a + 1) * this.c);
  }

  /**
   * Sparse count of aggregate a over the selection with measure id `id`: out[0] = unique, out[1] = new.
   * Returns false (leaving tentative keys behind, harmless) if the table would exceed the limit.
   */
  private countSparse(a: number, sel: Selection | null, n: number, id: number, out: Int32Array): boolean {
    const hashes = this.hashes;
    const ho = a * this.hashStride;
    const idx = sel ? sel.idx : null;
    const t = this.table;
    const mask = this.slots - 1;
    const base = a * this.slots;
    const per = this.limit + 1;
    const tagNow = id << 1;
    const filled = this.filled;
    const fo = a * per;
    const limit = this.limit;
    let size = this.size[a]!;
    let uniq = 0;
    let fresh = 0;
    let prev = -1;
    for (let k = 0; k < n; k++) {
      const h = hashes[ho + (idx === null ? k : idx[k]!)]!;
      if (h === prev) continue; // same key as the previous packet (bursts, one-key aggregates)
      prev = h;
      const v = h | 0 || 1;
      let s = h & mask;
      for (;;) {
        const p = 2 * (base + s);
        const e = t[p]!;
        if (e === v) {
          const tag = t[p + 1]!;
          if (tag >>> 1 !== id) {
            t[p + 1] = tagNow | (tag & 1);
            uniq++;
            if ((tag & 1) === 0) fresh++;
          }
          break;
        }
        if (e === 0) {
          if (size >= limit) {
            this.size[a] = size;
            return false;
          }
          t[p] = v;
          t[p + 1] = tagNow;
          filled[fo + size] = s;
          size++;
          uniq++;
          fresh++;
          break;
        }
        s = (s + 1) & mask;
      }
    }
    this.size[a] = size;
    out[0] = uniq;
    out[1] = fresh;
    return true;
  }

  /** Rebuilds aggregate a's batch bitmap from the selection and its union zero counts. */
  private fillDense(a: number, sel: Selection | null, n: number): void {
    this.clearBatchBits(a);
    const zo = a * this.c;
    this.uZeros.set(this.iZeros.subarray(zo, zo + this.c), zo);
    const hashes = this.hashes;
    const ho = a * this.hashStride;
    const bits = this.bits;
    const bZeros = this.bZeros;
    const uZeros = this.uZeros;
    const touched = this.touched;
    const to = a * this.words;
    const idx = sel ? sel.idx : null;
    const last = this.c - 1;
    const lb = this.lb;
    const bitMask = this.bitMask;
    const bo = 2 * a * this.words;
    let nt = 0;
    let prev = -1;
    for (let k = 0; k < n; k++) {
      const h = hashes[ho + (idx === null ? k : idx[k]!)]!;
      if (h === prev) continue;
      prev = h;
      let comp = Math.clz32(h);
      if (comp > last) comp = last;
      const pos = (comp << lb) | (h & bitMask);
      const w = bo + ((pos >>> 5) << 1);
      const m = 1 << (pos & 31);
      const old = bits[w]!;
      if ((old & m) !== 0) continue;
      if (old === 0) touched[to + nt++] = w;
      bits[w] = old | m;
      bZeros[zo + comp]!--;
      if ((bits[w + 1]! & m) === 0) uZeros[zo + comp]!--;
    }
    this.nTouched[a] = nt;
  }

  private readonly pair = new Int32Array(2);

  measure(batch: PacketBatch, sel: Selection | null, unique: Float64Array, fresh: Float64Array): number {
    this.ensureHashes(batch);
    const n = sel ? sel.length : batch.count;
    const full = n === batch.count ? 1 : 0;
    const id = ++this.measureId & 0x3fffffff;
    const g = this.g;
    let saturated = 0;
    for (let a = 0; a < A; a++) {
      this.lastFull[a] = full;
      if (this.dense[a] === 0) {
        if (this.countSparse(a, sel, n, id, this.pair)) {
          unique[a] = this.pair[0]!;
          fresh[a] = this.pair[1]!;
          continue;
        }
        this.dense[a] = 1; // outgrew the table: bitmaps from now on (the interval bitmap is complete)
      }
      this.fillDense(a, sel, n);
      const zo = a * this.c;
      let u = Math.round(mrbEstimate(this.bZeros, zo, g));
      if (mrbSaturated(this.bZeros, zo, g)) saturated++;
      if (u > n) u = n;
      if (u < 1 && n > 0) u = 1;
      const base = mrbBase(this.uZeros, zo, g);
      let f = Math.round(mrbSum(this.uZeros, zo, base, g) - mrbSum(this.iZeros, zo, base, g));
      if (mrbSaturated(this.uZeros, zo, g)) saturated++;
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
    const it = this.iTouched;
    const b = this.bits;
    for (let a = 0; a < A; a++) {
      if (this.dense[a] === 0 && this.lastFull[a] === 0) {
        this.ensureHashes(batch);
        if (!this.countSparse(a, null, n, ++this.measureId & 0x3fffffff, this.pair)) this.dense[a] = 1;
        else this.lastFull[a] = 1;
      }
      if (this.dense[a] === 0) {
        // Commit this batch's keys: mark them and set their bits in the interval bitmap.
        const t = this.table;
        const base = a * this.slots;
        const fo = a * (this.limit + 1);
        const zo = a * this.c;
        const bo = 2 * a * this.words;
        const last = this.c - 1;
        let nit = this.nITouched;
        for (let k = this.batchStart[a]!; k < this.size[a]!; k++) {
          const p = 2 * (base + this.filled[fo + k]!);
          t[p + 1] |= 1;
          const h = t[p]!;
          let comp = Math.clz32(h);
          if (comp > last) comp = last;
          const pos = (comp << this.lb) | (h & this.bitMask);
          const w = bo + ((pos >>> 5) << 1) + 1;
          const m = 1 << (pos & 31);
          const old = b[w]!;
          if ((old & m) === 0) {
            if (old === 0) it[nit++] = w;
            b[w] = old | m;
            this.iZeros[zo + comp]!--;
          }
        }
        this.nITouched = nit;
        this.batchStart[a] = this.size[a]!;
        continue;
      }
      if (this.lastFull[a] === 0) {
        this.ensureHashes(batch);
        this.fillDense(a, null, n);
      }
      const t = this.touched;
      const to = a * this.words;
      let nit = this.nITouched;
      for (let k = 0; k < this.nTouched[a]!; k++) {
        const w = t[to + k]!;
        const iv = b[w + 1]!;
        if (iv === 0) it[nit++] = w + 1;
        b[w + 1] = iv | b[w]!;
        b[w] = 0;
      }
      this.nITouched = nit;
      this.nTouched[a] = 0;
      this.bZeros.fill(1 << this.lb, a * this.c, (a + 1) * this.c);
      this.iZeros.set(this.uZeros.subarray(a * this.c, (a + 1) * this.c), a * this.c);
    }
    this.lastFull.fill(0);
  }
}
