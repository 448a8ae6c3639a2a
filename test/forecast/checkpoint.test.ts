import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ForecastError } from '../../src/errors.ts';
import { evaluate, forecastZ, loadForecaster, makeConfig, origins, prepare, saveCheckpoint, train, useBackend } from '../../src/forecast/index.ts';
import { tinyDataset, TINY } from './helpers.ts';

const ds = tinyDataset();
const p = prepare(ds);

test('checkpoint round trip reproduces forecasts and metrics exactly', async () => {
  await useBackend('wasm');
  const dir = mkdtempSync(path.join(tmpdir(), 'lc-ckpt-'));
  try {
    for (const model of ['shared', 'lstm', 'naive'] as const) {
      const r = train(ds, makeConfig({ ...TINY, model, epochs: 1, lossWeights: model === 'shared' ? 'learned' : 'uniform' }), {}, p);
      const ts = origins(ds, 'test', TINY.lookback, TINY.horizon);
      const y0 = forecastZ(r.forecaster, p, ts, ds.stepSeconds);
      const m0 = evaluate(r.forecaster, ds, p);
      const out = path.join(dir, model);
      saveCheckpoint(out, r.forecaster, ds, { epochs: r.epochs });
      r.forecaster.dispose();
      const { forecaster, body } = loadForecaster(out, ds);
      assert.equal(body.config.model, model);
      assert.deepEqual(forecastZ(forecaster, p, ts, ds.stepSeconds), y0);
      assert.deepEqual(evaluate(forecaster, ds, p), m0);
      forecaster.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt or mismatched checkpoints fail with a ForecastError', async () => {
  await useBackend('wasm');
  const dir = mkdtempSync(path.join(tmpdir(), 'lc-ckpt-'));
  try {
    const r = train(ds, makeConfig({ ...TINY, model: 'dlinear', epochs: 1 }), {}, p);
    saveCheckpoint(dir, r.forecaster, ds, {});
    r.forecaster.dispose();
    const bin = path.join(dir, 'weights.bin');
    const json = path.join(dir, 'model.json');
    const good = readFileSync(bin);
    const goodJson = readFileSync(json, 'utf8');
    // Flipped byte in the weights.
    const bad = Buffer.from(good);
    bad[5] = bad[5]! ^ 0xff;
    writeFileSync(bin, bad);
    assert.throws(() => loadForecaster(dir, ds), (e: unknown) => e instanceof ForecastError && /sha256/.test(e.message));
    writeFileSync(bin, good);
    // Edited JSON (config changed without updating the checksum).
    writeFileSync(json, goodJson.replace('"hidden": 8', '"hidden": 9'));
    assert.throws(() => loadForecaster(dir, ds), (e: unknown) => e instanceof ForecastError && /checksum/.test(e.message));
    // Truncated JSON.
    writeFileSync(json, goodJson.slice(0, 100));
    assert.throws(() => loadForecaster(dir, ds), (e: unknown) => e instanceof ForecastError && /not valid JSON/.test(e.message));
    writeFileSync(json, goodJson);
    // Another dataset (same names, different values) and another shape.
    assert.throws(() => loadForecaster(dir, tinyDataset({ seed: 99 })), (e: unknown) => e instanceof ForecastError && e.code === 'forecast.checkpoint-mismatch');
    assert.throws(() => loadForecaster(dir, tinyDataset({ E: 3 })), (e: unknown) => e instanceof ForecastError && e.code === 'forecast.checkpoint-mismatch');
    assert.throws(() => loadForecaster(path.join(dir, 'nope'), ds), (e: unknown) => e instanceof ForecastError && e.code === 'forecast.no-checkpoint');
    // The intact checkpoint still loads.
    loadForecaster(dir, ds).forecaster.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
