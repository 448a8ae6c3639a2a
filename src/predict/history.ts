/**
 * The per-query observation window: the last `capacity` (features, cost) pairs in a ring of typed arrays. No
 * per-observation objects; rows are overwritten in place. Row order inside the ring does not matter to the
 * regressions (OLS and Pearson correlations are permutation-invariant), so no rotation is ever done.
 */
export class CostHistory {
  /** Maximum number of observations kept (CoMo's NUM_OBS = 60). */
  readonly capacity: number;
  /** Number of features per observation. */
  readonly width: number;
  /** Feature rows, row-major: row r occupies [r * width, (r + 1) * width). */
  readonly x: Float64Array;
  /** Cost of row r in ns. */
  readonly y: Float64Array;
  /** Rows in use (<= capacity). */
  count = 0;
  /** Incremented on every push; lets models refit lazily. */
  version = 0;
  /** Ring slot the next push writes. */
  protected next = 0;

  constructor(capacity: number, width: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new RangeError(`history capacity must be an integer >= 2, got ${capacity}`);
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`history width must be an integer >= 1, got ${width}`);
    this.capacity = capacity;
    this.width = width;
    this.x = new Float64Array(capacity * width);
    this.y = new Float64Array(capacity);
  }

  /** Appends an observation, overwriting the oldest when full. `features` may be longer than `width`. */
  push(features: Float64Array, costNs: number): void {
    if (features.length < this.width) {
      throw new RangeError(`features has ${features.length} values, the history expects ${this.width}`);
    }
    const r = this.next;
    const w = this.width;
    const x = this.x;
    for (let j = 0; j < w; j++) x[r * w + j] = features[j]!;
    this.y[r] = costNs;
    this.next = r + 1 === this.capacity ? 0 : r + 1;
    if (this.count < this.capacity) this.count++;
    this.version++;
  }

  /** Mean cost over the window (0 when empty). */
  meanCost(): number {
    let s = 0;
    for (let r = 0; r < this.count; r++) s += this.y[r]!;
    return this.count === 0 ? 0 : s / this.count;
  }
}
