import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Matrix, QrDecomposition } from 'ml-matrix';
import { solveLeastSquares } from '../../src/predict/index.ts';

/** Column-major n x k from a row generator. */
function design(n: number, k: number, cell: (i: number, j: number) => number): Float64Array {
  const a = new Float64Array(n * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) a[j * n + i] = cell(i, j);
  return a;
}

test('Householder least squares matches ml-matrix QR on random overdetermined systems', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 30 }), fc.integer(), (k, extra, seed) => {
      const n = k + 2 + extra;
      let s = seed >>> 0;
      const rnd = (): number => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s / 4294967296 - 0.5;
      };
      const a = design(n, k, () => rnd());
      const b = Float64Array.from({ length: n }, () => rnd());
      const ref = new QrDecomposition(new Matrix(Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => a[j * n + i]!))));
      if (!ref.isFullRank()) return;
      const want = ref.solve(Matrix.columnVector(Array.from(b))).getColumn(0);
      const out = new Float64Array(k);
      assert.ok(solveLeastSquares(a.slice(), n, n, k, b.slice(), out, new Float64Array(k)));
      for (let j = 0; j < k; j++) assert.ok(Math.abs(out[j]! - want[j]!) < 1e-8 * (1 + Math.abs(want[j]!)), `${out[j]} vs ${want[j]}`);
    }),
    { numRuns: 200, seed: 42 },
  );
});

test('rank-deficient and degenerate systems are refused, never NaN', () => {
  const n = 10;
  const dup = design(n, 2, (i) => i + 1);
  const out = new Float64Array(2);
  assert.equal(solveLeastSquares(dup, n, n, 2, new Float64Array(n).fill(1), out, new Float64Array(2)), false);
  const zero = new Float64Array(n);
  assert.equal(solveLeastSquares(zero, n, n, 1, new Float64Array(n), out, new Float64Array(1)), false);
  assert.equal(solveLeastSquares(design(2, 3, () => 1), 2, 2, 3, new Float64Array(2), out, new Float64Array(3)), false);
  // Exact fit.
  const a = design(n, 2, (i, j) => (j === 0 ? i : i * i));
  const b = Float64Array.from({ length: n }, (_, i) => 3 * i - 2 * i * i);
  assert.ok(solveLeastSquares(a, n, n, 2, b, out, new Float64Array(2)));
  assert.ok(Math.abs(out[0]! - 3) < 1e-9 && Math.abs(out[1]! + 2) < 1e-9);
});
