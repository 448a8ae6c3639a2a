/** FlowTable pre-sizing (initialFlows): room for that many flows up front, so the table never doubles mid-run. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowTable } from '../../src/queries/flow-table.ts';
import { UserError } from '../../src/errors.ts';

function fill(t: FlowTable, n: number): number[] {
  const slotsSeen: number[] = [];
  for (let i = 0; i < n; i++) {
    t.scratch.fill(0);
    t.scratch[0] = i;
    t.scratch[3] = i * 2654435761;
    t.upsertScratch();
    slotsSeen.push(t.slots);
  }
  return slotsSeen;
}

test('a table pre-sized for N flows holds N flows without growing; an unsized one grows', () => {
  const pre = new FlowTable({ key: 'src', valueColumns: 1, initialFlows: 5000 });
  assert.equal(pre.slots, 16384); // next power of two >= 2 x 5000
  const seen = fill(pre, 5000);
  assert.ok(seen.every((s) => s === 16384), 'no doubling while within the pre-sized flows');
  assert.equal(pre.size, 5000);
  const plain = new FlowTable({ key: 'src', valueColumns: 1 });
  assert.equal(plain.slots, 1024);
  fill(plain, 5000);
  assert.ok(plain.slots > 1024);
  assert.equal(plain.size, 5000);
});

test('pre-sizing is capped by maxFlows and validated', () => {
  const t = new FlowTable({ key: 'dst', valueColumns: 1, maxFlows: 100, initialFlows: 1e6 });
  assert.equal(t.slots, 256);
  assert.throws(() => new FlowTable({ key: 'dst', valueColumns: 1, initialFlows: -1 }), UserError);
  assert.throws(() => new FlowTable({ key: 'dst', valueColumns: 1, initialFlows: 1.5 }), UserError);
});
