/** CPU models (emulated and realtime), the GC watch and the cost clocks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketBatch } from '../../src/capture/batch.ts';
import { EmulatedClock, RealtimeClock, packetsBefore } from '../../src/monitor/clock.ts';
import { GcWatch } from '../../src/monitor/gc-watch.ts';
import { costClock } from '../../src/monitor/cost-clock.ts';
import { Budget } from '../../src/shed/index.ts';

function batch(startNs: bigint, n: number): PacketBatch {
  const b = new PacketBatch(Math.max(1, n));
  b.reset(startNs, 1e8);
  for (let i = 0; i < n; i++) b.offsetNs[i] = (i * 1e8) / n;
  b.count = n;
  return b;
}

test('emulated CPU: capacity is the budget; a backlog beyond the buffer drops the first packets', () => {
  const budget = Budget.absolute(1e6); // 1 ms of work per 100 ms batch
  const cpu = new EmulatedClock(budget, 2e8);
  const b = batch(0n, 1000);
  assert.equal(cpu.admit(b), 0);
  cpu.charge(1e6, b); // exactly the budget: no backlog
  assert.equal(cpu.backlogNs, 0);
  cpu.charge(3.5e6, b); // 2.5 ms over = 2.5 batch periods of traffic queued (buffer holds 2)
  assert.ok(Math.abs(cpu.backlogNs - 2.5e6) < 1);
  const lost = cpu.admit(b);
  assert.equal(lost, 500, 'half a period over the buffer: the first half of the batch is lost');
  assert.equal(cpu.drops, 500);
  // No budget: an infinitely fast CPU never queues.
  const inf = new EmulatedClock(undefined, 2e8);
  inf.charge(1e12, b);
  assert.equal(inf.admit(b), 0);
  assert.equal(inf.backlogNs, 0);
});

test('realtime clock: lateness beyond the buffer drops the head of the batch', async () => {
  let now = 0n;
  const rt = new RealtimeClock(1, 2e8, () => now);
  assert.equal(await rt.admit(batch(0n, 100)), 0); // starts the replay clock; due at 100 ms, now 0: waits
  now = 450_000_000n; // second batch due at 200 ms: 250 ms late = 50 ms beyond the 200 ms buffer
  assert.equal(await rt.admit(batch(100_000_000n, 100)), 50);
  assert.equal(rt.backlogNs, 250_000_000);
  assert.equal(rt.drops, 50);
});

test('packetsBefore counts the leading packets under an offset', () => {
  const b = batch(0n, 10);
  assert.equal(packetsBefore(b, 0), 0);
  assert.equal(packetsBefore(b, 1e7 + 1), 2);
  assert.equal(packetsBefore(b, 1e9), 10);
});

test('GC watch reports the pauses inside a window; cost clocks advance', () => {
  const gc = new GcWatch();
  gc.begin();
  let keep: number[][] = [];
  for (let i = 0; i < 200_000; i++) keep.push([i, i + 1, i + 2]);
  keep = [];
  const w = gc.end();
  assert.ok(w.pauseNs > 0, 'allocating ~20 MB triggers at least one scavenge');
  assert.equal(typeof w.major, 'boolean');
  gc.close();
  for (const kind of ['cpu', 'wall'] as const) {
    const c = costClock(kind);
    const a = c();
    let x = 0;
    for (let i = 0; i < 3e6; i++) x += Math.sqrt(i);
    assert.ok(x > 0);
    assert.ok(c() > a, `${kind} clock advances`);
  }
});

test('cost floor: packets x the 10th-percentile cost per packet of the recent history', async () => {
  const { CostFloor } = await import('../../src/monitor/cost-floor.ts');
  const f = new CostFloor(2, 20);
  assert.equal(f.min(0, 1000), 0, 'no floor without history');
  for (let k = 0; k < 20; k++) f.observe(0, (100 + k) * 1000, 1000); // 100..119 ns per packet
  f.observe(0, 5, 0); // empty batches are ignored
  assert.equal(f.min(0, 10_000), 101 * 10_000); // 10th percentile of 100..119 (index 1)
  assert.equal(f.min(1, 10_000), 0, 'per query');
  assert.equal(f.high(0, 10_000), 117 * 10_000); // 90th percentile of 100..119 (index floor(19 x 0.9) = 17)
  assert.equal(f.high(1, 10_000), 0, 'per query');
  for (let k = 0; k < 20; k++) f.observe(0, 50 * 1000, 1000); // the window slides
  assert.equal(f.min(0, 2), 100);
  assert.equal(f.high(0, 2), 100);
});

test('size novelty: a batch over twice the largest of the window is flagged (seen = 1: once), after enough history', async () => {
  const { SizeNovelty } = await import('../../src/monitor/size-novelty.ts');
  const s = new SizeNovelty(20, 2, 5, 1);
  assert.equal(s.check(100_000), false, 'no history, no flag');
  const t = new SizeNovelty(20, 2, 5, 1);
  for (let k = 0; k < 5; k++) assert.equal(t.check(1000 + 100 * k), false);
  assert.equal(t.check(2800), false, 'within 2x of the largest (1400)');
  assert.equal(t.check(5601), true, 'over 2x of the largest (2800)');
  assert.equal(t.check(6000), false, 'the flood batch entered the window: its successors are not novel');
  assert.equal(t.flagged, 1);
  for (let k = 0; k < 20; k++) t.check(1000); // the window forgets the flood
  assert.equal(t.check(6000), true, 'armed again for the next jump');
});

test('size novelty (default seen = 3): the first three batches of a new size are flagged, the fourth is not', async () => {
  const { SizeNovelty } = await import('../../src/monitor/size-novelty.ts');
  const s = new SizeNovelty();
  for (let k = 0; k < 30; k++) assert.equal(s.check(6000 + (k % 3) * 500), false);
  // Real-attack pattern: a 42 k burst every third batch.
  const flags: boolean[] = [];
  for (let k = 0; k < 15; k++) flags.push(s.check(k % 3 === 0 ? 42_000 : 6500));
  assert.deepEqual(flags.map((f, k) => (f ? k : -1)).filter((k) => k >= 0), [0, 3, 6]);
  assert.equal(s.flagged, 3);
});
