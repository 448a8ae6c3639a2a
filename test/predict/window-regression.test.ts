import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Matrix, QrDecomposition } from 'ml-matrix';
import { CostHistory, WindowRegression } from '../../src/predict/index.ts';
import { Rng } from '../../src/random.ts';

/** A window of n rows: `width` features, cost from `cost`. */
function window(n: number, width: number, rng: Rng, cost: (f: Float64Array, t: number) => number): CostHistory {
  const h = new CostHistory(n, width);
  for (let t = 0; t < n; t++) {
    const f = new Float64Array(width);
    for (let j = 0; j < width; j++) f[j] = (j + 1) * 1000 * (1 + rng.next());
    h.push(f, cost(f, t));
  }
  return h;
}

/** Weighted least squares with intercept by ml-matrix QR on sqrt(w)-scaled rows: the reference. */
function reference(h: CostHistory, cols: readonly number[], w: (r: number) => number): number[] {
  const rows = Array.from({ length: h.count }, (_, r) => [1, ...cols.map((j) => h.x[r * h.width + j]!)].map((v) => v * Math.sqrt(w(r))));
  const y = Matrix.columnVector(Array.from({ length: h.count }, (_, r) => h.y[r]! * Math.sqrt(w(r))));
  return new QrDecomposition(new Matrix(rows)).solve(y).getColumn(0);
}

test('ols mode is ordinary least squares with intercept (matches ml-matrix)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (k, seed) => {
      const rng = new Rng(seed);
      const h = window(60, 6, rng, (f) => 5e4 + 3 * f[0]! - 2 * f[k - 1]! + 1e3 * rng.normal());
      const index = Int32Array.from({ length: k }, (_, q) => q);
      const reg = new WindowRegression(60, 6);
      assert.ok(reg.fit(h, index, k, 'ols', 1e-7));
      const want = reference(h, [...index], () => 1);
      assert.ok(Math.abs(reg.intercept - want[0]!) <= 1e-6 * (1 + Math.abs(want[0]!)), `${reg.intercept} vs ${want[0]}`);
      for (let q = 0; q < k; q++) assert.ok(Math.abs(reg.coef[q]! - want[q + 1]!) <= 1e-8 * (1 + Math.abs(want[q + 1]!)));
      assert.ok(Number.isNaN(reg.relativeScale));
    }),
    { numRuns: 100, seed: 7 },
  );
});

test('relative mode: exact on noiseless data; lower mean relative residual than OLS under multiplicative noise', () => {
  const rng = new Rng(3);
  const h = window(60, 3, rng, (f) => 2e5 + 40 * f[0]! + 7 * f[2]!);
  const reg = new WindowRegression(60, 3);
  assert.ok(reg.fit(h, Int32Array.of(0, 2), 2, 'relative', 1e-7));
  assert.ok(Math.abs(reg.intercept - 2e5) < 1e-3 && Math.abs(reg.coef[0]! - 40) < 1e-8 && Math.abs(reg.coef[1]! - 7) < 1e-8);
  assert.ok(reg.relativeScale < 1e-12, String(reg.relativeScale));
  // With multiplicative noise the fit targets relative errors: its mean relative residual on the window is
  // below OLS's (which minimises absolute squared error and lets the expensive rows dominate).
  const g = window(60, 2, new Rng(4), (f) => (1e4 + 50 * f[0]! * f[0]! / 3000) * Math.exp(0.1 * rng.normal()));
  const meanRel = (coef: number, intercept: number): number => {
    let e = 0;
    for (let r = 0; r < g.count; r++) e += Math.abs(g.y[r]! - intercept - coef * g.x[r * g.width]!) / g.y[r]!;
    return e / g.count;
  };
  assert.ok(reg.fit(g, Int32Array.of(0), 1, 'relative', 1e-7));
  const ols = reference(g, [0], () => 1);
  const rel = meanRel(reg.coef[0]!, reg.intercept);
  assert.ok(rel < meanRel(ols[1]!, ols[0]!), `relative fit ${rel} vs OLS ${meanRel(ols[1]!, ols[0]!)}`);
  assert.ok(reg.relativeScale > 0.03 && reg.relativeScale < 0.2, String(reg.relativeScale));
});

test('relative mode is unbiased under multiplicative noise and more accurate than OLS on cheap batches', () => {
  // Cost = mean * (1 + e), e symmetric with a 10 % spread, batch sizes spanning 20x: the relative fit predicts the
  // mean (no downward bias from weighting by the observed cost) and fits cheap and expensive batches alike.
  const rng = new Rng(11);
  const mean = (x: number): number => 2e4 + 60 * x;
  let ratioRel = 0;
  let ratioOls = 0;
  let errRel = 0;
  let errOls = 0;
  let m = 0;
  for (let w = 0; w < 200; w++) {
    const h = new CostHistory(60, 1);
    for (let t = 0; t < 60; t++) {
      const x = 1000 * (1 + 19 * rng.next());
      h.push(Float64Array.of(x), mean(x) * (1 + 0.1 * rng.normal()));
    }
    const rel = new WindowRegression(60, 1);
    const ols = new WindowRegression(60, 1);
    assert.ok(rel.fit(h, Int32Array.of(0), 1, 'relative', 1e-7) && ols.fit(h, Int32Array.of(0), 1, 'ols', 1e-7));
    for (const x of [1000, 1500, 20000]) {
      const y = mean(x) * (1 + 0.1 * rng.normal());
      const pr = rel.intercept + rel.coef[0]! * x;
      const po = ols.intercept + ols.coef[0]! * x;
      ratioRel += y / pr;
      ratioOls += y / po;
      if (x < 2000) {
        errRel += Math.abs(pr - mean(x)) / mean(x);
        errOls += Math.abs(po - mean(x)) / mean(x);
        m++;
      }
    }
  }
  ratioRel /= 600;
  ratioOls /= 600;
  assert.ok(Math.abs(ratioRel - 1) < 0.01, `relative fit: mean measured/predicted ${ratioRel} (OLS ${ratioOls})`);
  assert.ok(errRel < 0.8 * errOls, `cheap batches: relative fit error ${errRel / m} vs OLS ${errOls / m}`);
});

test('rank-deficient, zero and tiny costs: refused or finite, never NaN', () => {
  const h = new CostHistory(20, 2);
  for (let t = 0; t < 20; t++) h.push(Float64Array.of(t, 2 * t), t % 5 === 0 ? 0 : 1000 + 10 * t);
  const reg = new WindowRegression(20, 2);
  assert.equal(reg.fit(h, Int32Array.of(0, 1), 2, 'relative', 1e-7), false); // collinear
  assert.equal(reg.fit(h, Int32Array.of(0, 1), 2, 'ols', 1e-7), false);
  assert.ok(reg.fit(h, Int32Array.of(0), 1, 'relative', 1e-7)); // zero costs are floored, not infinite weights
  assert.ok(Number.isFinite(reg.intercept) && Number.isFinite(reg.coef[0]!));
  const zero = new CostHistory(10, 1);
  for (let t = 0; t < 10; t++) zero.push(Float64Array.of(t), 0);
  assert.ok(reg.fit(zero, Int32Array.of(0), 1, 'relative', 1e-7)); // all-zero cost: plain OLS, exact 0 model
  assert.equal(reg.coef[0], 0);
  assert.equal(reg.fit(h, Int32Array.of(0, 1, 0), 3, 'ols', 1e-7), false); // k > maxFeatures
});
