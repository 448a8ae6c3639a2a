/**
 * Packet arrival times of an injected anomaly: a seeded Poisson process (exponential gaps, mean 1/rate) or a
 * constant-rate process, optionally gated on/off and optionally grouped in back-to-back bursts.
 *
 * On/off gating works in "active time": the process runs on a clock that only advances while the source is
 * on, and active time tau maps to trace time `start + floor(tau / on) * (on + off) + tau mod on`. So the rate
 * while on is exactly `rate`, there are no packets at all in the off periods, and the mean rate over the whole
 * window is `rate * on / (on + off)`.
 *
 * Bursts: with `burstLength` b > 1, each burst is b packets spaced `burstGapNs` apart (in active time) and
 * bursts arrive at rate `rate / b`, so the mean packet rate is still `rate`. Bursts never overlap: the time
 * from one burst's start to the next is the burst's own length b * burstGapNs plus an exponential (or, for
 * 'constant', fixed) idle time with mean `b / rate - b * burstGapNs`. When that mean would be negative the
 * rate is above what back-to-back bursts can carry (e.g. line rate) and bursts follow each other directly.
 *
 * All times are float64 nanoseconds relative to the first packet of the background trace.
 */
import type { Rng } from '../random.ts';

export type ArrivalModel = 'poisson' | 'constant';

export interface ArrivalOptions {
  /** First possible arrival, ns relative to the trace start. */
  startNs: number;
  /** End of the window (exclusive), ns relative to the trace start. */
  endNs: number;
  /** Packets per second while on. */
  rate: number;
  /** Length of each on period and each off period in ns; 0 = always on. */
  onOffNs?: number;
  /** Packets per burst (default 1 = no bursts). */
  burstLength?: number;
  /** Gap between packets inside a burst, ns. */
  burstGapNs?: number;
  /** Default 'poisson'. */
  model?: ArrivalModel;
}

/** A lazily generated, strictly non-decreasing sequence of arrival times. */
export class ArrivalProcess {
  private readonly startNs: number;
  private readonly endNs: number;
  /** Mean idle time between the end of one burst and the start of the next (or between packets). */
  private readonly meanIdleNs: number;
  /** Length of a burst from its first packet to the next burst's earliest start. */
  private readonly burstSpanNs: number;
  private readonly onNs: number;
  private readonly burstLength: number;
  private readonly burstGapNs: number;
  private readonly poisson: boolean;
  private readonly rng: Rng;
  /** Active time of the current burst's start. */
  private burstStart = 0;
  /** Index of the next packet within the current burst. */
  private inBurst = 0;
  private done = false;

  constructor(opts: ArrivalOptions, rng: Rng) {
    this.startNs = opts.startNs;
    this.endNs = opts.endNs;
    this.burstLength = Math.max(1, Math.floor(opts.burstLength ?? 1));
    this.burstGapNs = opts.burstGapNs ?? 0;
    this.burstSpanNs = this.burstLength > 1 ? this.burstLength * this.burstGapNs : 0;
    this.meanIdleNs = Math.max(0, (1e9 / opts.rate) * this.burstLength - this.burstSpanNs);
    this.onNs = opts.onOffNs ?? 0;
    this.poisson = (opts.model ?? 'poisson') === 'poisson';
    this.rng = rng;
    this.burstStart = this.gap();
    if (!(opts.rate > 0) || !(opts.endNs > opts.startNs)) this.done = true;
  }

  private gap(): number {
    // Exponential with mean meanIdleNs; 1 - u is in (0, 1] so the log is finite.
    return this.poisson ? -Math.log(1 - this.rng.next()) * this.meanIdleNs : this.meanIdleNs;
  }

  /** Maps active time to trace time (see the module doc). */
  private toTraceTime(active: number): number {
    if (this.onNs <= 0) return this.startNs + active;
    const period = Math.floor(active / this.onNs);
    return this.startNs + period * 2 * this.onNs + (active - period * this.onNs);
  }

  /** The next arrival time, or Infinity when the window is exhausted. */
  next(): number {
    if (this.done) return Infinity;
    const active = this.burstStart + this.inBurst * this.burstGapNs;
    if (++this.inBurst >= this.burstLength) {
      this.inBurst = 0;
      this.burstStart += this.burstSpanNs + this.gap();
    }
    const t = this.toTraceTime(active);
    if (t >= this.endNs) {
      this.done = true;
      return Infinity;
    }
    return t;
  }
}
