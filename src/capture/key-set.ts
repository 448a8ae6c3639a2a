/**
 * Exact distinct counting of fixed-width numeric keys (IP addresses, 5-tuples): an open-addressing hash set
 * over a flat Uint32Array. No strings or objects per key.
 */
export class KeySet {
  private keys: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;
  /** Scratch key: fill words [0, width) and call {@link addScratch}. */
  readonly key: Uint32Array;

  constructor(readonly width: number, initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Uint32Array(cap * width);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.key = new Uint32Array(width);
  }

  /** Adds the scratch key; returns true if it was new. */
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
        this.size++;
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

  private rehash(): void {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const w = this.width;
    const cap = oldUsed.length * 2;
    this.keys = new Uint32Array(cap * w);
    this.used = new Uint8Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let s = 0; s < oldUsed.length; s++) {
      if (!oldUsed[s]) continue;
      this.key.set(oldKeys.subarray(s * w, s * w + w));
      this.addScratch();
    }
  }
}
