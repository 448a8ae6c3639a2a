/**
 * Exact distinct counting for tests and `--exact`: an open-addressing (linear probing) hash set of
 * fixed-width u32 keys stored in typed arrays. No strings, no per-key objects. Load factor <= 1/2; grows by
 * doubling. {@link clear} costs O(size), not O(capacity), so a big set can be reused for small batches.
 */
import { mix32 } from '../hash-mix.ts';

export class ExactKeySet {
  readonly width: number;
  private keys: Uint32Array;
  /** slot -> key index + 1 (0 = empty). */
  private slots: Int32Array;
  /** key index -> slot, for O(size) clearing. */
  private slotOf: Int32Array;
  private mask: number;
  private n = 0;

  constructor(width: number, initialCapacity = 1024) {
    this.width = width;
    let cap = 16;
    while (cap < 2 * initialCapacity) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.keys = new Uint32Array((cap >>> 1) * width);
    this.slotOf = new Int32Array(cap >>> 1);
  }

  get size(): number {
    return this.n;
  }

  private hash(k: Uint32Array, o: number): number {
    let h = 0x9747b28c | 0;
    for (let j = 0; j < this.width; j++) h = (mix32(h ^ k[o + j]!) + j) | 0;
    return mix32(h) | 0;
  }

  private find(k: Uint32Array, o: number, h: number): number {
    const w = this.width;
    let s = h & this.mask;
    for (;;) {
      const e = this.slots[s]!;
      if (e === 0) return -1 - s;
      const base = (e - 1) * w;
      let eq = true;
      for (let j = 0; j < w; j++) {
        if (this.keys[base + j] !== k[o + j]) {
          eq = false;
          break;
        }
      }
      if (eq) return s;
      s = (s + 1) & this.mask;
    }
  }

  has(k: Uint32Array, o = 0): boolean {
    return this.find(k, o, this.hash(k, o)) >= 0;
  }

  /** Inserts the key at `k[o..o+width-1]`; returns true if it was not present. */
  add(k: Uint32Array, o = 0): boolean {
    const f = this.find(k, o, this.hash(k, o));
    if (f >= 0) return false;
    if (2 * (this.n + 1) > this.slots.length) {
      this.grow();
      return this.add(k, o);
    }
    const s = -1 - f;
    const w = this.width;
    const dst = this.n * w;
    for (let j = 0; j < w; j++) this.keys[dst + j] = k[o + j]!;
    this.slotOf[this.n] = s;
    this.slots[s] = ++this.n;
    return true;
  }

  /** Adds every key of `other` (same width) to this set. */
  addAll(other: ExactKeySet): void {
    const w = this.width;
    for (let i = 0; i < other.n; i++) this.add(other.keys, i * w);
  }

  clear(): void {
    for (let i = 0; i < this.n; i++) this.slots[this.slotOf[i]!] = 0;
    this.n = 0;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const n = this.n;
    const cap = this.slots.length * 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.keys = new Uint32Array((cap >>> 1) * this.width);
    this.slotOf = new Int32Array(cap >>> 1);
    this.n = 0;
    for (let i = 0; i < n; i++) this.add(oldKeys, i * this.width);
  }
}
