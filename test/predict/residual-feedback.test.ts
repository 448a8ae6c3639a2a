import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MlrPredictor, ResidualFeedback } from '../../src/predict/index.ts';
import { Rng } from '../../src/random.ts';
import { col, NAMES, syntheticFeatures } from './synthetic.ts';

test('feedback: off until 20 residuals, rho from persistent residuals, clipped, NaN breaks the chain', () => {
  const fb = new ResidualFeedback(60);
  for (let t = 0; t < 19; t++) fb.observe(0.1);
  assert.equal(fb.factor(0.2), 1); // 18 pairs
  fb.observe(0.1);
  fb.observe(0.1);
  assert.ok(fb.rho > 0.79, String(fb.rho)); // perfectly persistent: clamped at 0.8
  assert.ok(Math.abs(fb.factor(0.2) - (1 + fb.rho * 0.1)) < 1e-12);
  assert.ok(Math.abs(fb.factor(0.05) - (1 + fb.rho * 0.05)) < 1e-12); // clipped when applied
  fb.observe(NaN);
  assert.equal(fb.factor(0.2), 1); // chain broken: no state until the next residual
  // Alternating residuals: negative autocorrelation is clamped to 0 (never amplify noise).
  const alt = new ResidualFeedback(60);
  for (let t = 0; t < 60; t++) alt.observe(t % 2 ? 0.1 : -0.1);
  assert.equal(alt.rho, 0);
  assert.equal(alt.factor(0.2), 1);
  // Independent residuals: rho stays near 0.
  const rng = new Rng(1);
  const iid = new ResidualFeedback(60);
  for (let t = 0; t < 60; t++) iid.observe(0.05 * rng.normal());
  assert.ok(iid.rho < 0.3, String(iid.rho));
});

/**
 * Cost of the flows-like query with measurement noise shaped like the recorded runs: multiplicative, with a
 * persistent (AR(1), phi) component and right-skewed spikes. Returns MLR's mean relative error, scored after 80
 * batches, with and without the two refinements.
 */
function meanError(opts: { regression: 'ols' | 'relative'; feedback: boolean }, phi: number, seed: number): number {
  const rng = new Rng(seed);
  const p = new MlrPredictor({ featureNames: NAMES, ...opts });
  let level = 0;
  let err = 0;
  let m = 0;
  for (let t = 0; t < 500; t++) {
    const f = syntheticFeatures(rng, t, true);
    level = phi * level + Math.sqrt(1 - phi * phi) * 0.08 * rng.normal();
    const spike = rng.next() < 0.03 ? 1 + 2 * rng.next() : 0;
    const c = (2e5 + 90 * f[col('packets')]! + 900 * f[col('n_tuple')]!) * Math.exp(level) * (1 + spike);
    const y = p.predict(f);
    if (t >= 80) {
      err += Math.abs(y - c) / c;
      m++;
    }
    p.observe(f, c);
  }
  return err / m;
}

test('MLR: relative fit and residual feedback beat plain OLS under persistent, skewed multiplicative noise', () => {
  let sumRel = 0;
  let sumBoth = 0;
  for (const seed of [1, 2, 3]) {
    const ols = meanError({ regression: 'ols', feedback: false }, 0.7, seed);
    const rel = meanError({ regression: 'relative', feedback: false }, 0.7, seed);
    const both = meanError({ regression: 'relative', feedback: true }, 0.7, seed);
    assert.ok(rel < ols, `seed ${seed}: relative ${rel} vs OLS ${ols}`);
    assert.ok(both < 0.9 * rel, `seed ${seed}: with feedback ${both} vs without ${rel}`);
    sumRel += rel;
    sumBoth += both;
  }
  // measured: OLS 0.144/0.149/0.168, relative 0.139/0.137/0.158, with feedback 0.109/0.107/0.133
  assert.ok(sumBoth < 0.85 * sumRel, `with feedback ${sumBoth / 3} vs without ${sumRel / 3}`);
});

test('MLR: with independent noise the feedback stays out of the way', () => {
  for (const seed of [4, 5]) {
    const without = meanError({ regression: 'relative', feedback: false }, 0, seed);
    const withFb = meanError({ regression: 'relative', feedback: true }, 0, seed);
    assert.ok(withFb < without * 1.05, `seed ${seed}: with feedback ${withFb} vs without ${without}`);
  }
});
