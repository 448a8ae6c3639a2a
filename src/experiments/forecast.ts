/**
 * `loadcast experiment forecast`: seed 000's evaluation under one protocol for every model (DESIGN.md):
 * Table 1 (every model: z-scale MSE/MAE/RMSE, raw MAPE, RelMAE, MASE, train time, epochs, inference time),
 * Fig. 2 (hidden size 32..512 of the seed model), Fig. 3 (error per horizon 1..H: every model forecasts all
 * horizons at once, so the sweep reads each horizon of the Table 1 runs), environment sensitivity (level shifts,
 * bursts in the test inputs) and data sensitivity (masked inputs, noise). Writes results.json, CSVs and SVGs.
 * Same seed = same numbers (timings aside), as long as no --max-minutes cap cuts training short.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MultiSeries } from '../series/index.ts';
import {
  MODEL_KINDS,
  computeMetrics,
  forecastZ,
  makeConfig,
  naiveForecast,
  origins,
  prepare,
  train,
  type ForecastConfig,
  type ForecastMetrics,
  type Forecaster,
  type HorizonMetrics,
  type ModelKind,
  type Prepared,
} from '../forecast/index.ts';
import { perturbInputs, type Perturbation } from './forecast-perturb.ts';
import { barChart, lineChart, renderSvg } from '../report/index.ts';

export interface ForecastExperimentOptions {
  ds: MultiSeries;
  dataPath: string;
  outDir: string;
  quick: boolean;
  models?: ModelKind[];
  seed?: number;
  hidden?: number;
  epochs?: number;
  maxMinutes?: number;
  /** Cap on optimiser steps per epoch (default: quick 25, full 0 = all windows). */
  stepsPerEpoch?: number;
  patience?: number;
  lr?: number;
  /** Skip sweeps and sensitivity (Table 1 only). */
  tableOnly?: boolean;
  figures?: boolean;
  backend?: string;
  log?: (line: string) => void;
  onStep?: (label: string, step: number, steps: number, epoch: number, loss: number) => void;
}

/** One model's row of Table 1: the pooled error metrics (rounded to 6 decimals) plus training and timing figures. */
export interface TableRow extends Omit<HorizonMetrics, 'horizon'> {
  medianRelMae: number;
  tameMse: number;
  tameMae: number;
  trainSeconds: number;
  secondsPerEpoch: number;
  epochs: number;
  bestEpoch: number;
  parameters: number;
  inferenceMs: number;
  perHorizon: ForecastMetrics['perHorizon'];
}

export interface ForecastExperimentResults {
  dataset: { path: string; fingerprint: string; T: number; K: number; stepSeconds: number; split: { trainEnd: number; valEnd: number }; constantSeriesExcluded: number; tameSeries: number };
  protocol: { lookback: number; horizon: number; seed: number; quick: boolean; backend?: string; config: Record<string, ForecastConfig> };
  table: Record<string, TableRow>;
  /** Relative margin of the seed model: (baseline - shared) / baseline, per baseline, for MSE and MAE. */
  margin: Record<string, { mse: number; mae: number }>;
  hiddenSweep: { hidden: number; mse: number; mae: number; trainSeconds: number; epochs: number }[];
  horizonSweep: Record<string, { horizon: number; mse: number; mae: number; mape: number; relMae: number }[]>;
  environment: { kind: 'shift' | 'burst'; level: number; results: Record<string, { mse: number; mae: number }> }[];
  data: { kind: 'mask' | 'noise'; level: number; results: Record<string, { mse: number; mae: number }> }[];
  figures: string[];
}

const LOOKBACK = 96;
const HORIZON = 8;

function settings(quick: boolean) {
  return quick
    ? { epochs: 4, stepsPerEpoch: 25, patience: 2, hiddens: [32, 64, 128], shifts: [1, 2], bursts: [0.02], masks: [0.25, 0.5], noises: [0.25, 0.5] }
    : { epochs: 30, stepsPerEpoch: 0, patience: 4, hiddens: [32, 64, 128, 256, 512], shifts: [0.5, 1, 2, 4], bursts: [0.01, 0.02, 0.05], masks: [0.1, 0.2, 0.3, 0.5], noises: [0.1, 0.25, 0.5, 1] };
}

/** Median wall time of one forecast of every series x H steps (one window), ms. */
function inferenceMs(f: Forecaster, p: Prepared, ds: MultiSeries): number {
  const t = Int32Array.of(ds.T);
  forecastZ(f, p, t, ds.stepSeconds);
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    forecastZ(f, p, t, ds.stepSeconds);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[3]!;
}

const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The error metrics of one horizon or of all pooled, rounded to 6 decimals. */
const roundErrors = (m: Omit<HorizonMetrics, 'horizon'>): Omit<HorizonMetrics, 'horizon'> => ({
  mse: r6(m.mse),
  mae: r6(m.mae),
  rmse: r6(m.rmse),
  mape: r6(m.mape),
  relMae: r6(m.relMae),
  mase: r6(m.mase),
});

export async function runForecastExperiment(o: ForecastExperimentOptions): Promise<ForecastExperimentResults> {
  const { ds } = o;
  const log = o.log ?? (() => {});
  const st = settings(o.quick);
  const seed = o.seed ?? 42;
  const models = o.models ?? [...MODEL_KINDS];
  const p = prepare(ds);
  const testTs = origins(ds, 'test', LOOKBACK, HORIZON);
  const naive = naiveForecast(p, testTs, HORIZON);
  const base: Partial<ForecastConfig> = {
    lookback: LOOKBACK,
    horizon: HORIZON,
    hidden: o.hidden ?? 128,
    epochs: o.epochs ?? st.epochs,
    seed,
    patience: o.patience ?? st.patience,
    stepsPerEpoch: o.stepsPerEpoch ?? st.stepsPerEpoch,
    ...(o.lr ? { lr: o.lr } : {}),
    maxMinutes: o.maxMinutes ?? 0,
  };
  mkdirSync(o.outDir, { recursive: true });
  const table: Record<string, TableRow> = {};
  const configs: Record<string, ForecastConfig> = {};
  const trained = new Map<string, Forecaster>();
  let m0: ForecastMetrics | undefined;
  for (const model of models) {
    const cfg = makeConfig({ ...base, model, hidden: model === 'transformer' ? Math.min(base.hidden!, 64) : base.hidden! });
    configs[model] = cfg;
    log(`training ${model} ...`);
    const r = train(ds, cfg, { onStep: (s, n, e, l) => o.onStep?.(model, s, n, e, l) }, p);
    const pred = forecastZ(r.forecaster, p, testTs, ds.stepSeconds);
    const m = computeMetrics(ds, p, testTs, HORIZON, pred, naive);
    m0 ??= m;
    table[model] = {
      ...roundErrors(m),
      medianRelMae: r6(m.medianRelMae),
      tameMse: r6(m.tame.mse),
      tameMae: r6(m.tame.mae),
      trainSeconds: r.trainSeconds,
      secondsPerEpoch: r.secondsPerEpoch,
      epochs: r.epochs,
      bestEpoch: r.bestEpoch,
      parameters: r.parameters,
      inferenceMs: inferenceMs(r.forecaster, p, ds),
      perHorizon: m.perHorizon,
    };
    trained.set(model, r.forecaster);
    log(`  ${model}: MSE ${m.mse.toFixed(4)} MAE ${m.mae.toFixed(4)} RelMAE ${m.relMae.toFixed(3)} (${r.epochs} epochs, ${r.trainSeconds.toFixed(1)} s)`);
  }
  const margin: ForecastExperimentResults['margin'] = {};
  if (table.shared) {
    for (const [k, row] of Object.entries(table)) {
      if (k === 'shared') continue;
      margin[k] = { mse: r6((row.mse - table.shared.mse) / row.mse), mae: r6((row.mae - table.shared.mae) / row.mae) };
    }
  }
  const horizonSweep: ForecastExperimentResults['horizonSweep'] = {};
  for (const [k, row] of Object.entries(table)) {
    horizonSweep[k] = row.perHorizon.map((h) => ({ horizon: h.horizon, mse: r6(h.mse), mae: r6(h.mae), mape: r6(h.mape), relMae: r6(h.relMae) }));
  }

  const hiddenSweep: ForecastExperimentResults['hiddenSweep'] = [];
  const environment: ForecastExperimentResults['environment'] = [];
  const data: ForecastExperimentResults['data'] = [];
  if (!o.tableOnly && models.includes('shared')) {
    for (const hidden of st.hiddens) {
      if (hidden === configs.shared!.hidden) {
        const row = table.shared!;
        hiddenSweep.push({ hidden, mse: row.mse, mae: row.mae, trainSeconds: row.trainSeconds, epochs: row.epochs });
        continue;
      }
      log(`hidden sweep: shared, d = ${hidden} ...`);
      const r = train(ds, { ...configs.shared!, hidden }, { onStep: (s, n, e, l) => o.onStep?.(`shared d=${hidden}`, s, n, e, l) }, p);
      const m = computeMetrics(ds, p, testTs, HORIZON, forecastZ(r.forecaster, p, testTs, ds.stepSeconds), naive);
      r.forecaster.dispose();
      hiddenSweep.push({ hidden, mse: r6(m.mse), mae: r6(m.mae), trainSeconds: r.trainSeconds, epochs: r.epochs });
    }
  }
  if (!o.tableOnly) {
    const from = ds.split.valEnd - LOOKBACK;
    const evalAll = (pp: Prepared): Record<string, { mse: number; mae: number }> => {
      const out: Record<string, { mse: number; mae: number }> = {};
      const nv = naiveForecast(pp, testTs, HORIZON);
      for (const [k, f] of trained) {
        const m = computeMetrics(ds, pp, testTs, HORIZON, forecastZ(f, pp, testTs, ds.stepSeconds), nv);
        out[k] = { mse: r6(m.mse), mae: r6(m.mae) };
      }
      return out;
    };
    // Unperturbed inputs give exactly the Table 1 forecasts: reuse those figures instead of forecasting again.
    const clean = Object.fromEntries([...trained.keys()].map((k) => [k, { mse: table[k]!.mse, mae: table[k]!.mae }]));
    const run = (what: Perturbation, i: number) => evalAll(perturbInputs(p, from, what, seed + 1000 + i));
    environment.push({ kind: 'shift', level: 0, results: clean });
    st.shifts.forEach((lv, i) => (log(`environment: level shift ${lv} z`), environment.push({ kind: 'shift', level: lv, results: run({ shift: lv }, i) })));
    environment.push({ kind: 'burst', level: 0, results: clean });
    st.bursts.forEach((lv, i) => (log(`environment: bursts ${lv}`), environment.push({ kind: 'burst', level: lv, results: run({ burstRate: lv }, 10 + i) })));
    data.push({ kind: 'mask', level: 0, results: clean });
    st.masks.forEach((lv, i) => (log(`data: ${lv * 100}% masked`), data.push({ kind: 'mask', level: lv, results: run({ maskFraction: lv }, 20 + i) })));
    data.push({ kind: 'noise', level: 0, results: clean });
    st.noises.forEach((lv, i) => (log(`data: noise ${lv} z`), data.push({ kind: 'noise', level: lv, results: run({ noise: lv }, 30 + i) })));
  }
  for (const f of trained.values()) f.dispose();

  const results: ForecastExperimentResults = {
    dataset: {
      path: o.dataPath,
      fingerprint: ds.fingerprint,
      T: ds.T,
      K: ds.K,
      stepSeconds: ds.stepSeconds,
      split: ds.split,
      constantSeriesExcluded: m0?.constantSeriesExcluded ?? 0,
      tameSeries: m0?.tame.series ?? 0,
    },
    protocol: { lookback: LOOKBACK, horizon: HORIZON, seed, quick: o.quick, backend: o.backend, config: configs },
    table,
    margin,
    hiddenSweep,
    horizonSweep,
    environment,
    data,
    figures: [],
  };
  writeOutputs(o.outDir, results);
  if (o.figures !== false) results.figures = await writeFigures(o.outDir, results);
  writeFileSync(path.join(o.outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

function csv(rows: (string | number)[][]): string {
  return `${rows.map((r) => r.join(',')).join('\n')}\n`;
}

function writeOutputs(dir: string, r: ForecastExperimentResults): void {
  const cols = ['mse', 'mae', 'rmse', 'mape', 'relMae', 'mase', 'medianRelMae', 'tameMse', 'tameMae', 'trainSeconds', 'secondsPerEpoch', 'epochs', 'parameters', 'inferenceMs'] as const;
  writeFileSync(path.join(dir, 'table1.csv'), csv([['model', ...cols], ...Object.entries(r.table).map(([k, row]) => [k, ...cols.map((c) => row[c])])]));
  writeFileSync(path.join(dir, 'hidden.csv'), csv([['hidden', 'mse', 'mae', 'trainSeconds', 'epochs'], ...r.hiddenSweep.map((h) => [h.hidden, h.mse, h.mae, h.trainSeconds, h.epochs])]));
  const hz: (string | number)[][] = [['model', 'horizon', 'mse', 'mae', 'mape', 'relMae']];
  for (const [k, hs] of Object.entries(r.horizonSweep)) for (const h of hs) hz.push([k, h.horizon, h.mse, h.mae, h.mape, h.relMae]);
  writeFileSync(path.join(dir, 'horizon.csv'), csv(hz));
  const sens: (string | number)[][] = [['kind', 'level', 'model', 'mse', 'mae']];
  for (const e of [...r.environment, ...r.data]) for (const [k, v] of Object.entries(e.results)) sens.push([e.kind, e.level, k, v.mse, v.mae]);
  writeFileSync(path.join(dir, 'sensitivity.csv'), csv(sens));
}

async function writeFigures(dir: string, r: ForecastExperimentResults): Promise<string[]> {
  const out: string[] = [];
  const save = async (name: string, spec: Parameters<typeof renderSvg>[0]) => {
    const file = path.join(dir, name);
    writeFileSync(file, await renderSvg(spec));
    out.push(file);
  };
  const models = Object.keys(r.table);
  await save(
    'table1.svg',
    barChart({
      title: 'Table 1: test error averaged over horizons 1..8 (z scale)',
      categories: models,
      series: [
        { name: 'MSE', values: models.map((m) => r.table[m]!.mse) },
        { name: 'MAE', values: models.map((m) => r.table[m]!.mae) },
      ],
      yLabel: 'error',
    }),
  );
  if (r.hiddenSweep.length) {
    await save(
      'fig2-hidden.svg',
      lineChart({
        title: 'Fig. 2: seed model test MSE vs hidden size',
        x: r.hiddenSweep.map((h) => h.hidden),
        series: [{ name: 'MSE', values: r.hiddenSweep.map((h) => h.mse) }, { name: 'MAE', values: r.hiddenSweep.map((h) => h.mae) }],
        xLabel: 'hidden size d',
        yLabel: 'error (z scale)',
        maxPoints: 0,
      }),
    );
  }
  const H = r.protocol.horizon;
  await save(
    'fig3-horizon.svg',
    lineChart({
      title: 'Fig. 3: test MSE per forecast step',
      x: Array.from({ length: H }, (_, i) => i + 1),
      series: models.map((m) => ({ name: m, values: r.horizonSweep[m]!.map((h) => h.mse) })),
      xLabel: 'horizon (steps)',
      yLabel: 'MSE (z scale)',
      maxPoints: 0,
    }),
  );
  for (const [name, rows, kinds] of [
    ['environment', r.environment, ['shift', 'burst']],
    ['data', r.data, ['mask', 'noise']],
  ] as const) {
    for (const kind of kinds) {
      const sel = (rows as { kind: string; level: number; results: Record<string, { mse: number }> }[]).filter((e) => e.kind === kind);
      if (sel.length < 2) continue;
      const ms = Object.keys(sel[0]!.results);
      await save(
        `${name}-${kind}.svg`,
        lineChart({
          title: `${name} sensitivity: ${kind}`,
          x: sel.map((e) => e.level),
          series: ms.map((m) => ({ name: m, values: sel.map((e) => e.results[m]!.mse) })),
          xLabel: kind === 'shift' ? 'level shift (z)' : kind === 'burst' ? 'burst rate' : kind === 'mask' ? 'fraction masked' : 'noise std (z)',
          yLabel: 'MSE (z scale)',
          maxPoints: 0,
        }),
      );
    }
  }
  return out;
}
