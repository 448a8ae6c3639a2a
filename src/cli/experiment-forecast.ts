/** `loadcast experiment forecast`: seed 000's Table 1, Figs. 2-3 and sensitivity analyses. */
import type { Command } from 'commander';
import { openDataset } from '../series/index.ts';
import { BACKEND_NAMES, MODEL_KINDS, useBackend, type BackendName, type ModelKind } from '../forecast/index.ts';
import { runForecastExperiment } from '../experiments/forecast.ts';
import { formatTable, printJson, progress } from './output.ts';
import { parseNumber } from '../units.ts';
import { UserError } from '../errors.ts';

export function registerExperimentForecast(experiment: Command): void {
  experiment
    .command('forecast')
    .description(
      'Reproduce seed 000\'s evaluation on a prepared dataset, one protocol for every model: Table 1 (all models: ' +
        'z-scale MSE/MAE/RMSE, raw MAPE, RelMAE vs naive, MASE, train time), the hidden-size sweep 32..512 (Fig. 2), ' +
        'error per horizon 1..8 (Fig. 3), environment sensitivity (level shifts, bursts in test inputs) and data ' +
        'sensitivity (masked inputs, noise). Writes results.json, CSVs and SVG figures to --out. --quick: a reduced ' +
        'run (few short epochs, fewer levels) that finishes in minutes.',
    )
    .requiredOption('--data <file>', 'prepared dataset (DuckDB, from `loadcast series prepare`)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--quick', 'reduced run (minutes)')
    .option('--models <list>', `comma-separated subset of ${MODEL_KINDS.join(',')}`)
    .option('--seed <n>', 'random seed', '42')
    .option('--hidden <n>', 'hidden size of the neural models (transformer capped at 64)', '128')
    .option('--epochs <n>', 'maximum epochs (default 30, quick 4)')
    .option('--max-minutes <x>', 'wall-clock cap per model (0 = none; a cap makes reruns timing-dependent)', '0')
    .option('--steps-per-epoch <n>', 'cap on optimiser steps per epoch (default: all windows; quick 25)')
    .option('--patience <n>', 'early stopping patience in epochs (default 4; quick 2)')
    .option('--lr <x>', 'Adam learning rate (default 0.001)')
    .option('--table-only', 'Table 1 only (no sweeps, no sensitivity)')
    .option('--no-figures', 'skip SVG figures')
    .option('--backend <name>', BACKEND_NAMES.join('|'), 'auto')
    .option('--json', 'print results.json to stdout')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const be = await useBackend(String(o.backend) as BackendName);
      const models = o.models
        ? String(o.models).split(',').map((s) => s.trim()).filter(Boolean)
        : undefined;
      for (const m of models ?? []) {
        if (!MODEL_KINDS.includes(m as ModelKind)) throw new UserError('cli.bad-model', `--models: unknown model '${m}'`, `use ${MODEL_KINDS.join(', ')}`);
      }
      const ds = await openDataset(String(o.data));
      const bar = progress('experiment forecast', 1, { json: Boolean(o.json), format: '{label} | epoch {epoch} step {value}/{total} | loss {loss}' });
      const res = await runForecastExperiment({
        ds,
        dataPath: String(o.data),
        outDir: String(o.out),
        quick: Boolean(o.quick),
        models: models as ModelKind[] | undefined,
        seed: parseNumber(String(o.seed), '--seed', { integer: true, min: 0 }),
        hidden: parseNumber(String(o.hidden), '--hidden', { integer: true, min: 1 }),
        epochs: o.epochs !== undefined ? parseNumber(String(o.epochs), '--epochs', { integer: true, min: 0 }) : undefined,
        maxMinutes: parseNumber(String(o.maxMinutes), '--max-minutes', { min: 0 }),
        stepsPerEpoch: o.stepsPerEpoch !== undefined ? parseNumber(String(o.stepsPerEpoch), '--steps-per-epoch', { integer: true, min: 0 }) : undefined,
        patience: o.patience !== undefined ? parseNumber(String(o.patience), '--patience', { integer: true, min: 1 }) : undefined,
        lr: o.lr !== undefined ? parseNumber(String(o.lr), '--lr', { min: 0 }) : undefined,
        tableOnly: Boolean(o.tableOnly),
        figures: o.figures !== false,
        backend: be,
        log: o.json ? undefined : (l) => process.stderr.write(`${l}\n`),
        onStep: (label, s, n, e, l) => {
          bar.setTotal(n);
          bar.update(s, { label, epoch: e, loss: l.toFixed(4) });
        },
      });
      bar.stop();
      if (o.json) {
        printJson(res);
        return;
      }
      const rows: (string | number)[][] = [['model', 'MSE', 'MAE', 'RMSE', 'MAPE %', 'RelMAE', 'MASE', 'med RelMAE', 'tame MAE', 'train s', 's/epoch', 'epochs', 'infer ms']];
      for (const [k, r] of Object.entries(res.table)) {
        rows.push([k, r.mse.toFixed(4), r.mae.toFixed(4), r.rmse.toFixed(4), r.mape.toFixed(2), r.relMae.toFixed(3), r.mase.toFixed(3), r.medianRelMae.toFixed(3), r.tameMae.toFixed(4), r.trainSeconds.toFixed(1), r.secondsPerEpoch.toFixed(2), r.epochs, r.inferenceMs.toFixed(2)]);
      }
      process.stdout.write(`Table 1 on ${res.dataset.path} (K = ${res.dataset.K}, T = ${res.dataset.T}; test windows, horizons 1..${res.protocol.horizon} pooled)\n${formatTable(rows)}\n`);
      if (Object.keys(res.margin).length) {
        process.stdout.write(
          `seed model margin (positive = shared better): ${Object.entries(res.margin)
            .map(([k, m]) => `${k} MSE ${(100 * m.mse).toFixed(1)}% MAE ${(100 * m.mae).toFixed(1)}%`)
            .join('; ')}\n`,
        );
      }
      process.stdout.write(`results: ${String(o.out)}/results.json (+ table1.csv, hidden.csv, horizon.csv, sensitivity.csv, ${res.figures.length} SVG)\n`);
    });
}
