/**
 * The last `capacity` values of a stream, with a sorted copy made lazily (once per change, when asked for).
 * The window behind the controller's tail error margin, the shedding phase's cost-per-packet floor and its
 * batch-size history.
 */
export class RecentValues {
  private readonly ring: Float64Array;
  private readonly sortedBuf: Float64Array;
  private count = 0;
  private next = 0;
  private stale = false;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window must be an integer >= 1, got ${capacity}`);
    this.ring = new Float64Array(capacity);
    this.sortedBuf = new Float64Array(capacity);
  }

  /** Values in the window. */
  get size(): number {
    return this.count;
  }

  /** Adds a value, dropping the oldest once the window is full. */
  push(v: number): void {
    this.ring[this.next] = v;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    if (this.count < this.capacity) this.count++;
    this.stale = true;
  }

  /** The values in the window, in no particular order (a view: valid until the next push). */
  values(): Float64Array {
    return this.ring.subarray(0, this.count);
  }

  /** The values in the window, ascending (a view, sorted at most once per push). */
  sorted(): Float64Array {
    const s = this.sortedBuf.subarray(0, this.count);
    if (this.stale) {
      s.set(this.ring.subarray(0, this.count));
      s.sort();
      this.stale = false;
    }
    return s;
  }
}
