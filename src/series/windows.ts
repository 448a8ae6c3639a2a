/**
 * Lazy forecasting windows: an index of window origins, never the windows themselves. The window with origin
 * t has input steps [t - L, t) and target steps [t, t + H). Training windows lie wholly inside the training
 * part; validation and test windows have their targets inside their part and may take their inputs from the
 * previous part (the look-back may start up to L steps before the boundary), so every target step of a part
 * except the last H - 1 is the first target of exactly one window.
 */
import { SeriesError } from '../errors.ts';
import type { MultiSeries } from './dataset.ts';

export type Part = 'train' | 'val' | 'test';

export class WindowIndex {
  /** Number of windows. */
  readonly length: number;
  /** Origin of window 0. */
  readonly first: number;
  readonly L: number;
  readonly H: number;
  readonly part: Part;

  constructor(ds: MultiSeries, part: Part, L: number, H: number) {
    if (!Number.isInteger(L) || !Number.isInteger(H) || L < 1 || H < 1) {
      throw new SeriesError('series.bad-window', `look-back ${L} and horizon ${H} must be positive integers`);
    }
    const [lo, hi] = part === 'train' ? [0, ds.split.trainEnd] : part === 'val' ? [ds.split.trainEnd, ds.split.valEnd] : [ds.split.valEnd, ds.T];
    this.first = Math.max(lo, L);
    const last = hi - H; // last origin whose targets end inside the part
    this.length = Math.max(0, last - this.first + 1);
    this.L = L;
    this.H = H;
    this.part = part;
  }

  /** Time index t of the first target step of window i (its input is [t - L, t)). */
  origin(i: number): number {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`window ${i} out of range [0, ${this.length})`);
    return this.first + i;
  }
}
