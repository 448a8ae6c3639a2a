/**
 * Sampled selections counted from the whole batch's sort order (the shedder's pattern: measure() of the whole
 * batch, then measure(sel) for up to 4 packet or flow samples). The dense fill of a 4,097-32,767-key batch
 * sorts its keys' interval-sketch (I) positions by 512-byte block (dense-sketches.ts, fillSorted); with
 * `keepOrder[a]` (set when the previous batch's selections of a could use it) it keeps that order, one entry
 * per packet with its packet index, and flags each entry whose I position was clear before the batch. A
 * selection then compacts the entries of its packets (one branch-free pass, same block order) and counts them:
 *
 * - B (the batch sketch) gets the selected entries' bits, the same bits as counting the selection itself, so
 *   the same unique estimate;
 * - "new" is the union gain of I, the number of distinct flagged positions the selection hits - the same
 *   count as setting its bits in I - deduplicated per block by a block-sized stamp array (16 KiB, in L1).
 *
 * So a selection costs no hashing, bucketing or sorting, and never touches I: the ordinary path sets the
 * whole batch's I bits aside, sets and undoes the selection's, and the commit re-applies the batch's.
 */
import type { MrbGeometry } from './mrb.ts';

/** Sort entries: I position in the low POS_BITS bits (16 components x 2^20 bits at most), then min(clz, 15). */
const POS_BITS = 26;
const POS_MASK = (1 << POS_BITS) - 1;
/** Bit of a kept entry (above clz's 4 bits) set when its I position was clear before the batch. */
const NEW_FLAG_BIT = 30;
export const ENTRY_POS_BITS = POS_BITS;
export const ENTRY_NEW_FLAG_BIT = NEW_FLAG_BIT;

/** Clears the batch sketch B after a sorted fill of m entries (only the touched words when they are few). */
export function clearSortedB(bBits: Int32Array, bg: MrbGeometry, sorted: Int32Array, m: number): void {
  if (m < bBits.length >>> 2) {
    const blb = bg.log2Bits;
    const bMask = (1 << blb) - 1;
    const bLast = bg.components - 1;
    for (let k = 0; k < m; k++) {
      const v = sorted[k]!;
      const cz = (v >>> POS_BITS) & 15;
      bBits[(((cz > bLast ? bLast : cz) << blb) | (v & bMask)) >>> 5] = 0;
    }
  } else {
    bBits.fill(0);
  }
}

export class KeptOrders {
  /** Per aggregate: the kept entries (block order), their packet indices, their number, and whether valid. */
  private readonly ent: Int32Array[] = [];
  private readonly pkt: Int32Array[] = [];
  private readonly n: Int32Array;
  readonly valid: Uint8Array;
  /** Zero counts of "interval OR the last counted selection" per aggregate (uZeros keeps the whole batch's). */
  readonly fZeros: Int32Array;
  /** The arrays a swapIn released (the fill's next scratch). */
  spareEnt: Int32Array = new Int32Array(0);
  sparePkt: Int32Array = new Int32Array(0);
  private readonly stamp: Int32Array;
  private stampBase = 0;
  /** The selected entries of the current count. */
  private sel = new Int32Array(1024);

  constructor(aggregates: number, private readonly ig: MrbGeometry, private readonly shift: number, private readonly blocks: number) {
    this.n = new Int32Array(aggregates);
    this.valid = new Uint8Array(aggregates);
    this.fZeros = new Int32Array(aggregates * ig.components);
    this.stamp = new Int32Array(1 << shift);
    for (let a = 0; a < aggregates; a++) {
      this.ent.push(new Int32Array(0));
      this.pkt.push(new Int32Array(0));
    }
  }

  /** Keeps aggregate a's m sorted, flagged entries and their packet indices (no copy); see spareEnt/sparePkt. */
  swapIn(a: number, ent: Int32Array, pkt: Int32Array, m: number): void {
    this.spareEnt = this.ent[a]!;
    this.sparePkt = this.pkt[a]!;
    this.ent[a] = ent;
    this.pkt[a] = pkt;
    this.n[a] = m;
    this.valid[a] = 1;
  }

  /**
   * Counts the selection (`selected[i]` = 1 for its packets) of aggregate a: B's bits and zero counts
   * (`bZeros`, from a * components), and the union zero counts in fZeros (from the interval's `iZeros`).
   * The selected entries are compacted first (counting them masked in place was ~20 % slower at 50 %
   * sampling); B is cleared after.
   */
  count(a: number, selected: Uint8Array, iZeros: Int32Array, bBits: Int32Array, bZeros: Int32Array, bg: MrbGeometry): void {
    const ent = this.ent[a]!;
    const pk = this.pkt[a]!;
    const m = this.n[a]!;
    const ilb = this.ig.log2Bits;
    const izo = a * this.ig.components;
    const blb = bg.log2Bits;
    const bMask = (1 << blb) - 1;
    const bLast = bg.components - 1;
    const bzo = a * bg.components;
    bZeros.fill(1 << blb, bzo, bzo + bg.components);
    const fZeros = this.fZeros;
    fZeros.set(iZeros.subarray(izo, izo + this.ig.components), izo);
    const stamp = this.stamp;
    const shift = this.shift;
    const inBlock = (1 << shift) - 1;
    // Tag = this call's base + block id: unique per (call, block), so the stamps are never cleared.
    if (this.stampBase > 0x7fffffff - 2 * this.blocks) {
      stamp.fill(0);
      this.stampBase = 0;
    }
    const tagBase = (this.stampBase += this.blocks);
    // The selected entries, compacted (branch-free: whether a packet is sampled is random).
    if (this.sel.length < m) this.sel = new Int32Array(Math.max(m, 2 * this.sel.length));
    const out = this.sel;
    let w = 0;
    for (let e = 0; e < m; e++) {
      out[w] = ent[e]!;
      w += selected[pk[e]!]!;
    }
    let curB = 0;
    let newB = 0;
    let curC = 0;
    let newI = 0;
    for (let k = 0; k < w; k++) {
      const v = out[k]!;
      const pi = v & POS_MASK;
      const ci = pi >>> ilb;
      if (ci !== curC) {
        fZeros[izo + curC]! -= newI;
        curC = ci;
        newI = 0;
      }
      // The position counts once per selection (stamped with this call's and block's tag), if flagged.
      const r = pi & inBlock;
      const tag = tagBase + (pi >>> shift);
      const d = stamp[r]! ^ tag;
      newI += (v >>> NEW_FLAG_BIT) & ((d | -d) >>> 31);
      stamp[r] = tag;
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
    fZeros[izo + curC]! -= newI;
    clearSortedB(bBits, bg, out, w);
  }
}
