import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EmulatedCpu } from '../../src/shed/index.ts';

const MS = 1e6;

test('emulated CPU: backlog and drops follow the documented formulas exactly', () => {
  const cpu = new EmulatedCpu({ bufferNs: 200 * MS, intervalNs: 100 * MS });
  // Batch 0: 250 ms of work. backlog = 150 ms (< buffer): nothing dropped yet.
  assert.equal(cpu.admit(1000).droppedPackets, 0);
  assert.equal(cpu.charge(250 * MS), 150 * MS);
  // Batch 1: arrives with backlog 150 <= 200: no drop; 180 ms of work -> backlog 230 ms.
  assert.equal(cpu.admit(1000).dropShare, 0);
  assert.equal(cpu.charge(180 * MS), 230 * MS);
  // Batch 2: backlog 230 > 200: the first 30 ms of the batch find the buffer full -> 30% of 1000 packets.
  const a = cpu.admit(1000);
  assert.ok(Math.abs(a.dropShare - 0.3) < 1e-12);
  assert.equal(a.droppedPackets, 300);
  assert.ok(Math.abs(a.dropBeforeOffsetNs - 30 * MS) < 1e-6);
  assert.equal(cpu.charge(70 * MS), 200 * MS);
  // Batch 3: backlog 200 = buffer: no drop; idle batch -> backlog 100.
  assert.equal(cpu.admit(10).droppedPackets, 0);
  assert.equal(cpu.charge(0), 100 * MS);
  // Far behind: whole batch dropped (share capped at 1).
  cpu.charge(1000 * MS); // backlog 1000 ms
  const b = cpu.admit(500);
  assert.equal(b.dropShare, 1);
  assert.equal(b.droppedPackets, 500);
  assert.equal(cpu.dropped, 800);
  assert.equal(cpu.packets, 3510);
  assert.ok(Math.abs(cpu.dropRate - 800 / 3510) < 1e-12);
});

test('emulated CPU: steady overload k = cost/interval drops 1 - 1/k in the long run', () => {
  for (const k of [1.5, 2.5, 4]) {
    const cpu = new EmulatedCpu();
    let share = 0;
    for (let t = 0; t < 2000; t++) {
      share = cpu.admit(10000).dropShare;
      cpu.charge(k * 100 * MS * (1 - share)); // cost of what was kept
    }
    assert.ok(Math.abs(cpu.dropRate - (1 - 1 / k)) < 0.01, `k=${k}: ${cpu.dropRate}`);
    if (k < 2) {
      assert.ok(Math.abs(share - (1 - 1 / k)) < 1e-6, String(share));
      assert.ok(Math.abs(cpu.backlogNs - (200 * MS + (1 - 1 / k) * 100 * MS)) < 1e3);
    }
  }
});

test('emulated CPU: never drops while every batch fits in its interval; never negative backlog', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 100 * MS, noNaN: true }), { maxLength: 200 }), (costs) => {
      const cpu = new EmulatedCpu();
      for (const c of costs) {
        assert.equal(cpu.admit(100).droppedPackets, 0);
        assert.ok(cpu.charge(c) >= 0);
      }
      assert.equal(cpu.backlogNs, 0);
    }),
    { numRuns: 200, seed: 5 },
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 500 * MS, noNaN: true })), { maxLength: 100 }), (batches) => {
      const cpu = new EmulatedCpu();
      for (const [pk, c] of batches) {
        const r = cpu.admit(pk);
        assert.ok(r.droppedPackets >= 0 && r.droppedPackets <= pk && r.dropShare >= 0 && r.dropShare <= 1);
        cpu.charge(c);
      }
      assert.ok(cpu.dropped <= cpu.packets);
    }),
    { numRuns: 200, seed: 6 },
  );
  assert.throws(() => new EmulatedCpu().charge(NaN), RangeError);
  assert.throws(() => new EmulatedCpu().admit(-1), RangeError);
});
