import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { allocateRates } from '../../src/shed/index.ts';

const EPS = 1e-9;
const queries = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.record({
    costs: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1, max: 1e7, noNaN: true })), { minLength: n, maxLength: n }),
    minRates: fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: n, maxLength: n }),
  }),
);
const avail = fc.double({ min: 0, max: 3e7, noNaN: true });

test('allocation: rates in [0,1], frozen = 0, non-frozen >= minimum, predicted cost <= available', () => {
  fc.assert(
    fc.property(queries, avail, ({ costs, minRates }, a) => {
      const r = allocateRates(costs, minRates, a);
      let frozen = 0;
      for (let q = 0; q < costs.length; q++) {
        const rate = r.rates[q]!;
        assert.ok(rate >= 0 && rate <= 1, `rate ${rate}`);
        if (r.frozen[q]) {
          frozen++;
          assert.equal(rate, 0);
        } else assert.ok(rate >= minRates[q]! - EPS, `rate ${rate} below min ${minRates[q]}`);
      }
      assert.equal(frozen, r.frozenCount);
      assert.ok(r.allocatedNs <= a * (1 + EPS) + 1e-6, `allocated ${r.allocatedNs} > available ${a}`);
    }),
    { numRuns: 2000, seed: 1 },
  );
});

test('allocation: max-min fair (a query below another is at its own minimum... or the other is) and work-conserving', () => {
  fc.assert(
    fc.property(queries, avail, ({ costs, minRates }, a) => {
      const r = allocateRates(costs, minRates, a);
      const live = costs.map((_, q) => q).filter((q) => !r.frozen[q]);
      for (const p of live) {
        for (const q of live) {
          // If p gets less than q, q must be pinned at its (higher) minimum rate.
          if (r.rates[p]! < r.rates[q]! - 1e-9) assert.ok(Math.abs(r.rates[q]! - minRates[q]!) < 1e-9, `p=${p} ${r.rates[p]} < q=${q} ${r.rates[q]} (min ${minRates[q]})`);
        }
      }
      const total = costs.reduce((s, c) => s + c, 0);
      if (total <= a) {
        assert.equal(r.frozenCount, 0);
        for (const x of r.rates) assert.equal(x, 1);
      } else if (live.some((q) => r.rates[q]! < 1 && r.rates[q]! > minRates[q]! + 1e-9 && costs[q]! > 0)) {
        // Some query is limited by the common rate: the whole available time is handed out.
        assert.ok(Math.abs(r.allocatedNs - a) <= 1e-9 * a + 1e-6, `allocated ${r.allocatedNs} of ${a}`);
      }
    }),
    { numRuns: 2000, seed: 2 },
  );
});

test('allocation: freezing takes the costliest m*c first and only as many as needed', () => {
  fc.assert(
    fc.property(queries, avail, ({ costs, minRates }, a) => {
      const r = allocateRates(costs, minRates, a);
      const mc = costs.map((c, q) => c * minRates[q]!);
      const live = costs.map((_, q) => q).filter((q) => !r.frozen[q]);
      const frozen = costs.map((_, q) => q).filter((q) => r.frozen[q]);
      for (const f of frozen) for (const q of live) assert.ok(mc[f]! >= mc[q]!, `frozen ${f} (${mc[f]}) cheaper than live ${q} (${mc[q]})`);
      if (frozen.length > 0) {
        const need = live.reduce((s, q) => s + mc[q]!, 0);
        const cheapestFrozen = Math.min(...frozen.map((f) => mc[f]!));
        assert.ok(need + cheapestFrozen > a, 'a frozen query would have fitted');
      }
    }),
    { numRuns: 2000, seed: 3 },
  );
});

test('allocation is monotone in the available time', () => {
  fc.assert(
    fc.property(queries, avail, avail, ({ costs, minRates }, x, y) => {
      const [lo, hi] = x <= y ? [x, y] : [y, x];
      const a = allocateRates(costs, minRates, lo);
      const b = allocateRates(costs, minRates, hi);
      for (let q = 0; q < costs.length; q++) if (b.frozen[q]) assert.equal(a.frozen[q], 1, 'more time froze a query');
      assert.ok(b.allocatedNs >= a.allocatedNs - 1e-9 * hi - 1e-6, `${b.allocatedNs} < ${a.allocatedNs}`);
      if (a.frozenCount === b.frozenCount) for (let q = 0; q < costs.length; q++) assert.ok(b.rates[q]! >= a.rates[q]! - 1e-12);
    }),
    { numRuns: 2000, seed: 4 },
  );
});

test('allocation worked example (CoMo mmfs_pkt)', () => {
  // avail 10: common rate 10/40 = 0.25 is below q2's minimum 0.5, so q2 gets 0.5 (cost 10·0.5 = 5) and the rest
  // 5 / 30 = 1/6 go to q0 and q1.
  const r = allocateRates([10, 20, 10], [0, 0.1, 0.5], 10);
  assert.deepEqual(Array.from(r.frozen), [0, 0, 0]);
  assert.ok(Math.abs(r.rates[0]! - 1 / 6) < 1e-12 && Math.abs(r.rates[1]! - 1 / 6) < 1e-12);
  assert.equal(r.rates[2], 0.5);
  // Minimums need 0.5·10 + 0.5·20 = 15 > 12: the costliest m·c (query 1) is frozen, query 0 then gets 12/10 -> 1.
  const f = allocateRates([10, 20], [0.5, 0.5], 12);
  assert.deepEqual(Array.from(f.frozen), [0, 1]);
  assert.deepEqual(Array.from(f.rates), [1, 0]);
  assert.throws(() => allocateRates([1], [1.5], 1), RangeError);
  assert.throws(() => allocateRates([NaN], [0], 1), RangeError);
});
