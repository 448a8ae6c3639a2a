/**
 * Multi-resolution bitmap (Estan, Varghese, Fisk, "Bitmap algorithms for counting active flows on high speed
 * links", IMC 2003 / IEEE/ACM ToN 14(5) 2006).
 *
 * c components of b bits each. A 32-bit hash h picks component i = min(clz32(h), c - 1), so component i
 * (i < c - 1) receives a 2^-(i+1) share of the hash space and the last two components the same 2^-(c-1)
 * share; the low log2(b) bits of h pick the bit. One bit update per key. The estimate (paper's MRB estimate)
 * finds the "base", the first component that is not too full (fill <= setmax), and scales the sum of the
 * linear-counting estimates b ln(b / z_i) (Whang et al. 1990) of components base..c-1, which together cover
 * 2^-base of the hash space, by 2^base:
 *
 *     n^ = 2^base * sum_{i >= base} b ln(b / z_i)                                   (z_i = zero bits of i)
 *
 * When even the last component is more than setmax full the sketch is out of its designed range: the
 * estimate is then a lower bound (z clamped to >= 1, never 0) and {@link mrbSaturated} is true.
 *
 * The state is just the bits and the per-component zero counts, so several sketches can live in one flat
 * Int32Array (as the feature extractor does); {@link MultiResolutionBitmap} is the standalone form.
 */

export interface MrbGeometry {
  /** Number of components c (2..16). */
  readonly components: number;
  /** log2 of the bits per component b (6..16). */
  readonly log2Bits: number;
  /** A component with more than this fraction of its bits set is "too full" (the paper's setmax / b). */
  readonly setmaxFill: number;
}

/**
 * A small general-purpose geometry: 12 components of 2^15 bits = 48 KiB. Unique counts stay within 2 % from
 * 1 to 2M keys (test/features/sketch.test.ts), but differences of two estimates ("new") reach 3-4.5 % p99,
 * which is why the feature extractor uses the larger FEATURE_MRB (sketch-engine.ts).
 */
export const DEFAULT_MRB: MrbGeometry = { components: 12, log2Bits: 15, setmaxFill: 0.7 };

export function checkGeometry(g: MrbGeometry): void {
  if (!(g.components >= 2 && g.components <= 16 && Number.isInteger(g.components))) throw new RangeError(`MRB components must be an integer in 2..16, got ${g.components}`);
  if (!(g.log2Bits >= 6 && g.log2Bits <= 20 && Number.isInteger(g.log2Bits))) throw new RangeError(`MRB log2Bits must be an integer in 6..20, got ${g.log2Bits}`);
  if (!(g.setmaxFill > 0 && g.setmaxFill < 1)) throw new RangeError(`MRB setmaxFill must be in (0, 1), got ${g.setmaxFill}`);
}

/** Words (32-bit) of one sketch. */
export function mrbWords(g: MrbGeometry): number {
  return (g.components << g.log2Bits) >>> 5;
}

/** Zero bits a component needs to be not too full (fill <= setmax). */
function minZeros(g: MrbGeometry): number {
  const b = 1 << g.log2Bits;
  return b - Math.floor(g.setmaxFill * b);
}

/** The base: first component whose fill is <= setmax (the last component if none). */
export function mrbBase(zeros: Int32Array, off: number, g: MrbGeometry): number {
  const min = minZeros(g);
  const last = g.components - 1;
  for (let i = 0; i < last; i++) if (zeros[off + i]! >= min) return i;
  return last;
}

/** 2^base * sum_{i >= base} b ln(b / z_i), z clamped to >= 1 so a full component gives a finite lower bound. */
export function mrbSum(zeros: Int32Array, off: number, base: number, g: MrbGeometry): number {
  const b = 1 << g.log2Bits;
  let s = 0;
  for (let i = base; i < g.components; i++) {
    const z = zeros[off + i]!;
    if (z < b) s += b * Math.log(b / (z > 0 ? z : 1));
  }
  return s * 2 ** base;
}

/** The MRB estimate of the sketch whose zero counts are `zeros[off..off+c-1]`. */
export function mrbEstimate(zeros: Int32Array, off: number, g: MrbGeometry): number {
  return mrbSum(zeros, off, mrbBase(zeros, off, g), g);
}

/** True when the last component is more than setmax full: the estimate is then only a lower bound. */
export function mrbSaturated(zeros: Int32Array, off: number, g: MrbGeometry): boolean {
  return zeros[off + g.components - 1]! < minZeros(g);
}

/** A standalone multi-resolution bitmap. */
export class MultiResolutionBitmap {
  readonly geometry: MrbGeometry;
  readonly bits: Int32Array;
  readonly zeros: Int32Array;
  private readonly mask: number;
  private readonly last: number;

  constructor(geometry: MrbGeometry = DEFAULT_MRB) {
    checkGeometry(geometry);
    this.geometry = geometry;
    this.bits = new Int32Array(mrbWords(geometry));
    this.zeros = new Int32Array(geometry.components).fill(1 << geometry.log2Bits);
    this.mask = (1 << geometry.log2Bits) - 1;
    this.last = geometry.components - 1;
  }

  /** Adds a key by its 32-bit hash; returns true if it set a new bit. */
  add(h: number): boolean {
    let c = Math.clz32(h);
    if (c > this.last) c = this.last;
    const pos = (c << this.geometry.log2Bits) | (h & this.mask);
    const w = pos >>> 5;
    const m = 1 << (pos & 31);
    const old = this.bits[w]!;
    if ((old & m) !== 0) return false;
    this.bits[w] = old | m;
    this.zeros[c]!--;
    return true;
  }

  estimate(): number {
    return mrbEstimate(this.zeros, 0, this.geometry);
  }

  get saturated(): boolean {
    return mrbSaturated(this.zeros, 0, this.geometry);
  }

  /** ORs `other` (same geometry) into this sketch: the sketch of the union. */
  merge(other: MultiResolutionBitmap): void {
    if (other.bits.length !== this.bits.length || other.geometry.log2Bits !== this.geometry.log2Bits) {
      throw new RangeError('MRB merge needs the same geometry');
    }
    const b = 1 << this.geometry.log2Bits;
    const wordsPer = b >>> 5;
    for (let c = 0; c < this.geometry.components; c++) {
      let set = 0;
      for (let w = c * wordsPer; w < (c + 1) * wordsPer; w++) {
        const v = (this.bits[w]! | other.bits[w]!) | 0;
        this.bits[w] = v;
        set += popcount(v);
      }
      this.zeros[c] = b - set;
    }
  }

  clear(): void {
    this.bits.fill(0);
    this.zeros.fill(1 << this.geometry.log2Bits);
  }

  /** Memory of the bitmap in bytes. */
  get byteSize(): number {
    return this.bits.byteLength;
  }
}

export function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}
