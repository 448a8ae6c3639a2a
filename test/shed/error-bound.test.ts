import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TailErrorBound } from '../../src/shed/error-bound.ts';

test('TailErrorBound: nearest-rank quantile of M/P over the window, minus 1, never below 0', () => {
  const b = new TailErrorBound(10, 0.2);
  assert.equal(b.value, 0);
  b.observe(1, 0); // nothing ran: ignored
  assert.equal(b.size, 0);
  for (let i = 1; i <= 10; i++) b.observe(100, 100 + 10 * i); // ratios 1.1 .. 2.0
  // 0.8-quantile of 10 values, nearest rank = 8th smallest = 1.8
  assert.ok(Math.abs(b.value - 0.8) < 1e-12, String(b.value));
  for (let i = 0; i < 10; i++) b.observe(100, 50); // the window now holds only over-predictions
  assert.equal(b.value, 0);
  b.observe(0, 5); // predicted 0, something ran: capped at 1 + maxError
  const c = new TailErrorBound(1, 0.05, 10);
  c.observe(0, 5);
  assert.equal(c.value, 10);
  c.observe(1, 1e6);
  assert.equal(c.value, 10);
  assert.throws(() => new TailErrorBound(0), RangeError);
  assert.throws(() => new TailErrorBound(10, 1), RangeError);
});

test('TailErrorBound matches a naive sort of the last `window` ratios (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 30 }),
      fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      fc.array(fc.tuple(fc.double({ min: 1, max: 1e6, noNaN: true }), fc.double({ min: 1, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 100 }),
      (window, share, obs) => {
        const b = new TailErrorBound(window, share, 10);
        for (const [p, m] of obs) b.observe(p, m);
        const last = obs.slice(-window).map(([p, m]) => Math.min(11, m / p)).sort((x, y) => x - y);
        const rank = Math.min(last.length, Math.ceil((1 - share) * last.length));
        const want = Math.max(0, last[rank - 1]! - 1);
        return Math.abs(b.value - want) <= 1e-12 * Math.max(1, want);
      },
    ),
    { seed: 42, numRuns: 300 },
  );
});
