/** Evaluation on the test split, forecasting past the end of the data, and loading a checkpoint for a dataset. */
import type { MultiSeries } from '../series/index.ts';
import { createForecaster, forecastZ, type Forecaster } from './forecaster.ts';
import { computeMetrics, type ForecastMetrics } from './metrics.ts';
import { origins, prepare, type Prepared } from './windows.ts';
import { applyWeights, checkDataset, loadCheckpoint, type CheckpointBody } from './checkpoint.ts';

/** Test-split metrics of a forecaster (DESIGN.md protocol). */
export function evaluate(f: Forecaster, ds: MultiSeries, p: Prepared = prepare(ds)): ForecastMetrics {
  const ts = origins(ds, 'test', f.ctx.L, f.ctx.H);
  const pred = forecastZ(f, p, ts, ds.stepSeconds);
  return computeMetrics(ds, p, ts, f.ctx.H, pred);
}

/** Forecasts of steps T..T+H-1 (past the end of the data) in original units: [H][K]. */
export function forecastFuture(f: Forecaster, ds: MultiSeries, p: Prepared = prepare(ds)): number[][] {
  const { H, K } = f.ctx;
  const z = forecastZ(f, p, Int32Array.of(ds.T), ds.stepSeconds);
  const out: number[][] = [];
  for (let h = 0; h < H; h++) {
    const row: number[] = [];
    for (let k = 0; k < K; k++) row.push(z[h * K + k]! * p.scale[k]! + p.mean[k]!);
    out.push(row);
  }
  return out;
}

/** Loads MODEL_DIR for `ds`: verifies checksums and dataset match, rebuilds the model, restores its weights. */
export function loadForecaster(dir: string, ds: MultiSeries): { forecaster: Forecaster; body: CheckpointBody } {
  const { body, weights } = loadCheckpoint(dir);
  checkDataset(body, ds, dir);
  const f = createForecaster(ds, body.config);
  try {
    applyWeights(f, weights, dir);
  } catch (e) {
    f.dispose();
    throw e;
  }
  return { forecaster: f, body };
}
