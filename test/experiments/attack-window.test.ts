/**
 * The shedding experiment's attack windows (src/experiments/attack-window.ts): batches and intervals aligned to
 * absolute multiples of their width start 20 us before the attack's edges on the shared traces; each must count
 * where most of it lies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchesBefore, batchesIn, inWindow, windowResults } from '../../src/experiments/attack-window.ts';
import type { BatchRecord, IntervalResult, MonitorReport } from '../../src/monitor/index.ts';

const T0 = 1_000_000_000_000_020_000n; // the trace's first packet, 20 us after a 100 ms boundary
const GRID = T0 - 20_000n;
const A = 20e9; // attack from 20 s to 50 s after t0
const B = 50e9;

test('a batch belongs to the window where its midpoint lies: the attack\'s first batch in, the first after it out', () => {
  const start = (k: number): bigint => GRID + BigInt(k) * 100_000_000n;
  assert.equal(inWindow(start(199), 1e8, T0, A, B), false, 'the batch before the attack');
  assert.equal(inWindow(start(200), 1e8, T0, A, B), true, 'starts 20 us before the attack: its first batch');
  assert.equal(inWindow(start(499), 1e8, T0, A, B), true, 'the attack\'s last batch');
  assert.equal(inWindow(start(500), 1e8, T0, A, B), false, 'starts 20 us before the end: after the attack');
  const run = { options: { batchNs: 1e8 }, state: { records: Array.from({ length: 600 }, (_, k) => ({ startNs: start(k) }) as BatchRecord) } } as unknown as MonitorReport;
  const inside = batchesIn(run, T0, A, B);
  assert.equal(inside.length, 300);
  assert.equal(inside[0]!.startNs, start(200));
  assert.equal(batchesBefore(run, T0, A).length, 200);
});

test('an interval belongs to the window where its midpoint lies', () => {
  const iv = (k: number): IntervalResult => {
    const s = GRID + BigInt(k) * 1_000_000_000n;
    return { result: { intervalStartNs: s, intervalEndNs: s + 1_000_000_000n } } as unknown as IntervalResult;
  };
  const list = Array.from({ length: 60 }, (_, k) => iv(k));
  const got = windowResults(list, T0, A, B).map((r) => Number((r.result.intervalStartNs - GRID) / 1_000_000_000n));
  assert.deepEqual(got, Array.from({ length: 30 }, (_, k) => 20 + k));
});
