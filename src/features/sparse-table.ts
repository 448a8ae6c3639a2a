/**
 * SparseKeyTable: the exact ("sparse", as in HLL++) regime of one aggregate while its interval is small. An
 * open-addressing table of 32-bit key hashes; each slot is tagged with the last count that saw it and whether
 * it was committed to the interval, so a count over a selection gives the unique keys (tag) and the new ones
 * (not committed) in one probe per packet. Exact up to 32-bit hash collisions (~n^2 / 2^33 colliding pairs).
 *
 * The table grows by doubling (from {@link MIN_SLOTS}, at load 1/4 below 2^16 slots, then 1/2) up to the
 * slots needed for `limit` keys at load 1/2, so a small interval keeps a small, cache-resident table instead
 * of touching lines spread over the full size.
 */

const MIN_SLOTS = 1 << 10;
/** Up to this many slots the table doubles at load 1/4 (fewer probes, fewer mispredicted branches), then at 1/2. */
const SPARSE_SLOTS = 1 << 16;

/** Keys at which a table of `slots` slots doubles. */
function growAt(slots: number): number {
  return slots < SPARSE_SLOTS ? slots >>> 2 : slots >>> 1;
}

export class SparseKeyTable {
  /** Slot k at [2k] = hash (0 = empty; a hash of 0 is stored as 1), [2k + 1] = tag = (count id << 1) | committed. */
  private t: Int32Array;
  /** Slots in insertion order (for O(size) clearing, commit, and rehashing in the same order). */
  private filled: Int32Array;
  private mask: number;
  /** Keys in the table (committed and tentative). */
  size = 0;
  /** Table size when the current batch began (entries after it are this batch's tentative keys). */
  batchStart = 0;
  private readonly maxSlots: number;

  /** @param limit the most keys the table holds; a count that would exceed it fails. */
  constructor(readonly limit: number) {
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

  /**
   * Counts the keys `hashes[off + (idx ? idx[k] : k)]`, k < n, under count id `id`: out[0] = unique, out[1] =
   * not committed. Returns false (leaving tentative keys behind, harmless) if the table would exceed the limit.
   */
  count(hashes: Int32Array, off: number, idx: Uint32Array | null, n: number, id: number, out: Int32Array): boolean {
    const tagNow = id << 1;
    const limit = this.limit;
    let t = this.t;
    let mask = this.mask;
    let grow = growAt(mask + 1);
    let size = this.size;
    let uniq = 0;
    let fresh = 0;
    // Different from the first key, so the first packet is never skipped as a repeat.
    let prev = n > 0 ? ~hashes[off + (idx === null ? 0 : idx[0]!)]! : 0;
    for (let k = 0; k < n; k++) {
      const h = hashes[off + (idx === null ? k : idx[k]!)]!;
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
        const d = (tag >>> 1) ^ id;
        const first = (d | -d) >>> 31; // 1 if not yet seen by this count
        t[q] = tagNow | (tag & 1);
        uniq += first;
        fresh += first & ~tag & 1;
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
      t[2 * s + 1] = tagNow;
      this.filled[size++] = s;
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

  /** Marks this batch's keys (entries from batchStart) committed to the interval. */
  commitBatch(): void {
    const t = this.t;
    for (let k = this.batchStart; k < this.size; k++) t[2 * this.filled[k]! + 1] |= 1;
    this.batchStart = this.size;
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
