/**
 * Forecasting speed: (1) one forecast of every series x H = 8 steps (one window, all tasks at once) for every
 * model on Bitbrains (K = 1,500) and Alibaba (K = 80) — the target is <= 20 ms for the seed model on Bitbrains;
 * (2) training cost per optimiser step and per epoch for every neural model. Models are trained for a few
 * steps first (inference cost does not depend on the weight values). Prints one JSON object.
 *
 *   npx tsx bench/forecast.ts [--alibaba /tmp/ali.duckdb] [--bitbrains /tmp/bb.duckdb] [--backend wasm|cpu]
 *                             [--models shared,dlinear] [--reps 41] [--datasets bitbrains]
 * Without the flags the datasets are prepared from ../shared/data with `prepareDataset` (default protocol, as
 * `loadcast series prepare` does) into /tmp/loadcast-bench-forecast/ and reused by later runs.
 * Forecast times are per call of forecastZ (window assembly from the prepared z-scores, tensor upload, model,
 * download), after warm-up; for models with an inference path (`infer`) the training-path `forward` is timed too
 * (interleaved, same weights), as `forecastViaForwardMs`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { openDataset, prepareDataset, type MultiSeries, type PrepareOptions } from '../src/series/index.ts';
import { NEURAL_KINDS, MODEL_KINDS, effectiveBatch, forecastZ, makeConfig, prepare, train, useBackend, type BackendName } from '../src/forecast/index.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const backend = await useBackend((arg('--backend') ?? 'wasm') as BackendName);
const TRAIN_STEPS = 12;
const REPS = Number(arg('--reps') ?? 21);
const ONLY_MODELS = arg('--models')?.split(',');
const ONLY_DATASETS = arg('--datasets')?.split(',') ?? ['bitbrains', 'alibaba'];

const DATA_DIR = '/tmp/loadcast-bench-forecast';
const SOURCES: Record<string, Omit<PrepareOptions, 'out'>> = {
  bitbrains: { source: 'bitbrains', inputs: ['../shared/data/cluster/bitbrains_rnd_2013-08_vm001-250.csv.gz'] },
  alibaba: {
    source: 'alibaba2018',
    inputs: ['../shared/data/cluster/alibaba2018_machine_usage_16machines.csv.gz'],
    meta: '../shared/data/cluster/alibaba2018_machine_meta.csv.gz',
  },
};

/** The dataset given by `--<name>`, else the shared file prepared once into DATA_DIR. */
async function load(name: string): Promise<MultiSeries> {
  const given = arg(`--${name}`);
  if (given) return openDataset(given);
  mkdirSync(DATA_DIR, { recursive: true });
  const out = join(DATA_DIR, `${name}.duckdb`);
  if (!existsSync(out)) await prepareDataset({ ...SOURCES[name]!, out });
  return openDataset(out);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function benchDataset(name: string, ds: MultiSeries) {
  const p = prepare(ds);
  const out: Record<string, unknown> = {};
  for (const model of MODEL_KINDS.filter((m) => !ONLY_MODELS || ONLY_MODELS.includes(m))) {
    const cfg = makeConfig({ model, epochs: NEURAL_KINDS.includes(model) ? 1 : 0, stepsPerEpoch: TRAIN_STEPS, hidden: model === 'transformer' ? 64 : 128 });
    let tFirst = 0;
    let tLast = 0;
    let steps = 0;
    const r = train(ds, cfg, {
      onStep: (s, n) => {
        if (s === 2) tFirst = performance.now();
        tLast = performance.now();
        steps = n;
      },
    }, p);
    const msPerStep = steps > 2 ? (tLast - tFirst) / (steps - 2) : 0;
    const B = effectiveBatch(cfg, ds.K);
    const fullSteps = Math.floor((ds.split.trainEnd - cfg.lookback - cfg.horizon + 1) / B);
    const origin = Int32Array.of(ds.T);
    const f = r.forecaster;
    // The same forecaster without its inference path: forecastZ then runs the training-path forward.
    const viaForward = f.model?.infer ? { ...f, model: { ...f.model, infer: undefined } } : null;
    for (let i = 0; i < 3; i++) {
      forecastZ(f, p, origin, ds.stepSeconds);
      if (viaForward) forecastZ(viaForward, p, origin, ds.stepSeconds);
    }
    const times: number[] = [];
    const timesForward: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const t0 = performance.now();
      forecastZ(f, p, origin, ds.stepSeconds);
      times.push(performance.now() - t0);
      if (viaForward) {
        const t1 = performance.now();
        forecastZ(viaForward, p, origin, ds.stepSeconds);
        timesForward.push(performance.now() - t1);
      }
    }
    out[model] = {
      forecastAllSeriesMs: { median: median(times), min: Math.min(...times) },
      ...(viaForward ? { forecastViaForwardMs: { median: median(timesForward), min: Math.min(...timesForward) } } : {}),
      trainMsPerStep: msPerStep,
      batchWindows: B,
      stepsPerEpoch: NEURAL_KINDS.includes(model) ? fullSteps : 0,
      estSecondsPerEpoch: (msPerStep * fullSteps) / 1000,
      parameters: r.parameters,
    };
    r.forecaster.dispose();
  }
  return { dataset: name, T: ds.T, K: ds.K, horizon: 8, lookback: 96, models: out };
}

const results = [];
if (ONLY_DATASETS.includes('bitbrains')) results.push(await benchDataset('bitbrains', await load('bitbrains')));
if (ONLY_DATASETS.includes('alibaba')) results.push(await benchDataset('alibaba', await load('alibaba')));
const bb = results.find((x) => x.dataset === 'bitbrains')?.models as Record<string, { forecastAllSeriesMs: { median: number } }> | undefined;
process.stdout.write(
  `${JSON.stringify(
    {
      bench: 'forecast',
      backend,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg() },
      target: { sharedBitbrainsForecastMs: 20, met: bb?.shared ? bb.shared.forecastAllSeriesMs.median <= 20 : null },
      results,
    },
    null,
    2,
  )}\n`,
);
