import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useBackend } from '../../src/forecast/index.ts';
import { runForecastExperiment, type ForecastExperimentResults } from '../../src/experiments/forecast.ts';
import { tinyDataset } from './helpers.ts';

/** Everything but wall-clock timings. */
function numbers(r: ForecastExperimentResults): unknown {
  const table = Object.fromEntries(
    Object.entries(r.table).map(([k, v]) => {
      const { trainSeconds: _a, secondsPerEpoch: _b, inferenceMs: _c, ...rest } = v;
      return [k, rest];
    }),
  );
  return { table, margin: r.margin, hidden: r.hiddenSweep.map((h) => [h.hidden, h.mse, h.mae, h.epochs]), horizon: r.horizonSweep, env: r.environment, data: r.data };
}

test('experiment forecast reruns bit-for-bit with the same seed and writes results.json', async () => {
  await useBackend('wasm');
  const ds = tinyDataset({ T: 700 });
  const dirs = [mkdtempSync(path.join(tmpdir(), 'lc-exp-')), mkdtempSync(path.join(tmpdir(), 'lc-exp-'))];
  try {
    const runs: ForecastExperimentResults[] = [];
    for (const outDir of dirs) {
      runs.push(
        await runForecastExperiment({ ds, dataPath: 'tiny', outDir, quick: true, models: ['shared', 'dlinear', 'naive', 'snaive'], hidden: 8, epochs: 1, figures: false }),
      );
    }
    assert.deepEqual(numbers(runs[0]!), numbers(runs[1]!));
    const saved = JSON.parse(readFileSync(path.join(dirs[0]!, 'results.json'), 'utf8')) as ForecastExperimentResults;
    for (const m of ['shared', 'dlinear', 'naive', 'snaive']) {
      for (const key of ['mse', 'mae', 'rmse', 'mape', 'relMae', 'trainSeconds', 'epochs'] as const) {
        assert.equal(typeof saved.table[m]![key], 'number', `table.${m}.${key}`);
      }
    }
    assert.equal(saved.table.naive!.relMae, 1);
    assert.equal(saved.hiddenSweep.length, 3);
    assert.ok(saved.environment.length > 0 && saved.data.length > 0);
    // Perturbed inputs change the errors (the analysis measures something).
    const clean = saved.data.find((d) => d.kind === 'noise' && d.level === 0)!.results.shared!.mse;
    const noisy = saved.data.find((d) => d.kind === 'noise' && d.level === 0.5)!.results.shared!.mse;
    assert.notEqual(clean, noisy);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
