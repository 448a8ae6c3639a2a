/**
 * The bitmap regime's state of the 13 aggregates and its dense counting (see sketch-engine.ts for the
 * regimes): per aggregate an interval sketch I ({@link FEATURE_MRB}-like geometry) with its zero counts, the
 * zero counts of "I OR the last measured selection", and the log of the I bits that selection turned on; one
 * batch sketch B shared by all aggregates (scratch, cleared after each estimate, so it stays in L2).
 *
 * A selection is counted in one of three ways by size: up to {@link DEDUP_MAX} keys exactly in a scratch hash
 * set (fillExact), up to {@link SORT_MAX} with the bit updates sorted by address (fillSorted), larger ones in
 * key order (key-order-fill.ts). "new" is always the union gain of I (the logged bits per component).
 */
import { type MrbGeometry, mrbWords } from './mrb.ts';
import { fillKeyOrder } from './key-order-fill.ts';
import { KeptOrders, ENTRY_NEW_FLAG_BIT, ENTRY_POS_BITS, clearSortedB } from './kept-order.ts';

// Module constants for the hot loops: the imported bindings used directly made the flood fill ~10 % slower.
const POS_BITS = ENTRY_POS_BITS;
const POS_MASK = (1 << POS_BITS) - 1;
const NEW_FLAG_BIT = ENTRY_NEW_FLAG_BIT;

/**
 * Selections of up to this many keys are counted exactly per batch in dense mode (fillExact, a 32 KiB scratch
 * set at most). An exact set up to 32k keys was slower under a flood, where almost every key is distinct.
 */
export const DEDUP_MAX = 1 << 12;
/**
 * Selections of at least this many keys update the sketches in key order (key-order-fill.ts): at ~10^5 keys per batch
 * every cache line of the busy components is hit dozens of times anyway, and sorting was 5-10 % slower
 * (synflood x20 at 1 Mpps, measured); below it, address order wins (fillSorted).
 */
const SORT_MAX = 1 << 15;

export class DenseSketches {
  readonly ig: MrbGeometry;
  readonly bg: MrbGeometry;
  readonly iWords: number;
  readonly bWords: number;
  /** Interval sketches, aggregate a at [a * iWords, (a + 1) * iWords). */
  readonly iBits: Int32Array;
  readonly iZeros: Int32Array;
  /** Zero counts of "interval OR last measured selection". */
  readonly uZeros: Int32Array;
  /** The batch sketch, one for all aggregates, and each aggregate's zero counts of its last selection. */
  readonly bBits: Int32Array;
  readonly bZeros: Int32Array;
  /** Per aggregate: positions of the I bits the last measure() turned on (undone by a repeated measure). */
  private readonly logs: Int32Array[] = [];
  readonly nLog: Int32Array;
  /** Whether aggregate a's applied log (logs[a]) is the whole batch's. */
  readonly logIsFull: Uint8Array;
  /**
   * The whole batch's log, set aside (its bits cleared from I) while sampled selections are measured, and its
   * union zero counts: the commit re-applies it instead of counting the batch again.
   */
  private readonly fullLogs: Int32Array[] = [];
  readonly nFull: Int32Array;
  private readonly fullZeros: Int32Array;
  /** The current batch's hashes, aggregate a at [a * hashStride, ...) (set by the engine). */
  hashes = new Int32Array(0);
  hashStride = 0;
  /** Scratch hash set of the exact path (key hashes, 0 = empty) and the slots it filled. */
  private readonly dedup = new Int32Array(2 * DEDUP_MAX);
  private readonly dedupPos = new Int32Array(DEDUP_MAX);
  /** Counting-sort scratch of fillSorted: I positions in key order, in block order, and per-block counts. */
  private posScratch: Int32Array = new Int32Array(1024);
  private sortScratch: Int32Array = new Int32Array(1024);
  /** Packet index of each sortScratch entry (written only when the order is kept). */
  private sortPkt: Int32Array = new Int32Array(1024);
  /**
   * Per aggregate: keep the whole batch's sorted entries of fillSorted (one per packet, with its packet index)
   * for the sampled selections of the same batch (kept-order.ts). It costs a scatter write and a flag per key
   * and no repeat skipping, worth it only when selections follow: set (nextBatch) for the aggregates whose
   * sampled selections in the previous batch were of a size that can use it (`wanted`, noted by canFilter).
   */
  readonly keepOrder: Uint8Array;
  private readonly wanted: Uint8Array;
  readonly kept: KeptOrders;
  readonly bucketShift: number;
  readonly buckets: number;
  private readonly bucketCounts: Int32Array;

  /**
   * @param geometry interval sketch geometry; the batch sketch is `batch`, or the same geometry when its
   *   components have at most 2^16 bits (tests of saturation use a tiny one).
   */
  constructor(geometry: MrbGeometry, batch: MrbGeometry, aggregates: number) {
    const A = aggregates;
    this.ig = geometry;
    // B's bit index must be the low bits of I's (fillSorted derives B positions from I positions).
    this.bg = geometry.log2Bits <= batch.log2Bits ? geometry : batch;
    this.iWords = mrbWords(this.ig);
    this.bWords = mrbWords(this.bg);
    // Blocks of the interval sketch for the sorted bit updates: at most 1,024 (704 blocks of 512 B by default).
    let shift = 0;
    while (((geometry.components << geometry.log2Bits) >>> shift) > 1024) shift++;
    this.bucketShift = shift;
    this.buckets = Math.ceil((geometry.components << geometry.log2Bits) / 2 ** shift);
    this.bucketCounts = new Int32Array(this.buckets);
    this.iBits = new Int32Array(A * this.iWords);
    this.iZeros = new Int32Array(A * this.ig.components).fill(1 << this.ig.log2Bits);
    this.uZeros = new Int32Array(A * this.ig.components);
    this.bBits = new Int32Array(this.bWords);
    this.bZeros = new Int32Array(A * this.bg.components);
    this.nLog = new Int32Array(A);
    this.logIsFull = new Uint8Array(A);
    this.nFull = new Int32Array(A);
    this.fullZeros = new Int32Array(A * this.ig.components);
    this.kept = new KeptOrders(A, this.ig, shift, this.buckets);
    this.keepOrder = new Uint8Array(A);
    this.wanted = new Uint8Array(A);
    for (let a = 0; a < A; a++) {
      this.logs.push(new Int32Array(0));
      this.fullLogs.push(new Int32Array(0));
    }
  }

  /**
   * Dense count of aggregate a over the selection (`idx` = packet indices, null = 0..n-1): rebuilds its batch
   * count and sets the selection's keys in the interval sketch, logging the bits turned on (after undoing the
   * previous measure's). `full` = the selection is the whole batch. Returns the exact distinct count, with
   * one packet per distinct key in `reps`, or -1 when B estimates it (bZeros).
   */
  fill(a: number, idx: Uint32Array | null, n: number, full: number, reps: Uint32Array): number {
    if (this.logIsFull[a] === 1 && full === 0) this.setAsideFull(a);
    else if (this.nLog[a]! > 0) this.undoLog(a);
    if (full === 1) this.nFull[a] = 0; // superseded
    this.logIsFull[a] = full;
    if (full === 1) this.kept.valid[a] = 0;
    if (n <= DEDUP_MAX) return this.fillExact(a, idx, n, reps);
    if (n < SORT_MAX) this.fillSorted(a, idx, n, full);
    else {
      fillKeyOrder(this, a, idx, n, this.logFor(a, n));
    }
    return -1;
  }

  /** Aggregate a's bit log, grown to room for n entries (one per key counted). */
  private logFor(a: number, n: number): Int32Array {
    let log = this.logs[a]!;
    if (log.length < n) {
      log = new Int32Array(Math.max(n, 1024));
      this.logs[a] = log;
    }
    return log;
  }

  /**
   * Whether a sampled selection of aggregate a can be counted from the kept order (n = the keys it would count
   * otherwise). A size that could use it makes the next batch keep a's order.
   */
  canFilter(a: number, n: number): boolean {
    if (n <= DEDUP_MAX || n >= SORT_MAX) return false;
    this.wanted[a] = 1;
    return this.kept.valid[a] === 1;
  }

  /** A new batch: no kept order is valid; keep the orders the last batch's selections wanted. */
  nextBatch(): void {
    this.kept.valid.fill(0);
    this.keepOrder.set(this.wanted);
    this.wanted.fill(0);
  }

  /**
   * Dense count of a sampled selection (`selected[i]` = 1) from the whole batch's kept order
   * ({@link KeptOrders.count}): B's zero counts in bZeros, the union's in `kept.fZeros`; I and the logs are
   * not touched. The caller checked {@link canFilter}.
   */
  fillFiltered(a: number, selected: Uint8Array): void {
    this.kept.count(a, selected, this.iZeros, this.bBits, this.bZeros, this.bg);
  }

  /** Makes the sort scratch arrays hold at least n entries (each grown on its own: kept orders swap in and out). */
  private growSortScratch(n: number): void {
    if (this.posScratch.length < n) this.posScratch = new Int32Array(Math.max(n, 2 * this.posScratch.length));
    const len = this.posScratch.length;
    if (this.sortScratch.length < n) this.sortScratch = new Int32Array(len);
    if (this.sortPkt.length < n) this.sortPkt = new Int32Array(len);
  }

  /** Sets the first m hashes of `keys` in aggregate a's interval sketch (the switch from sparse mode). */
  addKeys(a: number, keys: Int32Array, m: number): void {
    const io = a * this.iWords;
    const zo = a * this.ig.components;
    const lb = this.ig.log2Bits;
    const last = this.ig.components - 1;
    const mask = (1 << lb) - 1;
    const b = this.iBits;
    for (let k = 0; k < m; k++) {
      const h = keys[k]!;
      const cz = Math.clz32(h);
      const pos = ((cz > last ? last : cz) << lb) | (h & mask);
      const w = io + (pos >>> 5);
      const bit = 1 << (pos & 31);
      const old = b[w]!;
      if ((old & bit) === 0) {
        b[w] = old | bit;
        this.iZeros[zo + (pos >>> lb)]!--;
      }
    }
  }

  /** Empties aggregate a's interval sketch (its bits; zero counts are reset by resetZeros). */
  clearInterval(a: number): void {
    this.iBits.fill(0, a * this.iWords, (a + 1) * this.iWords);
    this.nLog[a] = 0;
    this.nFull[a] = 0;
    this.logIsFull[a] = 0;
  }

  /** All interval zero counts back to empty. */
  resetZeros(): void {
    this.iZeros.fill(1 << this.ig.log2Bits);
  }

  /** The commit of aggregate a's applied log: its bits stay in I, the union becomes the interval. */
  keep(a: number): void {
    const c = this.ig.components;
    this.nLog[a] = 0;
    this.logIsFull[a] = 0;
    this.iZeros.set(this.uZeros.subarray(a * c, (a + 1) * c), a * c);
  }

  /** No bit to apply (the whole batch turned none on): the union zero counts are the interval's. */
  unionIsInterval(a: number): void {
    const c = this.ig.components;
    this.uZeros.set(this.iZeros.subarray(a * c, (a + 1) * c), a * c);
  }

  /**
   * Dense count of a selection of at most {@link DEDUP_MAX} keys: the batch's distinct keys exactly, in a
   * scratch hash set shared by all aggregates (sized to the selection, emptied after use, so it stays in L2),
   * instead of the batch sketch B. Only the distinct keys touch the interval sketch, and they are the
   * aggregate's representatives for the aggregates its key determines. Returns the distinct count.
   */
  private fillExact(a: number, idx: Uint32Array | null, n: number, reps: Uint32Array): number {
    const iBits = this.iBits;
    const io = a * this.iWords;
    const ilb = this.ig.log2Bits;
    const iMask = (1 << ilb) - 1;
    const iLast = this.ig.components - 1;
    const izo = a * this.ig.components;
    const log = this.logFor(a, n);
    const set = this.dedup;
    const pos = this.dedupPos;
    let slots = 1024;
    while (slots < 2 * n) slots *= 2;
    const mask = slots - 1;
    const hashes = this.hashes;
    const ho = a * this.hashStride;
    let nl = 0;
    let d = 0;
    let prev = n > 0 ? ~hashes[ho + (idx === null ? 0 : idx[0]!)]! : 0;
    for (let k = 0; k < n; k++) {
      const i = idx === null ? k : idx[k]!;
      const h = hashes[ho + i]!;
      if (h === prev) continue;
      prev = h;
      const v = h === 0 ? 1 : h;
      let s = h & mask;
      let e = set[s]!;
      while (e !== v && e !== 0) {
        s = (s + 1) & mask;
        e = set[s]!;
      }
      if (e === v) continue; // already in this batch
      set[s] = v;
      pos[d] = s;
      reps[d++] = i;
      // Branch-free interval bit update (see fillSorted).
      const cz = Math.clz32(h);
      const ci = cz > iLast ? iLast : cz;
      const pi = (ci << ilb) | (h & iMask);
      const wi = io + (pi >>> 5);
      const si = pi & 31;
      const oi = iBits[wi]!;
      iBits[wi] = oi | (1 << si);
      log[nl] = pi;
      nl += ((oi >>> si) & 1) ^ 1;
    }
    for (let k = 0; k < d; k++) set[pos[k]!] = 0;
    this.nLog[a] = nl;
    const uZeros = this.uZeros;
    uZeros.set(this.iZeros.subarray(izo, izo + this.ig.components), izo);
    for (let k = 0; k < nl; k++) uZeros[izo + (log[k]! >>> ilb)]!--;
    return d;
  }

  /**
   * Dense count of a large selection: batch sketch B for the unique count, interval sketch I for "new".
   *
   * Both sketches are updated in address order, not key order: pass 1 computes each key's I position (and
   * its clz, for B's component) and counts the keys per 2^bucketShift-bit block of I; pass 2 sorts them by
   * block (a counting sort); pass 3 sets the I bits block by block and the B bits, whose position is I's
   * low bits in the same component, so both sweep memory in order. In key order, nearly every key missed the
   * cache once queries and capture ran between batches (the bit updates were 2/3 of the feature time on the
   * monitor's SYN-flood input; sorted, 2-4x fewer ns per key with an evicted cache, equal when all fits L2).
   * In sorted order the keys of one B component are consecutive, so its zero count is a register, not a
   * read-modify-write chain through memory per key.
   */
  private fillSorted(a: number, idx: Uint32Array | null, n: number, full: number): void {
    const ilb = this.ig.log2Bits;
    const iMask = (1 << ilb) - 1;
    const iLast = this.ig.components - 1;
    const hashes = this.hashes;
    const ho = a * this.hashStride;
    this.growSortScratch(n);
    const pos = this.posScratch;
    const sorted = this.sortScratch;
    const cnt = this.bucketCounts;
    const shift = this.bucketShift;
    const nb = this.buckets;
    // Keep the order for the batch's sampled selections: every packet gets an entry (a skipped repeat could be
    // selected without the packet before it), and the entry index is the packet index.
    const keep = this.keepOrder[a] === 1 && full === 1 && idx === null;
    cnt.fill(0, 0, nb);
    // Pass 1: entry = I position (< 2^24) | min(clz, 15) << POS_BITS.
    let m = 0;
    let prev = 0;
    for (let k = 0; k < n; k++) {
      const h = hashes[ho + (idx === null ? k : idx[k]!)]!;
      if (h === prev && k > 0 && !keep) continue;
      prev = h;
      const cz = Math.clz32(h);
      const ci = cz > iLast ? iLast : cz;
      const pi = (ci << ilb) | (h & iMask);
      pos[m++] = pi | ((cz > 15 ? 15 : cz) << POS_BITS);
      cnt[pi >>> shift]!++;
    }
    // Pass 2: counting sort by block.
    let start = 0;
    for (let b = 0; b < nb; b++) {
      const c = cnt[b]!;
      cnt[b] = start;
      start += c;
    }
    if (keep) {
      const pk = this.sortPkt;
      for (let k = 0; k < m; k++) {
        const v = pos[k]!;
        const d = cnt[(v & POS_MASK) >>> shift]!++;
        sorted[d] = v;
        pk[d] = k;
      }
      // Before any bit is set: flag the entries whose I position is clear before the batch (fillFiltered).
      const iBits = this.iBits;
      const io = a * this.iWords;
      for (let k = 0; k < m; k++) {
        const v = sorted[k]!;
        const pi = v & POS_MASK;
        sorted[k] = v | ((~(iBits[io + (pi >>> 5)]! >>> (pi & 31)) & 1) << NEW_FLAG_BIT);
      }
    } else {
      for (let k = 0; k < m; k++) {
        const v = pos[k]!;
        sorted[cnt[(v & POS_MASK) >>> shift]!++] = v;
      }
    }
    this.applySorted(a, sorted, m);
    if (keep) {
      // Swap the scratch arrays in (no copy); the previously kept arrays become scratch.
      this.kept.swapIn(a, sorted, this.sortPkt, m);
      this.sortScratch = this.kept.spareEnt;
      this.sortPkt = this.kept.sparePkt;
    }
  }

  /**
   * Pass 3 of fillSorted: branch-free bit updates of I and B from the block-sorted entries (whether a bit was
   * already set is data-dependent and mispredicts), B's zero counts, B cleared, and the union zero counts.
   */
  private applySorted(a: number, sorted: Int32Array, m: number): void {
    const iBits = this.iBits;
    const io = a * this.iWords;
    const ilb = this.ig.log2Bits;
    const izo = a * this.ig.components;
    const log = this.logFor(a, m);
    let nl = 0;
    const bBits = this.bBits;
    const blb = this.bg.log2Bits; // <= ilb (constructor), so B's bit index is the low bits of I's
    const bMask = (1 << blb) - 1;
    const bLast = this.bg.components - 1;
    const bzo = a * this.bg.components;
    const bZeros = this.bZeros;
    bZeros.fill(1 << blb, bzo, bzo + this.bg.components);
    let curB = 0;
    let newB = 0;
    for (let k = 0; k < m; k++) {
      const v = sorted[k]!;
      const pi = v & POS_MASK;
      const wi = io + (pi >>> 5);
      const si = pi & 31;
      const oi = iBits[wi]!;
      iBits[wi] = oi | (1 << si);
      log[nl] = pi;
      nl += ((oi >>> si) & 1) ^ 1;
      const cz = (v >>> POS_BITS) & 15;
      const cb = cz > bLast ? bLast : cz;
      if (cb !== curB) {
        bZeros[bzo + curB] -= newB;
        curB = cb;
        newB = 0;
      }
      const pb = (cb << blb) | (pi & bMask);
      const wb = pb >>> 5;
      const sb = pb & 31;
      const ob = bBits[wb]!;
      bBits[wb] = ob | (1 << sb);
      newB += ((ob >>> sb) & 1) ^ 1;
    }
    bZeros[bzo + curB] -= newB;
    clearSortedB(this.bBits, this.bg, sorted, m);
    this.nLog[a] = nl;
    const uZeros = this.uZeros;
    uZeros.set(this.iZeros.subarray(izo, izo + this.ig.components), izo);
    for (let k = 0; k < nl; k++) uZeros[izo + (log[k]! >>> ilb)]!--;
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
  restoreFull(a: number): void {
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

  /** Clears the interval bits that aggregate a's last measure() turned on (by default; or the given log's). */
  undoLog(a: number, log = this.logs[a]!, n = this.nLog[a]!): void {
    const iBits = this.iBits;
    const io = a * this.iWords;
    for (let k = 0; k < n; k++) {
      const p = log[k]!;
      iBits[io + (p >>> 5)] &= ~(1 << (p & 31));
    }
    this.nLog[a] = 0;
  }
}
