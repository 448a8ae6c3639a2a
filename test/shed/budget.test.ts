import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { UserError } from '../../src/errors.ts';
import { Budget, minRatesFor, parseBudget, parseMinRates } from '../../src/shed/index.ts';

test('parseBudget: absolute, share, auto, default, conflicts', () => {
  assert.equal(parseBudget({ budget: '4ms' }).ns, 4e6);
  assert.equal(parseBudget({ budget: '4' }).ns, 4e6); // bare number = ms
  assert.equal(parseBudget({ budgetShare: '0.6' }, 1e8).ns, 6e7);
  assert.equal(parseBudget({}, 5e7).ns, 5e7);
  const auto = parseBudget({ budgetAuto: '1.2', warmup: '4' });
  assert.equal(auto.ready, false);
  assert.equal(auto.ns, Number.POSITIVE_INFINITY);
  assert.equal(auto.warmupRemaining, 4);
  for (const v of [10, 40, 20, 30]) auto.addWarmupCost(v * 1e6);
  assert.equal(auto.ready, true);
  assert.ok(Math.abs(auto.ns - 1.2 * 25e6) < 1e-6); // median of 10, 20, 30, 40 = 25
  assert.match(auto.describe(), /30 ms per batch \(1.2 x median of 4 warm-up batches\)/);
  assert.throws(() => parseBudget({ budget: '4ms', budgetShare: '0.5' }), (e: unknown) => e instanceof UserError && /only one/.test(e.message));
  assert.throws(() => parseBudget({ budget: 'fast' }), UserError);
  assert.throws(() => parseBudget({ budgetShare: '-1' }), UserError);
  assert.throws(() => parseBudget({ budgetAuto: '1.2', warmup: '0' }), UserError);
});

test('auto budget is factor x median for any warm-up (odd sizes)', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 1e4, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 61 }).filter((a) => a.length % 2 === 1), (costs) => {
      const b = Budget.auto(1.5, costs.length);
      costs.forEach((c, i) => assert.equal(b.addWarmupCost(c), i === costs.length - 1));
      const sorted = [...costs].sort((x, y) => x - y);
      assert.equal(b.ns, 1.5 * sorted[(costs.length - 1) / 2]!);
    }),
    { numRuns: 200, seed: 8 },
  );
});

test('parseMinRates and minRatesFor', () => {
  const m = parseMinRates(['flows=0.1', 'counter=0.25, *=0.05']);
  assert.deepEqual([...m.entries()], [['flows', 0.1], ['counter', 0.25], ['*', 0.05]]);
  assert.deepEqual(Array.from(minRatesFor(['counter', 'flows', 'trace'], m)), [0.25, 0.1, 0.05]);
  assert.deepEqual(Array.from(minRatesFor(['a'], parseMinRates(undefined))), [0]);
  for (const bad of ['flows', 'flows=', 'flows=1.5', 'flows=-0.1', '=0.1', 'flows=abc']) {
    assert.throws(() => parseMinRates([bad]), (e: unknown) => e instanceof UserError && e.code === 'shed.bad-min-rate', bad);
  }
  assert.throws(() => minRatesFor(['counter'], parseMinRates(['flow=0.1'])), (e: unknown) => e instanceof UserError && /Known queries: counter/.test(e.hint ?? ''));
});
