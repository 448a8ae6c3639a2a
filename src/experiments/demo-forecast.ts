/**
 * Demo, slow-loop part: runs the forecasting experiment (seed 000 Table 1; src/experiments/forecast.ts) on the
 * prepared dataset and keeps its Table 1 rows (model, MSE, MAE, RelMAE, train seconds) and figure files.
 *
 * Scales: tiny trains the seed model and the fast baselines (DLinear, MLP, naive, seasonal naive) for 1 epoch of
 * a few steps, Table 1 only (a smoke test of the whole path);
 * quick is the experiment's own quick mode, Table 1 only (the sweeps and sensitivity analyses are left to
 * `loadcast experiment forecast --quick`); full is the quick mode with the sweeps.
 */
import { useBackend } from '../forecast/index.ts';
import { openDataset } from '../series/index.ts';
import type { DemoScale } from './demo.ts';
import { runForecastExperiment, type ForecastExperimentOptions, type ForecastExperimentResults } from './forecast.ts';

export interface DemoForecastOptions {
  dataset: string;
  outDir: string;
  scale: DemoScale;
  seed: number;
  log: (line: string) => void;
}

export interface Table1Row {
  model: string;
  mse: number;
  mae: number;
  relMae: number;
  medianRelMae: number;
  trainSeconds: number;
  epochs: number;
}

export interface DemoForecast {
  rows: Table1Row[];
  /** Paths of the SVG figures written by the experiment. */
  figures: string[];
  /** The experiment's results (protocol, dataset, table). */
  raw: Pick<ForecastExperimentResults, 'dataset' | 'protocol' | 'table' | 'margin'>;
  /** The `loadcast experiment forecast` flags (besides --data and --out) that reproduce this run. */
  args: string[];
  backend: string;
}

/** Experiment options per demo scale (beyond the dataset, output and seed). */
function forecastScaleOptions(scale: DemoScale): Pick<ForecastExperimentOptions, 'quick' | 'tableOnly' | 'epochs' | 'stepsPerEpoch' | 'hidden' | 'models'> {
  // tiny leaves out the recurrent and attention baselines (the slowest per step); every other scale runs all.
  if (scale === 'tiny') return { quick: true, tableOnly: true, epochs: 1, stepsPerEpoch: 3, hidden: 16, models: ['shared', 'dlinear', 'mlp', 'naive', 'snaive'] };
  if (scale === 'quick') return { quick: true, tableOnly: true };
  return { quick: true, tableOnly: false };
}

export async function runDemoForecast(o: DemoForecastOptions): Promise<DemoForecast> {
  const backend = await useBackend('auto');
  const ds = await openDataset(o.dataset);
  const so = forecastScaleOptions(o.scale);
  const res = await runForecastExperiment({ ds, dataPath: o.dataset, outDir: o.outDir, seed: o.seed, backend, log: (l) => o.log(`    ${l}`), ...so });
  const args = ['--quick', `--seed ${o.seed}`];
  if (so.tableOnly) args.push('--table-only');
  if (so.epochs !== undefined) args.push(`--epochs ${so.epochs}`);
  if (so.stepsPerEpoch !== undefined) args.push(`--steps-per-epoch ${so.stepsPerEpoch}`);
  if (so.hidden !== undefined) args.push(`--hidden ${so.hidden}`);
  if (so.models) args.push(`--models ${so.models.join(',')}`);
  return {
    rows: Object.entries(res.table).map(([model, r]) => ({
      model,
      mse: r.mse,
      mae: r.mae,
      relMae: r.relMae,
      medianRelMae: r.medianRelMae,
      trainSeconds: r.trainSeconds,
      epochs: r.epochs,
    })),
    figures: res.figures,
    raw: { dataset: res.dataset, protocol: res.protocol, table: res.table, margin: res.margin },
    args,
    backend,
  };
}
