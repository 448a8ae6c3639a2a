import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../src/forecast/backend.ts';
import {
  MODEL_KINDS,
  NEURAL_KINDS,
  createForecaster,
  forecastZ,
  makeConfig,
  origins,
  partMse,
  prepare,
  train,
  useBackend,
  type LossWeighting,
} from '../../src/forecast/index.ts';
import { tinyDataset, TINY } from './helpers.ts';

const ds = tinyDataset();
const p = prepare(ds);

test('every neural model reduces its training loss in one short epoch, without leaking tensors', async () => {
  await useBackend('wasm');
  const trainTs = origins(ds, 'train', TINY.lookback, TINY.horizon);
  for (const model of NEURAL_KINDS) {
    const before = tf.memory().numTensors;
    const cfg = makeConfig({ ...TINY, model, epochs: 1, lr: 3e-3, seed: 1 });
    const untrained = createForecaster(ds, cfg);
    const mse0 = partMse(ds, p, untrained, trainTs);
    untrained.dispose();
    const r = train(ds, cfg, {}, p);
    const mse1 = partMse(ds, p, r.forecaster, trainTs);
    forecastZ(r.forecaster, p, origins(ds, 'test', TINY.lookback, TINY.horizon), ds.stepSeconds);
    r.forecaster.dispose();
    assert.ok(mse1 < mse0, `${model}: training MSE ${mse0} -> ${mse1} did not go down`);
    assert.equal(tf.memory().numTensors, before, `${model} leaked tensors`);
  }
});

test('same seed gives identical forecasts; another seed differs', async () => {
  await useBackend('wasm');
  const ts = origins(ds, 'test', TINY.lookback, TINY.horizon);
  const run = (seed: number) => {
    const r = train(ds, makeConfig({ ...TINY, model: 'shared', epochs: 2, seed }), {}, p);
    const y = forecastZ(r.forecaster, p, ts, ds.stepSeconds);
    r.forecaster.dispose();
    return y;
  };
  const a = run(11);
  const b = run(11);
  const c = run(12);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('loss weightings (uniform, inverse-variance, learned) all train', async () => {
  await useBackend('wasm');
  for (const lossWeights of ['uniform', 'inverse-variance', 'learned'] as LossWeighting[]) {
    const r = train(ds, makeConfig({ ...TINY, model: 'shared', epochs: 1, lossWeights }), {}, p);
    assert.ok(Number.isFinite(r.history[0]!.trainLoss));
    assert.ok(Number.isFinite(r.bestValMse));
    r.forecaster.dispose();
  }
});

test('naive and snaive need no training and forecast every model kind', async () => {
  await useBackend('wasm');
  for (const model of MODEL_KINDS.filter((m) => !NEURAL_KINDS.includes(m))) {
    const r = train(ds, makeConfig({ ...TINY, model }), {}, p);
    assert.equal(r.epochs, 0);
    assert.ok(r.bestValMse > 0);
    r.forecaster.dispose();
  }
});

test('wasm and cpu backends give the same forecasts for the same seed', async () => {
  const ts = origins(ds, 'test', TINY.lookback, TINY.horizon);
  const run = async (be: 'wasm' | 'cpu') => {
    await useBackend(be);
    const f = createForecaster(ds, makeConfig({ ...TINY, model: 'shared', seed: 3 }));
    const y = forecastZ(f, p, ts, ds.stepSeconds);
    f.dispose();
    return y;
  };
  const a = await run('cpu');
  const b = await run('wasm');
  await useBackend('wasm');
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  assert.ok(maxDiff < 1e-4, `max |cpu - wasm| = ${maxDiff}`);
});
