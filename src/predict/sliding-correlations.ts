/**
 * The MLR predictor's observation window with its FCBF statistics kept up to date incrementally: per feature
 * column, running sums of (x - shift), (x - shift)^2 and (x - shift)(y - yShift) over the last `capacity`
 * observations, so that each feature's Pearson correlation with the cost (FCBF relevance, ./fcbf.ts) costs O(1)
 * per batch instead of a pass over the whole window. A push adds the new row and subtracts the row it overwrites:
 * O(width) per observation, against O(width x capacity) for recomputing every column (CorrelationWorkspace, kept
 * as the reference; the selections are the same, see test/predict/sliding-correlations.test.ts).
 *
 * Numerics. The shifts are the window means at the last rebuild, so the sums stay small and
 * `ss = s2 - s1^2 / n` does not cancel catastrophically; the sums are rebuilt exactly from the ring once per
 * `capacity` pushes, so add/subtract rounding never accumulates beyond one window. Constancy is decided exactly,
 * not from a rounded variance: a column is constant when each of its last n - 1 values equals its predecessor
 * (a run counter per column), and a column holding a non-finite value anywhere in the window is treated as
 * constant (relevance 0), as in the direct computation.
 *
 * Feature-feature correlations (FCBF's redundancy test) pair a kept feature with each lower-ranked candidate.
 * The kept features change little from batch to batch, so for up to PAIR_SLOTS recently used kept features the
 * cross sums with every column are maintained incrementally as well (O(slots x width) per push; a slot is
 * filled in O(width x n) when a feature is first used, and freed when unused for a window's length); every
 * correlation is then O(1). Their rounding (about 1e-10 in r, bounded by the same re-centring) is why FCBF's
 * redundancy test has a 1e-9 slack (./fcbf.ts).
 *
 * The rows live in the ring of the {@link CostHistory} it extends (never rotated: every statistic here is
 * permutation-invariant).
 */
import { clampUnit, CONSTANT_REL_VAR, type FeatureCorrelations } from './fcbf.ts';
import { CostHistory } from './history.ts';

/**
 * Recompute a column's sums exactly when the largest value they held since the last exact computation exceeds
 * its centred sum of squares by this factor (about 4 of the 16 digits lost to cancellation).
 */
const RECENTER = 1e4;
/** Kept features whose cross sums are maintained incrementally. */
const PAIR_SLOTS = 6;

export class SlidingCorrelations extends CostHistory implements FeatureCorrelations {
  /** Pearson r of each feature with the cost as of the last {@link refresh} (0 when undefined). */
  readonly relevance: Float64Array;
  /** Column centred sums of squares as of the last {@link refresh} (0 = constant/non-finite). */
  readonly ssq: Float64Array;
  private readonly shift: Float64Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;
  private readonly sxy: Float64Array;
  /** Largest s2 since the column's sums were last computed exactly (bounds their rounding error). */
  private readonly hi: Float64Array;
  /** Non-finite values of each column in the window. */
  private readonly bad: Int32Array;
  /** Per column: how many of the most recent pushes repeated their predecessor's value exactly. */
  private readonly same: Int32Array;
  private yShift = 0;
  private y1 = 0;
  private y2 = 0;
  private yHi = 0;
  private ySame = 0;
  private sinceRebuild = 0;
  /** Feature -> pair slot (-1 none); slot -> feature (-1 free); slot -> version at last use. */
  private readonly slotOf: Int32Array;
  private readonly slotFeature: Int32Array;
  private readonly slotUsed: Float64Array;
  /** Slot s, column j: sum over rows where both are finite of (x_i - shift_i)(x_j - shift_j), i its feature. */
  private readonly pair: Float64Array;

  constructor(capacity: number, width: number) {
    super(capacity, width);
    this.relevance = new Float64Array(width);
    this.ssq = new Float64Array(width);
    this.shift = new Float64Array(width);
    this.s1 = new Float64Array(width);
    this.s2 = new Float64Array(width);
    this.sxy = new Float64Array(width);
    this.hi = new Float64Array(width);
    this.bad = new Int32Array(width);
    this.same = new Int32Array(width);
    this.slotOf = new Int32Array(width).fill(-1);
    this.slotFeature = new Int32Array(PAIR_SLOTS).fill(-1);
    this.slotUsed = new Float64Array(PAIR_SLOTS);
    this.pair = new Float64Array(PAIR_SLOTS * width);
  }

  /**
   * Appends an observation, overwriting the oldest when full, and updates the sums (the row leaving first, while
   * it is still in the ring). `features` may be longer than `width`; the cost must be finite.
   */
  override push(features: Float64Array, costNs: number): void {
    const w = this.width;
    if (features.length < w) throw new RangeError(`features has ${features.length} values, the window expects ${w}`);
    if (!Number.isFinite(costNs)) throw new RangeError(`observed cost must be finite, got ${costNs}`);
    const r = this.next;
    const x = this.x;
    const last = r === 0 ? this.capacity - 1 : r - 1;
    const prev = last * w;
    const had = this.count;
    if (had === this.capacity) this.accumulate(x, r * w, this.y[r]!, -1);
    for (let j = 0; j < w; j++) this.same[j] = had > 0 && features[j]! === x[prev + j]! ? this.same[j]! + 1 : 0;
    this.ySame = had > 0 && costNs === this.y[last]! ? this.ySame + 1 : 0;
    this.accumulate(features, 0, costNs, 1);
    super.push(features, costNs); // writes the row, advances the ring, bumps the version
    if (++this.sinceRebuild >= this.capacity) this.rebuild();
  }

  /**
   * Adds (sign 1) or subtracts (-1) the row at v[base ..] with cost `cost` to or from every sum (negating is exact,
   * so a subtraction undoes its addition bit for bit when the shifts did not change in between).
   */
  private accumulate(v: Float64Array, base: number, cost: number, sign: number): void {
    const w = this.width;
    const dy = cost - this.yShift;
    for (let j = 0; j < w; j++) {
      const x = v[base + j]!;
      if (x - x !== 0) {
        this.bad[j]! += sign; // NaN or +-Infinity
        continue;
      }
      const d = x - this.shift[j]!;
      const sd = sign * d;
      this.s1[j]! += sd;
      const s2 = (this.s2[j]! += sd * d);
      if (s2 > this.hi[j]!) this.hi[j] = s2; // never true when subtracting: hi >= s2
      this.sxy[j]! += sd * dy;
    }
    const sdy = sign * dy;
    this.y1 += sdy;
    this.y2 += sdy * dy;
    if (this.y2 > this.yHi) this.yHi = this.y2;
    this.updatePairs(v, base, sign);
  }

  /** Adds (sign 1) or subtracts (-1) the row at v[base ..] to or from every slot's cross sums; frees idle slots. */
  private updatePairs(v: Float64Array, base: number, sign: number): void {
    const w = this.width;
    for (let s = 0; s < PAIR_SLOTS; s++) {
      const i = this.slotFeature[s]!;
      if (i < 0) continue;
      if (this.version - this.slotUsed[s]! > this.capacity) {
        this.freeSlot(s);
        continue;
      }
      const vi = v[base + i]!;
      if (vi - vi !== 0) continue;
      const di = sign * (vi - this.shift[i]!);
      const o = s * w;
      for (let j = 0; j < w; j++) {
        const vj = v[base + j]!;
        if (vj - vj === 0) this.pair[o + j]! += di * (vj - this.shift[j]!);
      }
    }
  }

  private freeSlot(s: number): void {
    this.slotOf[this.slotFeature[s]!] = -1;
    this.slotFeature[s] = -1;
  }

  /** Exact cross sum of columns i and j over the ring with the current shifts (rows where both are finite). */
  private crossSum(i: number, j: number): number {
    const n = this.count;
    const w = this.width;
    const x = this.x;
    const si = this.shift[i]!;
    const sj = this.shift[j]!;
    let sum = 0;
    for (let r = 0, o = 0; r < n; r++, o += w) {
      const a = x[o + i]!;
      const b = x[o + j]!;
      if (a - a === 0 && b - b === 0) sum += (a - si) * (b - sj);
    }
    return sum;
  }

  /** Fills slot s for feature i from the ring. */
  private fillSlot(s: number, i: number): void {
    const o = s * this.width;
    for (let j = 0; j < this.width; j++) this.pair[o + j] = this.crossSum(i, j);
  }

  /** The slot of feature i, taking the least recently used one (and filling it) if i has none. */
  private slotFor(i: number): number {
    let s = this.slotOf[i]!;
    if (s < 0) {
      s = 0;
      for (let t = 0; t < PAIR_SLOTS; t++) {
        if (this.slotFeature[t]! < 0) {
          s = t;
          break;
        }
        if (this.slotUsed[t]! < this.slotUsed[s]!) s = t;
      }
      if (this.slotFeature[s]! >= 0) this.freeSlot(s);
      this.slotFeature[s] = i;
      this.slotOf[i] = s;
      this.fillSlot(s, i);
    }
    this.slotUsed[s] = this.version;
    return s;
  }

  /** Recomputes the sums exactly from the ring, re-centred on the current means. */
  private rebuild(): void {
    this.sinceRebuild = 0;
    const n = this.count;
    const y = this.y;
    let ym = 0;
    for (let r = 0; r < n; r++) ym += y[r]!;
    ym /= n;
    let a = 0;
    let b = 0;
    for (let r = 0; r < n; r++) {
      const d = y[r]! - ym;
      a += d;
      b += d * d;
    }
    this.yShift = ym;
    this.y1 = a;
    this.y2 = b;
    this.yHi = b;
    for (let j = 0; j < this.width; j++) this.recenterSums(j);
    for (let s = 0; s < PAIR_SLOTS; s++) if (this.slotFeature[s]! >= 0) this.fillSlot(s, this.slotFeature[s]!);
  }

  /** Re-centres column j's sums, and brings the cross sums involving it up to date. */
  private recenter(j: number): void {
    this.recenterSums(j);
    const w = this.width;
    for (let s = 0; s < PAIR_SLOTS; s++) {
      const i = this.slotFeature[s]!;
      if (i === j) this.fillSlot(s, i);
      else if (i >= 0) this.pair[s * w + j] = this.crossSum(i, j);
    }
  }

  /** Recomputes column j's sums exactly from the ring, shifted by its current mean (non-finite values skipped). */
  private recenterSums(j: number): void {
    const n = this.count;
    const w = this.width;
    const x = this.x;
    const y = this.y;
    const ym = this.yShift;
    let sum = 0;
    let good = 0;
    for (let r = 0; r < n; r++) {
      const v = x[r * w + j]!;
      if (v - v === 0) {
        sum += v;
        good++;
      }
    }
    const m = good > 0 ? sum / good : 0;
    let s1 = 0;
    let s2 = 0;
    let sxy = 0;
    for (let r = 0; r < n; r++) {
      const v = x[r * w + j]!;
      if (v - v !== 0) continue;
      const d = v - m;
      s1 += d;
      s2 += d * d;
      sxy += d * (y[r]! - ym);
    }
    this.shift[j] = m;
    this.s1[j] = s1;
    this.s2[j] = s2;
    this.hi[j] = s2;
    this.sxy[j] = sxy;
  }

  /** Brings means, sums of squares and relevance up to date: O(width). */
  refresh(): void {
    const n = this.count;
    const w = this.width;
    if (n === 0) {
      this.relevance.fill(0);
      this.ssq.fill(0);
      return;
    }
    // Sums that were once much larger than the centred sum of squares they now give (a regime change, e.g. an
    // attack leaving the window) have lost digits to cancellation: recompute those exactly.
    const yRun = this.ySame >= n - 1;
    if (!yRun && this.yHi > RECENTER * (this.y2 - (this.y1 * this.y1) / n)) this.rebuild();
    const y1 = this.y1;
    const ym = this.yShift + y1 / n;
    const yss = this.y2 - (y1 * y1) / n;
    const yConst = yRun || !(yss > n * CONSTANT_REL_VAR * Math.max(1, ym * ym));
    const rel = this.relevance;
    for (let j = 0; j < w; j++) {
      const skip = this.bad[j]! > 0 || this.same[j]! >= n - 1;
      if (!skip && this.hi[j]! > RECENTER * (this.s2[j]! - (this.s1[j]! * this.s1[j]!) / n)) this.recenter(j);
      const d1 = this.s1[j]!;
      const m = this.shift[j]! + d1 / n;
      const ss = this.s2[j]! - (d1 * d1) / n;
      const constant = skip || !(ss > n * CONSTANT_REL_VAR * Math.max(1, m * m));
      this.ssq[j] = constant ? 0 : ss;
      const r = constant || yConst ? 0 : (this.sxy[j]! - (d1 * y1) / n) / Math.sqrt(ss * yss);
      rel[j] = Number.isFinite(r) ? clampUnit(r) : 0;
    }
  }

  /**
   * Pearson r between features i and j (0 if either is constant) from the sums as of the last {@link refresh}:
   * O(1) once i (the kept feature, in FCBF's use) has a pair slot.
   */
  correlation(i: number, j: number): number {
    const si = this.ssq[i]!;
    const sj = this.ssq[j]!;
    if (si === 0 || sj === 0) return 0;
    let a = i;
    let b = j;
    if (this.slotOf[i]! < 0 && this.slotOf[j]! >= 0) {
      a = j;
      b = i;
    }
    const s = this.slotFor(a);
    const c = this.pair[s * this.width + b]! - (this.s1[a]! * this.s1[b]!) / this.count;
    return clampUnit(c / Math.sqrt(si * sj));
  }
}
