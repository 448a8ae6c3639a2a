/** `loadcast forecast train|eval|predict`: the seed-000 forecaster and its baselines on a prepared dataset. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { openDataset } from '../series/index.ts';
import {
  BACKEND_NAMES,
  MODEL_KINDS,
  evaluate,
  forecastFuture,
  loadForecaster,
  makeConfig,
  saveCheckpoint,
  train,
  useBackend,
  type BackendName,
  type ForecastConfig,
  type ForecastMetrics,
  type ModelKind,
} from '../forecast/index.ts';
import { formatTable, printJson, progress } from './output.ts';
import { parseNumber } from '../units.ts';

interface CommonFlags {
  data: string;
  backend: string;
  json?: boolean;
}

/** `auto|wasm|cpu|tensorflow` for the --backend help (useBackend rejects any other name with a hint). */
const BACKEND_CHOICES = BACKEND_NAMES.join('|');

const f3 = (x: number): string => x.toFixed(3);

/** Metrics as an aligned table (per horizon + average). */
function metricsTable(m: ForecastMetrics): string {
  const rows: (string | number)[][] = [['horizon', 'MSE', 'MAE', 'RMSE', 'MAPE %', 'RelMAE', 'MASE']];
  for (const h of m.perHorizon) rows.push([h.horizon, f3(h.mse), f3(h.mae), f3(h.rmse), h.mape.toFixed(2), f3(h.relMae), f3(h.mase)]);
  rows.push(['avg', f3(m.mse), f3(m.mae), f3(m.rmse), m.mape.toFixed(2), f3(m.relMae), f3(m.mase)]);
  return (
    `${formatTable(rows)}\n` +
    `median per-series RelMAE ${f3(m.medianRelMae)}; tame series (|z| <= 10 in test): ${m.tame.series}, MSE ${f3(m.tame.mse)}, MAE ${f3(m.tame.mae)}\n` +
    `constant-in-training series left out of z-scale metrics: ${m.constantSeriesExcluded}; ${m.windows} test windows, ${m.targets} targets\n` +
    'MSE/MAE/RMSE/MASE on the z scale (training statistics); MAPE on the raw scale (near-zero targets masked).'
  );
}

export function registerForecast(program: Command): void {
  const fc = program
    .command('forecast')
    .description(
      'Multi-task forecasting of cluster metrics (seed 000): the shared-representation model and its baselines, ' +
        'trained and evaluated on a dataset written by `loadcast series prepare`, under one protocol (70/10/20 ' +
        'chronological split, z-score with training statistics, look-back L, horizons 1..H).',
    );

  fc.command('train')
    .description(
      'Train a model and write a checkpoint (config, weights, normalisation statistics, dataset fingerprint, ' +
        'sha256 checksums) to --out. Adam, early stopping on validation MSE, fixed seed = identical numbers. ' +
        'Models: shared (the seed model), dlinear, mlp (channel-independent), lstm, bilstm, transformer ' +
        '(channel-mixing), naive (last value), snaive (value one day earlier).',
    )
    .requiredOption('--data <file>', 'prepared dataset (DuckDB)')
    .requiredOption('--model <kind>', MODEL_KINDS.join('|'))
    .requiredOption('--out <dir>', 'checkpoint directory (MODEL_DIR)')
    .option('--lookback <n>', 'input steps L', '96')
    .option('--horizon <n>', 'forecast steps H (1..H at once)', '8')
    .option('--hidden <n>', 'hidden size d', '128')
    .option('--epochs <n>', 'maximum epochs', '30')
    .option('--seed <n>', 'random seed (weights, shuffling)', '42')
    .option('--batch-size <n>', 'windows per batch (0 = about 1024 task rows)', '0')
    .option('--lr <x>', 'Adam learning rate', '0.001')
    .option('--patience <n>', 'early stopping patience (epochs)', '4')
    .option('--max-minutes <x>', 'wall-clock cap on training (0 = none)', '0')
    .option('--steps-per-epoch <n>', 'cap on optimiser steps per epoch (0 = all windows)', '0')
    .option('--loss-weights <w>', 'eq. 6 task weights: uniform|inverse-variance|learned', 'uniform')
    .option('--no-graph', 'shared model: disable graph propagation (eqs. 3-4), for ablation')
    .option('--low-rank <n>', 'shared model: rank of the learned adjacency (0 = none)', '4')
    .option('--backend <name>', `${BACKEND_CHOICES} (tensorflow = tfjs-node, if installed)`, 'auto')
    .option('--json', 'print the training report as JSON')
    .action(async (o: CommonFlags & Record<string, string | boolean | undefined>) => {
      const be = await useBackend(o.backend as BackendName);
      const int = (flag: string, v: unknown, min = 0) => parseNumber(String(v), flag, { integer: true, min });
      const cfg: ForecastConfig = makeConfig({
        model: String(o.model) as ModelKind,
        lookback: int('--lookback', o.lookback, 2),
        horizon: int('--horizon', o.horizon, 1),
        hidden: int('--hidden', o.hidden, 1),
        epochs: int('--epochs', o.epochs),
        seed: int('--seed', o.seed),
        batchSize: int('--batch-size', o.batchSize),
        lr: parseNumber(String(o.lr), '--lr', { min: 0 }),
        patience: int('--patience', o.patience, 1),
        maxMinutes: parseNumber(String(o.maxMinutes), '--max-minutes', { min: 0 }),
        stepsPerEpoch: int('--steps-per-epoch', o.stepsPerEpoch),
        lossWeights: String(o.lossWeights) as ForecastConfig['lossWeights'],
        graph: o.graph !== false,
        lowRank: int('--low-rank', o.lowRank),
      });
      const ds = await openDataset(o.data);
      const bar = progress(`train ${cfg.model}`, cfg.epochs, { json: o.json, format: 'epoch {value}/{total} | step {step} | loss {loss} | val {val} | ETA {eta_formatted}' });
      let val = '-';
      const r = train(ds, cfg, {
        onStep: (s, n, epoch, loss) => bar.update(epoch - 1 + s / n, { step: `${s}/${n}`, loss: loss.toFixed(4), val }),
        onEpoch: (e) => {
          val = e.valMse.toFixed(4);
          bar.update(e.epoch, { step: '-', loss: e.trainLoss.toFixed(4), val });
        },
      });
      bar.stop();
      const training = {
        backend: be,
        epochs: r.epochs,
        bestEpoch: r.bestEpoch,
        bestValMse: r.bestValMse,
        trainSeconds: r.trainSeconds,
        secondsPerEpoch: r.secondsPerEpoch,
        parameters: r.parameters,
        stoppedBy: r.stoppedBy,
        history: r.history,
      };
      saveCheckpoint(o.out as string, r.forecaster, ds, training);
      r.forecaster.dispose();
      if (o.json) printJson({ model: cfg.model, out: o.out, dataset: ds.fingerprint, config: cfg, ...training });
      else {
        process.stdout.write(
          `trained ${cfg.model} on ${ds.K} series (${ds.T} steps, fingerprint ${ds.fingerprint}) with backend ${be}\n` +
            `${r.epochs} epoch(s) (${r.stoppedBy}), best epoch ${r.bestEpoch}, validation MSE ${r.bestValMse.toFixed(4)}, ` +
            `${r.trainSeconds.toFixed(1)} s (${r.secondsPerEpoch.toFixed(2)} s/epoch), ${r.parameters} parameters\n` +
            `checkpoint: ${o.out}\n`,
        );
      }
    });

  fc.command('eval')
    .description('Evaluate a checkpoint on the test split: MSE, MAE, RMSE (z scale), MAPE (raw), RelMAE (vs naive), MASE, per horizon and averaged.')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--data <file>', 'the prepared dataset it was trained on')
    .option('--backend <name>', BACKEND_CHOICES, 'auto')
    .option('--json', 'print metrics as JSON')
    .action(async (o: CommonFlags & { model: string }) => {
      await useBackend(o.backend as BackendName);
      const ds = await openDataset(o.data);
      const { forecaster, body } = loadForecaster(o.model, ds);
      const m = evaluate(forecaster, ds);
      forecaster.dispose();
      if (o.json) printJson({ model: body.config.model, config: body.config, ...m });
      else process.stdout.write(`${body.config.model} on ${o.data} (test split)\n${metricsTable(m)}\n`);
    });

  fc.command('predict')
    .description('Forecast the H steps past the end of the data, in original units (CSV: step, time, then one column per series).')
    .requiredOption('--model <dir>', 'checkpoint directory')
    .requiredOption('--data <file>', 'the prepared dataset')
    .option('--out <file>', 'write the CSV here instead of stdout')
    .option('--backend <name>', BACKEND_CHOICES, 'auto')
    .option('--json', 'print {names, times, values[h][k]} as JSON')
    .action(async (o: CommonFlags & { model: string; out?: string }) => {
      await useBackend(o.backend as BackendName);
      const ds = await openDataset(o.data);
      const { forecaster } = loadForecaster(o.model, ds);
      const y = forecastFuture(forecaster, ds);
      forecaster.dispose();
      const times = y.map((_, h) => ds.startTime + (ds.T + h) * ds.stepSeconds);
      if (o.json && !o.out) {
        printJson({ names: ds.names, stepSeconds: ds.stepSeconds, times, values: y });
        return;
      }
      const esc = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const lines = [['step', 'time', ...ds.names.map(esc)].join(',')];
      y.forEach((row, h) => lines.push([ds.T + h, times[h], ...row.map((v) => (Number.isFinite(v) ? String(v) : ''))].join(',')));
      const csv = `${lines.join('\n')}\n`;
      if (o.out) {
        writeFileSync(o.out, csv);
        if (o.json) printJson({ out: o.out, steps: y.length, series: ds.K });
        else process.stdout.write(`wrote ${y.length} steps x ${ds.K} series to ${o.out}\n`);
      } else process.stdout.write(csv);
    });
}
