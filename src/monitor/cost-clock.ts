/**
 * Clocks for measuring query and overhead cost.
 *
 * - `wall`: process.hrtime.bigint() (ns resolution, ~40 ns per read). What CoMo's TSC measures on a dedicated
 *   core; on a shared machine it also counts the time the process was descheduled, so other load shows up as
 *   query cost.
 * - `cpu`: process.cpuUsage() user + system time of the process (1 us resolution, ~0.6 us per read). Immune to
 *   preemption by other processes, which is what a dedicated monitoring core would see; it does include the
 *   process's other threads (concurrent GC marking, libuv), which are idle or small during a batch.
 *
 * The emulated clock defaults to `cpu` (the run should not depend on what else the machine is doing), the
 * realtime clock to `wall` (real overload is wall-clock overload).
 */
export type CostClockKind = 'cpu' | 'wall';

export function costClock(kind: CostClockKind): () => bigint {
  if (kind === 'wall') return process.hrtime.bigint;
  return () => {
    const u = process.cpuUsage();
    return BigInt(u.user + u.system) * 1000n;
  };
}
