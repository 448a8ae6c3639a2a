/**
 * Flags batches touched by a major garbage collection, so that their measured query costs (which include the
 * collector's pause) stay out of the predictors' regression history.
 *
 * Why v8.GCProfiler and not a perf_hooks PerformanceObserver: Node delivers `gc` performance entries from a
 * setImmediate callback, i.e. only after the synchronous batch loop yields, so a batch cannot know whether it
 * was hit when it records its history. GCProfiler's start/stop collects the same per-GC records synchronously
 * (v8 GC prologue/epilogue callbacks) for about 2.5 us per batch. A PerformanceObserver (entryTypes ['gc'],
 * kind NODE_PERFORMANCE_GC_MAJOR) is still kept as a cross-check for environments without GCProfiler: there a
 * batch is flagged when a major GC entry that arrived later overlaps its wall window, which the engine can ask
 * for with {@link GcWatch.overlapsLate}.
 */
import v8 from 'node:v8';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';

/** GC types v8 reports that stop the world for a full (old-generation) collection. */
const MAJOR_TYPES = new Set(['MarkSweepCompact']);

export interface GcWindow {
  /** True when a major GC ran inside the window. */
  major: boolean;
  /** Total pause of all GCs (minor included) inside the window, ns. */
  pauseNs: number;
}

export class GcWatch {
  private readonly profiler: InstanceType<typeof v8.GCProfiler> | undefined;
  private observer: PerformanceObserver | undefined;
  /** Major GCs seen by the observer: [startMs, endMs] pairs on the performance.now() clock. */
  private readonly lateMajors: number[] = [];
  private running = false;
  /** Major collections counted since construction. */
  majorCount = 0;

  constructor() {
    this.profiler = typeof v8.GCProfiler === 'function' ? new v8.GCProfiler() : undefined;
    if (!this.profiler) {
      this.observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
          if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
            this.lateMajors.push(e.startTime, e.startTime + e.duration);
            if (this.lateMajors.length > 512) this.lateMajors.splice(0, 256);
          }
        }
      });
      this.observer.observe({ entryTypes: ['gc'] });
    }
  }

  /** Opens a batch window. */
  begin(): void {
    if (this.profiler) {
      if (this.running) this.profiler.stop();
      this.profiler.start();
      this.running = true;
    }
  }

  /** Closes the batch window and says whether a major GC ran inside it. */
  end(out: GcWindow = { major: false, pauseNs: 0 }): GcWindow {
    out.major = false;
    out.pauseNs = 0;
    if (this.profiler && this.running) {
      this.running = false;
      const r = this.profiler.stop() as unknown as { statistics?: { gcType: string; cost: number }[] } | undefined;
      for (const s of r?.statistics ?? []) {
        out.pauseNs += s.cost * 1e3; // cost is in microseconds
        if (MAJOR_TYPES.has(s.gcType)) {
          out.major = true;
          this.majorCount++;
        }
      }
    }
    return out;
  }

  /** Fallback path: did a major GC reported so far overlap [startMs, endMs] (performance.now() clock)? */
  overlapsLate(startMs: number, endMs: number): boolean {
    const m = this.lateMajors;
    for (let i = 0; i < m.length; i += 2) if (m[i]! < endMs && m[i + 1]! > startMs) return true;
    return false;
  }

  /** performance.now(), exposed so callers can record windows for {@link overlapsLate}. */
  static nowMs(): number {
    return performance.now();
  }

  close(): void {
    if (this.profiler && this.running) this.profiler.stop();
    this.running = false;
    this.observer?.disconnect();
    this.observer = undefined;
  }
}
