/**
 * Demo, slow-loop part: runs the forecasting experiment (seed 000 Table 1) on the prepared dataset and turns its
 * results into Table 1 rows (model, MSE, MAE, RelMAE, train seconds) and figure files.
 */
import type { DemoScale } from './demo.ts';

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
  trainSeconds: number;
}

export interface DemoForecast {
  rows: Table1Row[];
  /** Absolute paths of SVG figures written by the experiment. */
  figures: string[];
  /** The experiment's own results (kept in the JSON summary and the report's data block). */
  raw: unknown;
  /** Options it ran with, for the reproduce command. */
  args: string[];
}

/** Throws an error starting with "missing:" while the forecasting experiment does not exist. */
export async function runDemoForecast(_o: DemoForecastOptions): Promise<DemoForecast> {
  throw new Error('missing: the forecasting experiment (src/experiments/forecast*.ts) is not available in this build');
}
