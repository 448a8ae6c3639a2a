/**
 * Training loop shared by every neural model: Adam, mini-batches of windows (each with all K tasks), seeded
 * shuffling (src/random.ts), the multi-task loss of eq. 6 with masked targets, early stopping on validation
 * MSE (best weights restored), optional wall-clock cap. Naive/snaive need no training.
 */
import { tf } from './backend.ts';
import type { MultiSeries } from '../series/index.ts';
import { Rng } from '../random.ts';
import { dense2d } from './dense.ts';
import { effectiveBatch, type ForecastConfig } from './config.ts';
import { createForecaster, forecastZ, type Forecaster } from './forecaster.ts';
import { allocBatch, fillBatch, origins, prepare, type Prepared } from './windows.ts';

export interface EpochInfo {
  epoch: number;
  trainLoss: number;
  valMse: number;
  seconds: number;
}

export interface TrainResult {
  forecaster: Forecaster;
  prepared: Prepared;
  history: EpochInfo[];
  epochs: number;
  bestEpoch: number;
  bestValMse: number;
  trainSeconds: number;
  secondsPerEpoch: number;
  parameters: number;
  stoppedBy: 'epochs' | 'patience' | 'time' | 'none';
}

export interface TrainHooks {
  /** Called after every optimiser step (for progress bars). */
  onStep?(step: number, stepsPerEpoch: number, epoch: number, loss: number): void;
  onEpoch?(info: EpochInfo): void;
}

/** Per-task loss weights w_k (eq. 6) for the fixed schemes; normalised to mean 1. */
export function taskWeights(ds: MultiSeries, p: Prepared, scheme: ForecastConfig['lossWeights']): Float32Array {
  const { K } = p;
  const w = new Float32Array(K).fill(1);
  if (scheme !== 'inverse-variance') return w;
  // Inverse variance of each task's one-step change on the training part (the noise a forecast must absorb).
  let sum = 0;
  for (let k = 0; k < K; k++) {
    let s = 0;
    let n = 0;
    for (let t = 1; t < ds.split.trainEnd; t++) {
      const a = p.z[t * K + k]!;
      const b = p.z[(t - 1) * K + k]!;
      if (Number.isFinite(a) && Number.isFinite(b)) {
        s += (a - b) * (a - b);
        n++;
      }
    }
    w[k] = 1 / Math.max(n > 0 ? s / n : 1, 1e-2);
    sum += w[k]!;
  }
  for (let k = 0; k < K; k++) w[k] = (w[k]! * K) / sum;
  return w;
}

/** Masked MSE of z-space forecasts on `part` (non-constant series only). */
export function partMse(ds: MultiSeries, p: Prepared, f: Forecaster, ts: Int32Array): number {
  const { K, H } = f.ctx;
  const pred = forecastZ(f, p, ts, ds.stepSeconds);
  let s = 0;
  let n = 0;
  for (let i = 0; i < ts.length; i++) {
    for (let h = 0; h < H; h++) {
      const tt = ts[i]! + h;
      for (let k = 0; k < K; k++) {
        if (ds.stats.constant[k]) continue;
        const y = p.z[tt * K + k]!;
        if (!Number.isFinite(y)) continue;
        const e = pred[(i * H + h) * K + k]! - y;
        s += e * e;
        n++;
      }
    }
  }
  return n > 0 ? s / n : 0;
}

export function train(ds: MultiSeries, cfg: ForecastConfig, hooks: TrainHooks = {}, prepared?: Prepared): TrainResult {
  const p = prepared ?? prepare(ds);
  const f = createForecaster(ds, cfg);
  const t0 = performance.now();
  const base = { forecaster: f, prepared: p, history: [] as EpochInfo[], bestEpoch: 0, parameters: f.model?.params.count() ?? 0 };
  if (!f.model || cfg.epochs === 0) {
    const val = origins(ds, 'val', cfg.lookback, cfg.horizon);
    return { ...base, epochs: 0, bestValMse: partMse(ds, p, f, val), trainSeconds: 0, secondsPerEpoch: 0, stoppedBy: 'none' };
  }
  const model = f.model;
  const { K, L, H } = f.ctx;
  const trainTs = origins(ds, 'train', L, H);
  const valTs = origins(ds, 'val', L, H);
  const B = Math.min(effectiveBatch(cfg, K), trainTs.length);
  const fullSteps = Math.floor(trainTs.length / B);
  const steps = cfg.stepsPerEpoch > 0 ? Math.min(cfg.stepsPerEpoch, fullSteps) : fullSteps;
  const rng = new Rng(cfg.seed ^ 0x5eed);
  const order = Int32Array.from(trainTs);
  const buf = allocBatch(B, K, L, H);
  const wTask = taskWeights(ds, p, cfg.lossWeights);
  const wRows = new Float32Array(B * K * H);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) wRows.fill(wTask[k]!, (b * K + k) * H, (b * K + k + 1) * H);
  const wRowsT = tf.tensor2d(wRows, [B * K, H]);
  // Learned (uncertainty) weighting, Kendall et al.: w_g = exp(-s_g) per metric group, + s_g / 2 penalty.
  const learned = cfg.lossWeights === 'learned';
  const logVar = learned ? model.params.get('loss.logvar', [f.ctx.groupCount], 'zeros') : null;
  // One-hot metric group of each row (a matMul instead of tf.gather: gather's gradient needs a kernel the wasm
  // backend lacks).
  const G = f.ctx.groupCount;
  const groupRows = new Float32Array(B * K * G);
  for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) groupRows[(b * K + k) * G + f.ctx.groupOf[k]!] = 1;
  const groupRowsT = tf.tensor2d(groupRows, [B * K, G]);
  const groupCounts = new Float32Array(f.ctx.groupCount);
  for (let k = 0; k < K; k++) groupCounts[f.ctx.groupOf[k]!]! += 1 / K;
  const groupFracT = tf.tensor1d(groupCounts);

  const optimizer = tf.train.adam(cfg.lr);
  const vars = model.params.list();
  let best = Number.POSITIVE_INFINITY;
  let bestEpoch = 0;
  let bestSnap = model.params.snapshot();
  let bad = 0;
  let stoppedBy: TrainResult['stoppedBy'] = 'epochs';
  const history: EpochInfo[] = [];
  const deadline = cfg.maxMinutes > 0 ? t0 + cfg.maxMinutes * 60000 : Number.POSITIVE_INFINITY;
  let timeUp = false;
  for (let epoch = 1; epoch <= cfg.epochs && !timeUp; epoch++) {
    const e0 = performance.now();
    // Seeded Fisher-Yates shuffle.
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const tmp = order[i]!;
      order[i] = order[j]!;
      order[j] = tmp;
    }
    let lossSum = 0;
    let done = 0;
    for (let s = 0; s < steps; s++) {
      fillBatch(p, order.subarray(s * B, s * B + B), L, H, buf);
      const lossVal = tf.tidy(() => {
        const x = tf.tensor2d(buf.x, [B * K, L]);
        const tod = tf.tensor2d(buf.tod, [B * K, 2]);
        const y = tf.tensor2d(buf.y, [B * K, H]);
        const m = tf.tensor2d(buf.ym, [B * K, H]);
        const cnt = tf.maximum(tf.sum(m), 1);
        const { value, grads } = tf.variableGrads(() => {
          const pred = model.forward({ x, tod, B });
          const se = tf.mul(tf.mul(tf.square(tf.sub(pred, y)), m), wRowsT);
          if (!logVar) return tf.div(tf.sum(se), cnt) as tf.Scalar;
          // Eq. 6 with learned weights: sum_k exp(-s_g(k)) MSE_k + s_g/2 (per-group precision).
          const prec = dense2d(groupRowsT, tf.reshape(tf.exp(tf.neg(logVar)), [G, 1]) as tf.Tensor2D); // [B*K, 1]
          const data = tf.div(tf.sum(tf.mul(se, prec)), cnt);
          return tf.add(data, tf.mul(0.5, tf.sum(tf.mul(logVar, groupFracT)))) as tf.Scalar;
        }, vars);
        optimizer.applyGradients(grads as unknown as Parameters<typeof optimizer.applyGradients>[0]);
        return value.dataSync()[0]!;
      });
      lossSum += lossVal;
      done++;
      hooks.onStep?.(s + 1, steps, epoch, lossSum / done);
      if (performance.now() > deadline) {
        timeUp = true;
        break;
      }
    }
    const valMse = partMse(ds, p, f, valTs);
    const info: EpochInfo = { epoch, trainLoss: lossSum / Math.max(1, done), valMse, seconds: (performance.now() - e0) / 1000 };
    history.push(info);
    hooks.onEpoch?.(info);
    if (valMse < best - 1e-6) {
      best = valMse;
      bestEpoch = epoch;
      bestSnap = model.params.snapshot();
      bad = 0;
    } else if (++bad >= cfg.patience) {
      stoppedBy = 'patience';
      break;
    }
  }
  if (timeUp) stoppedBy = 'time';
  model.params.restore(bestSnap);
  optimizer.dispose();
  wRowsT.dispose();
  groupRowsT.dispose();
  groupFracT.dispose();
  const trainSeconds = (performance.now() - t0) / 1000;
  return {
    ...base,
    history,
    epochs: history.length,
    bestEpoch,
    bestValMse: best,
    trainSeconds,
    secondsPerEpoch: history.length ? history.reduce((s, h) => s + h.seconds, 0) / history.length : 0,
    stoppedBy,
  };
}
