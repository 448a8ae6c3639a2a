/**
 * SparseKeyTable: the exact ("sparse", as in HLL++) regime of one aggregate while its interval is small. An
 * open-addressing table of 32-bit key hashes; each slot's tag holds the key's insertion index (its position
 * in insertion order) and the last count that saw it. A count over a selection gives the unique keys (seen
 * by this count for the first time) and the new ones (inserted at or after `batchStart`, i.e. not committed)
 * in one probe per packet. Exact up to 32-bit hash collisions (~n^2 / 2^33 colliding pairs).
 *
 * Committing a batch is `batchStart = size`, O(1): the keys before `batchStart` are by construction the
 * committed ones (an earlier version kept a committed bit per slot and set it with a second random write per
 * new key at every commit, 5-8 % of the feature time under a flood).
 *
 * The table grows by doubling (from {@link MIN_SLOTS}, at load 1/4 below 2^16 slots, then 1/2) up to the
 * slots needed for `limit` keys at load 1/2, so a small interval keeps a small, cache-resident table instead
 * of touching lines spread over the full size.
 */

const MIN_SLOTS = 1 << 10;
/** Up to this many slots the table doubles at load 1/4 (fewer probes, fewer mispredicted branches), then at 1/2. */
const SPARSE_SLOTS = 1 << 16;
/** Tag layout: insertion index in the high bits (at most 2^16 keys), count id in the low 15 bits. */
const SEEN_BITS = 15;
const SEEN_MASK = (1 << SEEN_BITS) - 1;
/** The most keys a table can hold (insertion indices fit the tag's 16 high bits). */
export const MAX_SPARSE_KEYS = 1 << 16;

/** Keys at which a table of `slots` slots doubles. */
function growAt(slots: number): number {
  return slots < SPARSE_SLOTS ? slots >>> 2 : slots >>> 1;
}

export class SparseKeyTable {
  /** Slot k at [2k] = hash (0 = empty; a hash of 0 is stored as 1), [2k + 1] = tag = (insertion index << 15) | count id. */
  private t: Int32Array;
  /** Slots in insertion order (for O(size) clearing, rollback, and rehashing in the same order). */
  private filled: Int32Array;
  private mask: number;
  /** Id of the last count (1 .. 2^15 - 1; 0 = never seen); the seen ids are cleared when it wraps. */
  private countId = 0;
  /** Keys in the table (committed and tentative). */
  size = 0;
  /** Keys committed to the interval: entries before it in insertion order; later ones are this batch's. */
  batchStart = 0;
  private readonly maxSlots: number;

  /** @param limit the most keys the table holds (at most {@link MAX_SPARSE_KEYS}); a count that would exceed it fails. */
  constructor(readonly limit: number) {
    if (!(limit >= 0 && limit <= MAX_SPARSE_KEYS)) throw new RangeError(`sparse table limit must be in 0..${MAX_SPARSE_KEYS}, got ${limit}`);
    let max = 16;
    while (max < 2 * limit) max *= 2;
    this.maxSlots = max;
    const slots = Math.min(MIN_SLOTS, max);
    this.t = new Int32Array(2 * slots);
    this.filled = new Int32Array(slots >>> 1);
    this.mask = slots - 1;
  }

  get byteLength(): number {
    return this.t.byteLength + this.filled.byteLength;
  }

  /** A fresh count id; clears every seen id when the 15-bit id space wraps (once per 32,767 counts). */
  private nextCountId(): number {
    if (this.countId === SEEN_MASK) {
      const t = this.t;
      for (let k = 0; k < this.size; k++) t[2 * this.filled[k]! + 1] &= ~SEEN_MASK;
      this.countId = 0;
    }
    return ++this.countId;
  }

  /**
   * Counts the keys `hashes[off + (idx ? idx[k] : k)]`, k < n: out[0] = unique, out[1] = not committed.
   * `reps` receives one packet index (idx[k] or k) per distinct key, its first occurrence: aggregates whose
   * key is a function of this one need only those packets. Returns false (leaving tentative keys behind,
   * harmless) if the table would exceed the limit.
   */
  count(hashes: Int32Array, off: number, idx: Uint32Array | null, n: number, out: Int32Array, reps: Uint32Array): boolean {
    const id = this.nextCountId();
    const limit = this.limit;
    // A key is new iff its insertion index >= batchStart, i.e. its tag >= firstNew (branch-free below).
    const firstNew = this.batchStart << SEEN_BITS;
    let t = this.t;
    let mask = this.mask;
    let grow = growAt(mask + 1);
    let size = this.size;
    let uniq = 0;
    let fresh = 0;
    // Different from the first key, so the first packet is never skipped as a repeat.
    let prev = n > 0 ? ~hashes[off + (idx === null ? 0 : idx[0]!)]! : 0;
    for (let k = 0; k < n; k++) {
      const i = idx === null ? k : idx[k]!;
      const h = hashes[off + i]!;
      if (h === prev) continue; // same key as the previous packet (bursts, one-key aggregates)
      prev = h;
      const v = h === 0 ? 1 : h;
      let s = h & mask;
      let e = t[2 * s]!;
      while (e !== v && e !== 0) {
        s = (s + 1) & mask;
        e = t[2 * s]!;
      }
      if (e === v) {
        // Branch-free: whether this count already saw the key is data-dependent (mispredicts often).
        const q = 2 * s + 1;
        const tag = t[q]!;
        const d = (tag & SEEN_MASK) ^ id;
        const first = (d | -d) >>> 31; // 1 if not yet seen by this count
        t[q] = (tag & ~SEEN_MASK) | id;
        reps[uniq] = i; // kept only if first
        uniq += first;
        fresh += first & ((firstNew - 1 - tag) >>> 31);
        continue;
      }
      if (size >= limit) {
        this.size = size;
        return false;
      }
      if (size >= grow && mask + 1 < this.maxSlots) {
        this.size = size;
        this.grow();
        t = this.t;
        mask = this.mask;
        grow = growAt(mask + 1);
        s = h & mask;
        while (t[2 * s] !== 0) s = (s + 1) & mask; // the key is not in the table
      }
      t[2 * s] = v;
      t[2 * s + 1] = (size << SEEN_BITS) | id;
      this.filled[size++] = s;
      reps[uniq] = i;
      uniq++;
      fresh++;
    }
    this.size = size;
    out[0] = uniq;
    out[1] = fresh;
    return true;
  }

  /** Doubles the table, reinserting the keys in insertion order (so `filled` keeps its order). */
  private grow(): void {
    const old = this.t;
    const oldFilled = this.filled;
    const slots = 2 * (this.mask + 1);
    const t = new Int32Array(2 * slots);
    const filled = new Int32Array(slots >>> 1);
    const mask = slots - 1;
    for (let k = 0; k < this.size; k++) {
      const p = 2 * oldFilled[k]!;
      const v = old[p]!;
      let s = v & mask;
      while (t[2 * s] !== 0) s = (s + 1) & mask;
      t[2 * s] = v;
      t[2 * s + 1] = old[p + 1]!;
      filled[k] = s;
    }
    this.t = t;
    this.filled = filled;
    this.mask = mask;
  }

  /** Commits this batch's keys (entries from batchStart) to the interval: O(1). */
  commitBatch(): void {
    this.batchStart = this.size;
  }

  /**
   * Removes this batch's tentative keys (a batch measured but never committed). Removing the most recently
   * inserted keys, newest first, keeps linear probing valid: no older key's probe run crosses their slots.
   */
  rollback(): void {
    const t = this.t;
    for (let k = this.size - 1; k >= this.batchStart; k--) {
      const p = 2 * this.filled[k]!;
      t[p] = 0;
      t[p + 1] = 0;
    }
    this.size = this.batchStart;
  }

  /** Writes the hashes of all keys in the table into `out` (from 0); returns their number. */
  keys(out: Int32Array): number {
    for (let k = 0; k < this.size; k++) out[k] = this.t[2 * this.filled[k]!]!;
    return this.size;
  }

  /** Empties the table (O(size)); keeps its capacity. */
  clear(): void {
    const t = this.t;
    for (let k = 0; k < this.size; k++) {
      const p = 2 * this.filled[k]!;
      t[p] = 0;
      t[p + 1] = 0;
    }
    this.size = 0;
    this.batchStart = 0;
  }
}
