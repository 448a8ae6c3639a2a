/**
 * Clocks for measuring query and overhead cost.
 *
 * - `thread`: the CPU time of the thread running the queries (./thread-clock.ts; ns resolution, ~0.66 us per
 *   read). Counts the phase's own work, user and kernel, and nothing else: not the time the thread was
 *   descheduled, not the process's other threads (V8's concurrent GC and compiler threads, libuv's reads).
 *   What CoMo's cycle counter measured on a dedicated core. Default with the emulated clock where the host
 *   provides it (Linux, macOS and Windows builds of Node with WASI).
 * - `cpu`: process.cpuUsage() user + system time of the process (1 us resolution, ~0.84 us per read). Immune to
 *   preemption by other processes, but it includes the process's other threads; the engine therefore charges
 *   a phase the smaller of its CPU and wall times. The fallback where there is no thread clock.
 * - `wall`: process.hrtime.bigint() (ns resolution, ~40 ns per read). On a shared machine it also counts the
 *   time the process was descheduled, so other load shows up as query cost. Default with the realtime clock
 *   (real overload is wall-clock overload).
 */
import { UserError } from '../errors.ts';
import { threadCpuClock } from './thread-clock.ts';

export type CostClockKind = 'thread' | 'cpu' | 'wall';
export const COST_CLOCKS: readonly CostClockKind[] = ['thread', 'cpu', 'wall'];

export function costClock(kind: CostClockKind): () => bigint {
  if (kind === 'wall') return process.hrtime.bigint;
  if (kind === 'thread') {
    const read = threadCpuClock();
    if (!read) throw new UserError('monitor.no-thread-clock', 'this Node.js cannot read the thread CPU clock (node:wasi clock_time_get)', 'use --cost-clock cpu');
    return read;
  }
  return () => {
    const u = process.cpuUsage();
    return BigInt(u.user + u.system) * 1000n;
  };
}

/** The default CPU cost clock: `thread` where available, else `cpu`. */
export function defaultCpuClock(): CostClockKind {
  return threadCpuClock() ? 'thread' : 'cpu';
}
