import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildMultiSeries } from '../../src/series/index.ts';
import { computeMetrics, naiveForecast, seasonalNaiveForecast, prepare, origins } from '../../src/forecast/index.ts';

// T = 10, K = 2, step = 43200 s (period 2 steps), split 0.6/0.2: train [0,6), val [6,8), test [8,10).
function ds2(values: number[]) {
  return buildMultiSeries({ values: Float64Array.from(values), T: 10, K: 2, names: ['a:x', 'b:x'], stepSeconds: 43200, split: [0.6, 0.2] });
}

test('hand-computed MSE, MAE, RelMAE, MAPE, MASE on one horizon', () => {
  // series a: 0,2,0,2,... (train mean 1, std 1); series b: 10,10,... constant in training.
  const v: number[] = [];
  for (let t = 0; t < 10; t++) v.push(t % 2 === 0 ? 0 : 2, 10);
  const ds = ds2(v);
  assert.equal(ds.stats.constant[1], 1);
  const p = prepare(ds);
  const ts = origins(ds, 'test', 2, 1); // origins 8, 9
  assert.deepEqual([...ts], [8, 9]);
  // z of a: -1, 1, ...; targets z at t=8: -1, t=9: +1. Naive (last value): t=8 -> z[7] = 1, t=9 -> z[8] = -1.
  const naive = naiveForecast(p, ts, 1);
  assert.deepEqual([...naive], [1, 0, -1, 0]);
  // Model: predict 0 for a (errors 1 and 1), anything for b (excluded from z metrics).
  const pred = Float32Array.from([0, 5, 0, 5]);
  const m = computeMetrics(ds, p, ts, 1, pred, naive);
  assert.equal(m.mse, 1);
  assert.equal(m.mae, 1);
  assert.equal(m.rmse, 1);
  assert.equal(m.relMae, 0.5); // naive errors 2 and 2
  assert.equal(m.constantSeriesExcluded, 1);
  // MASE: in-sample seasonal-naive (period 2) MAE of a on train = 0 -> series left out -> 0 (never NaN).
  assert.equal(m.mase, 0);
  // MAPE (raw): a targets 0 (masked: |y| < 1e-3 x mean|y| = 1e-3) and 2 (pred raw = 1, 50 %);
  // b targets 10: pred raw = 5 + 10 = 15 (b is centred only) -> 50 %.
  assert.equal(m.mapeTargets, 3);
  assert.ok(Math.abs(m.mape - 50) < 1e-9);
  assert.equal(m.perHorizon.length, 1);
  assert.equal(m.perHorizon[0]!.mse, 1);
  assert.equal(m.medianRelMae, 0.5);
  assert.equal(m.tame.series, 1);
});

test('masked targets are ignored and nothing is NaN', () => {
  const v: number[] = [];
  for (let t = 0; t < 10; t++) v.push(t, t * 2 + 1);
  v[8 * 2] = NaN; // series a, t = 8 missing
  const ds = ds2(v);
  const p = prepare(ds);
  const ts = origins(ds, 'test', 2, 1);
  const pred = new Float32Array(ts.length * 2).fill(NaN);
  // Fill only the observed targets; the missing one stays NaN and must not poison the metrics.
  pred[1] = p.z[8 * 2 + 1]!;
  pred[2] = p.z[9 * 2]! + 1;
  pred[3] = p.z[9 * 2 + 1]!;
  const m = computeMetrics(ds, p, ts, 1, pred);
  assert.equal(m.targets, 3);
  assert.ok(Math.abs(m.mse - 1 / 3) < 1e-6);
  for (const x of [m.mse, m.mae, m.mape, m.relMae, m.mase, m.medianRelMae]) assert.ok(Number.isFinite(x));
});

test('seasonal naive repeats the value one period back', () => {
  const v: number[] = [];
  for (let t = 0; t < 10; t++) v.push(t, -t);
  const ds = ds2(v);
  const p = prepare(ds);
  const ts = Int32Array.of(8);
  const sn = seasonalNaiveForecast(p, ts, 3, 2);
  // h=0 -> t=8-2=6; h=1 -> 9-2=7; h=2 -> 10-4=6
  assert.deepEqual([...sn].filter((_, i) => i % 2 === 0), [p.z[6 * 2]!, p.z[7 * 2]!, p.z[6 * 2]!]);
});
