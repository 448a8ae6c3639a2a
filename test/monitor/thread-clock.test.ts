import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COST_CLOCKS, costClock, defaultCpuClock } from '../../src/monitor/index.ts';
import { threadCpuClock } from '../../src/monitor/thread-clock.ts';

/** Single-threaded work that allocates nothing (so no GC thread runs beside it). */
function spin(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x + i * 7) % 1_000_003;
  return x;
}

test('thread CPU clock: available on this platform, in ns, never going back', () => {
  const read = threadCpuClock();
  assert.ok(read, 'node:wasi clock_time_get(thread_cputime_id) should work on Linux');
  assert.equal(threadCpuClock(), read); // created once
  assert.equal(defaultCpuClock(), 'thread');
  assert.deepEqual(COST_CLOCKS, ['thread', 'cpu', 'wall']);
  let prev = read();
  assert.equal(typeof prev, 'bigint');
  for (let i = 0; i < 1000; i++) {
    const v = read();
    assert.ok(v >= prev, `${v} < ${prev}`);
    prev = v;
  }
  assert.equal(costClock('thread'), read);
});

test('thread CPU clock counts this thread working, not this thread sleeping', () => {
  const read = threadCpuClock()!;
  // Working: the thread's CPU time follows the process's (nothing else runs during a loop that allocates nothing).
  const t0 = read();
  const p0 = process.cpuUsage();
  spin(3_000_000);
  const thread = Number(read() - t0);
  const p = process.cpuUsage(p0);
  const proc = (p.user + p.system) * 1000;
  assert.ok(thread > 0);
  assert.ok(thread <= proc + 2e6, `thread ${thread} ns > process ${proc} ns + 2 ms`);
  assert.ok(thread >= 0.5 * proc - 2e6, `thread ${thread} ns << process ${proc} ns`);
  // Sleeping 50 ms: the wall clock moves, the thread's CPU time hardly does (a process or wall clock would
  // charge whatever ran meanwhile, or the sleep itself).
  const s0 = read();
  const w0 = process.hrtime.bigint();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  const slept = Number(process.hrtime.bigint() - w0);
  const cpu = Number(read() - s0);
  assert.ok(slept >= 45e6, `slept only ${slept} ns`);
  assert.ok(cpu < 10e6, `${cpu} ns of thread CPU while sleeping 50 ms`);
});
