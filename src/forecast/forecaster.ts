/**
 * A forecaster bound to a dataset shape: the config, the model context derived from the dataset (tasks, metric
 * groups, adjacency) and, for neural kinds, the TF.js model. Forecasts are z-space [n, H, K].
 */
import { tf } from './backend.ts';
import type { MultiSeries } from '../series/index.ts';
import { NEURAL_KINDS, effectiveBatch, type ForecastConfig } from './config.ts';
import { createModel, type ModelContext, type NeuralForecaster } from './models/index.ts';
import { allocBatch, fillBatch, type Prepared } from './windows.ts';
import { naiveForecast, seasonalNaiveForecast, seasonPeriod } from './metrics.ts';

export interface Forecaster {
  readonly cfg: ForecastConfig;
  readonly ctx: ModelContext;
  readonly groups: string[];
  /** null for naive / snaive. */
  readonly model: NeuralForecaster | null;
  dispose(): void;
}

export function metricGroups(ds: MultiSeries): { groups: string[]; groupOf: Int32Array } {
  const groups = [...new Set(ds.metricOf)].sort();
  const idx = new Map(groups.map((g, i) => [g, i]));
  return { groups, groupOf: Int32Array.from(ds.metricOf.map((m) => idx.get(m)!)) };
}

export function createForecaster(ds: MultiSeries, cfg: ForecastConfig): Forecaster {
  const { groups, groupOf } = metricGroups(ds);
  const ctx: ModelContext = {
    K: ds.K,
    L: cfg.lookback,
    H: cfg.horizon,
    hidden: cfg.hidden,
    groupOf,
    groupCount: groups.length,
    adjacency: ds.adjacency,
    patch: cfg.patch,
    lowRank: cfg.lowRank,
    graph: cfg.graph,
    graphDim: cfg.graphDim,
  };
  const model = NEURAL_KINDS.includes(cfg.model) ? createModel(cfg, ctx) : null;
  return {
    cfg,
    ctx,
    groups,
    model,
    dispose() {
      if (model) {
        model.dispose();
        model.params.dispose();
      }
    },
  };
}

/** Forecasts for every origin in `ts` (z space, [n, H, K]). */
export function forecastZ(f: Forecaster, p: Prepared, ts: Int32Array, stepSeconds: number): Float32Array {
  const { K, L, H } = f.ctx;
  if (f.cfg.model === 'naive') return naiveForecast(p, ts, H);
  if (f.cfg.model === 'snaive') return seasonalNaiveForecast(p, ts, H, seasonPeriod(stepSeconds));
  const model = f.model!;
  const B = Math.max(1, Math.min(ts.length, effectiveBatch(f.cfg, K) * 4));
  const out = new Float32Array(ts.length * H * K);
  const buf = allocBatch(B, K, L, H);
  for (let s = 0; s < ts.length; s += B) {
    const n = Math.min(B, ts.length - s);
    const sub = ts.subarray(s, s + n);
    fillBatch(p, sub, L, H, buf);
    const y = tf.tidy(() => {
      const x = tf.tensor2d(buf.x.subarray(0, n * K * L), [n * K, L]);
      const tod = tf.tensor2d(buf.tod.subarray(0, n * K * 2), [n * K, 2]);
      return model.infer ? model.infer({ x, tod, B: n }) : model.forward({ x, tod, B: n });
    });
    const data = y.dataSync() as Float32Array;
    y.dispose();
    // [n*K, H] (row b*K+k) -> [n, H, K]
    for (let b = 0; b < n; b++) {
      for (let k = 0; k < K; k++) {
        const r = (b * K + k) * H;
        for (let h = 0; h < H; h++) out[((s + b) * H + h) * K + k] = data[r + h]!;
      }
    }
  }
  return out;
}
