/**
 * Exact distinct counting of fixed-width numeric keys (IP addresses, 5-tuples, the feature aggregates' keys):
 * an open-addressing (linear probing) hash set over a flat Uint32Array, keys stored in their slots. No strings
 * or objects per key. Load factor <= 1/2; grows by doubling. The filled slots are also listed in insertion
 * order, so {@link clear} costs O(size), not O(capacity) (a big set can be reused for small batches), and
 * {@link addAll} walks only the keys. Used by `traceInfo` (scratch-key form) and by the feature layer's exact
 * counter (`add(words, offset)` form).
 */
export class KeySet {
  private keys: Uint32Array;
  private used: Uint8Array;
  /** Filled slots in insertion order. */
  private filled: Int32Array;
  private mask: number;
  /** Distinct keys in the set. */
  size = 0;
  /** Scratch key: fill words [0, width) and call {@link addScratch}. */
  readonly key: Uint32Array;

  constructor(readonly width: number, initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Uint32Array(cap * width);
    this.used = new Uint8Array(cap);
    this.filled = new Int32Array(cap >>> 1);
    this.mask = cap - 1;
    this.key = new Uint32Array(width);
  }

  /**
   * Adds the scratch key; returns true if it was new. The same probe as {@link add}, written out for the
   * per-packet loop of traceInfo: through add(key, 0) it measured ~1.3x slower.
   */
  addScratch(): boolean {
    const k = this.key;
    const w = this.width;
    let h = 0x9747b28c;
    for (let j = 0; j < w; j++) {
      h = Math.imul(h ^ k[j]!, 0x5bd1e995);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    const keys = this.keys;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      if (!this.used[s]) {
        this.used[s] = 1;
        keys.set(k, s * w);
        this.filled[this.size++] = s;
        if (this.size * 2 > this.mask) this.rehash();
        return true;
      }
      let eq = true;
      const o = s * w;
      for (let j = 0; j < w; j++) {
        if (keys[o + j] !== k[j]) {
          eq = false;
          break;
        }
      }
      if (eq) return false;
    }
  }

  /** Slot of the key at `k[o..o+width-1]`, or -1 - (the empty slot where it would go). */
  private find(k: Uint32Array, o: number): number {
    const w = this.width;
    let h = 0x9747b28c;
    for (let j = 0; j < w; j++) {
      h = Math.imul(h ^ k[o + j]!, 0x5bd1e995);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    const keys = this.keys;
    const used = this.used;
    const mask = this.mask;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      if (used[s] === 0) return -1 - s;
      const b = s * w;
      let j = 0;
      while (j < w && keys[b + j] === k[o + j]) j++;
      if (j === w) return s;
    }
  }

  /** Whether the key at `k[o..o+width-1]` is in the set. */
  has(k: Uint32Array, o = 0): boolean {
    return this.find(k, o) >= 0;
  }

  /** Adds the key at `k[o..o+width-1]`; returns true if it was not present. */
  add(k: Uint32Array, o = 0): boolean {
    const f = this.find(k, o);
    if (f >= 0) return false;
    const s = -1 - f;
    const w = this.width;
    this.used[s] = 1;
    const b = s * w;
    for (let j = 0; j < w; j++) this.keys[b + j] = k[o + j]!;
    this.filled[this.size++] = s;
    if (this.size * 2 > this.mask) this.rehash();
    return true;
  }

  /** Adds every key of `other` (same width) to this set. */
  addAll(other: KeySet): void {
    if (other.width !== this.width) throw new RangeError(`key widths differ: ${other.width} and ${this.width}`);
    const w = this.width;
    for (let i = 0; i < other.size; i++) this.add(other.keys, other.filled[i]! * w);
  }

  /** Empties the set in O(size); keeps its capacity. */
  clear(): void {
    for (let i = 0; i < this.size; i++) this.used[this.filled[i]!] = 0;
    this.size = 0;
  }

  /**
   * Doubles the table. Keys are re-inserted in slot order, not insertion order: old slot s lands near s or
   * s + old capacity, so the writes sweep the new table in order (in insertion order they are random, and
   * rehashing took twice as long on a 660k-packet trace).
   */
  private rehash(): void {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const w = this.width;
    const cap = oldUsed.length * 2;
    this.keys = new Uint32Array(cap * w);
    this.used = new Uint8Array(cap);
    this.filled = new Int32Array(cap >>> 1);
    this.mask = cap - 1;
    this.size = 0;
    for (let s = 0; s < oldUsed.length; s++) if (oldUsed[s] === 1) this.add(oldKeys, s * w);
  }
}
