/**
 * Which batches and intervals of a run belong to an attack window of the shedding experiment (times in ns after
 * the trace's first packet, t0). Batches and intervals are aligned to absolute multiples of their width, not to
 * t0, so they start just before the attack's edges (20 us on the shared traces). Placed by their start, the
 * attack's first batch and first interval (its hardest) fell before its window and the first ones after it
 * inside; placed by their midpoint, each falls where most of it lies.
 */
import type { BatchRecord, IntervalResult, MonitorReport } from '../monitor/index.ts';

/** Time of the midpoint of [startNs, startNs + spanNs) after t0, in ns. */
export function midNs(startNs: bigint, spanNs: number, t0: bigint): number {
  return Number(startNs - t0) + spanNs / 2;
}

/** Whether [startNs, startNs + spanNs) belongs to the window [fromNs, toNs) after t0 (by its midpoint). */
export function inWindow(startNs: bigint, spanNs: number, t0: bigint, fromNs: number, toNs: number): boolean {
  const mid = midNs(startNs, spanNs, t0);
  return mid >= fromNs && mid < toNs;
}

/** The interval results that belong to the window. */
export function windowResults(list: readonly IntervalResult[], t0: bigint, fromNs: number, toNs: number): IntervalResult[] {
  return list.filter((r) => inWindow(r.result.intervalStartNs, Number(r.result.intervalEndNs - r.result.intervalStartNs), t0, fromNs, toNs));
}

/** The run's batches that belong to the window. */
export function batchesIn(r: Pick<MonitorReport, 'state' | 'options'>, t0: bigint, fromNs: number, toNs: number): BatchRecord[] {
  return r.state.records.filter((b) => inWindow(b.startNs, r.options.batchNs, t0, fromNs, toNs));
}

/** The run's batches whose midpoint lies before `toNs` after t0. */
export function batchesBefore(r: Pick<MonitorReport, 'state' | 'options'>, t0: bigint, toNs: number): BatchRecord[] {
  return r.state.records.filter((b) => midNs(b.startNs, r.options.batchNs, t0) < toNs);
}
