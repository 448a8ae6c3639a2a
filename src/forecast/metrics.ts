/**
 * Test metrics exactly per DESIGN.md "Forecasting protocol". Forecasts arrive in z space as [n, H, K]
 * (origin i, horizon h, task k: index (i*H + h)*K + k).
 *
 * - MSE, MAE, RMSE on the z scale, pooled over every observed target of every non-constant series (series
 *   constant in training are left out and counted in `constantSeriesExcluded`).
 * - MAPE (percent) on the raw scale, over all series, masking targets with |y| < max(1e-3 x the series' mean |y|
 *   in training, 1e-6); 0 with `mapeTargets` = 0 when nothing is left (never NaN or infinite).
 * - RelMAE = MAE(model) / MAE(naive last value) on the same targets.
 * - MASE = mean over targets of |e| / (in-sample MAE of the seasonal-naive forecast of that series on the training
 *   part, period one day), z scale, series with a zero scale left out.
 * Each per horizon and overall (pooled over horizons 1..H, which equals their mean: every horizon has the same
 * windows). Plus the median over series of per-series RelMAE, and MSE/MAE over "tame" series (all observed test
 * values within |z| <= 10).
 */
import type { MultiSeries } from '../series/index.ts';
import type { Prepared } from './windows.ts';

export interface HorizonMetrics {
  horizon: number;
  mse: number;
  mae: number;
  rmse: number;
  mape: number;
  relMae: number;
  mase: number;
}

export interface ForecastMetrics extends Omit<HorizonMetrics, 'horizon'> {
  perHorizon: HorizonMetrics[];
  medianRelMae: number;
  tame: { series: number; mse: number; mae: number };
  constantSeriesExcluded: number;
  targets: number;
  mapeTargets: number;
  windows: number;
}

/** Seasonal period in steps: one day. */
export function seasonPeriod(stepSeconds: number): number {
  return Math.max(1, Math.round(86400 / stepSeconds));
}

/** Naive (last observed value) forecasts [n, H, K] in z space. */
export function naiveForecast(p: Prepared, ts: Int32Array, H: number): Float32Array {
  const { K } = p;
  const out = new Float32Array(ts.length * H * K);
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    for (let h = 0; h < H; h++) {
      for (let k = 0; k < K; k++) out[(i * H + h) * K + k] = t > 0 ? p.zf[(t - 1) * K + k]! : 0;
    }
  }
  return out;
}

/** Seasonal-naive forecasts: the value one period (a day) before each target, from observed history only. */
export function seasonalNaiveForecast(p: Prepared, ts: Int32Array, H: number, period: number): Float32Array {
  const { K } = p;
  const out = new Float32Array(ts.length * H * K);
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    for (let h = 0; h < H; h++) {
      const back = period * Math.ceil((h + 1) / period);
      const src = t + h - back;
      for (let k = 0; k < K; k++) {
        out[(i * H + h) * K + k] = src >= 0 ? p.zf[src * K + k]! : t > 0 ? p.zf[(t - 1) * K + k]! : 0;
      }
    }
  }
  return out;
}

/** Per-series in-sample seasonal-naive MAE on the training part (z scale); falls back to period 1 if too short. */
export function maseScale(p: Prepared, trainEnd: number, period: number): Float64Array {
  const { K } = p;
  const P = trainEnd > period + 1 ? period : 1;
  const out = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    let n = 0;
    for (let t = P; t < trainEnd; t++) {
      const a = p.z[t * K + k]!;
      const b = p.z[(t - P) * K + k]!;
      if (Number.isFinite(a) && Number.isFinite(b)) {
        s += Math.abs(a - b);
        n++;
      }
    }
    out[k] = n > 0 ? s / n : 0;
  }
  return out;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const safe = (num: number, den: number): number => (den > 0 && Number.isFinite(num / den) ? num / den : 0);

/** Error sums over a set of targets: squared, absolute, naive absolute, scaled (MASE) and percentage errors. */
interface ErrorSums {
  sq: number;
  ab: number;
  n: number;
  nv: number;
  ms: number;
  mn: number;
  mp: number;
  mpn: number;
}

const emptySums = (): ErrorSums => ({ sq: 0, ab: 0, n: 0, nv: 0, ms: 0, mn: 0, mp: 0, mpn: 0 });

/** The metrics of one set of sums (one horizon, or all horizons pooled). */
function errorMetrics(a: ErrorSums): Omit<HorizonMetrics, 'horizon'> {
  return {
    mse: safe(a.sq, a.n),
    mae: safe(a.ab, a.n),
    rmse: Math.sqrt(safe(a.sq, a.n)),
    mape: 100 * safe(a.mp, a.mpn),
    relMae: safe(a.ab, a.nv),
    mase: safe(a.ms, a.mn),
  };
}

export function computeMetrics(
  ds: MultiSeries,
  p: Prepared,
  ts: Int32Array,
  H: number,
  pred: Float32Array,
  naive: Float32Array = naiveForecast(p, ts, H),
): ForecastMetrics {
  const { K, T } = p;
  const period = seasonPeriod(ds.stepSeconds);
  const scaleM = maseScale(p, ds.split.trainEnd, period);
  // MAPE thresholds from training mean |y| (raw).
  const eps = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let s = 0;
    let n = 0;
    for (let t = 0; t < ds.split.trainEnd; t++) {
      const v = ds.values[t * K + k]!;
      if (ds.mask[t * K + k] && Number.isFinite(v)) {
        s += Math.abs(v);
        n++;
      }
    }
    eps[k] = Math.max(1e-3 * (n > 0 ? s / n : 0), 1e-6);
  }
  // Tame series: every observed test value within |z| <= 10.
  const tame = new Uint8Array(K);
  let constant = 0;
  for (let k = 0; k < K; k++) {
    if (ds.stats.constant[k]) {
      constant++;
      continue;
    }
    let ok = 1;
    for (let t = ds.split.valEnd; t < T && ok; t++) {
      const z = p.z[t * K + k]!;
      if (Number.isFinite(z) && Math.abs(z) > 10) ok = 0;
    }
    tame[k] = ok;
  }
  const hs = Array.from({ length: H }, emptySums);
  const serAb = new Float64Array(K);
  const serNv = new Float64Array(K);
  let tameSq = 0;
  let tameAb = 0;
  let tameN = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    for (let h = 0; h < H; h++) {
      const acc = hs[h]!;
      const tt = t + h;
      if (tt >= T) continue;
      for (let k = 0; k < K; k++) {
        const y = p.z[tt * K + k]!;
        if (!Number.isFinite(y)) continue;
        const j = (i * H + h) * K + k;
        const e = pred[j]! - y;
        // MAPE on the raw scale (all series).
        const yRaw = ds.values[tt * K + k]!;
        if (Math.abs(yRaw) >= eps[k]!) {
          const fRaw = pred[j]! * p.scale[k]! + p.mean[k]!;
          acc.mp += Math.abs(fRaw - yRaw) / Math.abs(yRaw);
          acc.mpn++;
        }
        if (ds.stats.constant[k]) continue;
        const ae = Math.abs(e);
        const ne = Math.abs(naive[j]! - y);
        acc.sq += e * e;
        acc.ab += ae;
        acc.nv += ne;
        acc.n++;
        if (scaleM[k]! > 0) {
          acc.ms += ae / scaleM[k]!;
          acc.mn++;
        }
        serAb[k]! += ae;
        serNv[k]! += ne;
        if (tame[k]) {
          tameSq += e * e;
          tameAb += ae;
          tameN++;
        }
      }
    }
  }
  const per: HorizonMetrics[] = hs.map((a, h) => ({ horizon: h + 1, ...errorMetrics(a) }));
  const tot = hs.reduce(
    (s, a) => ({ sq: s.sq + a.sq, ab: s.ab + a.ab, n: s.n + a.n, nv: s.nv + a.nv, ms: s.ms + a.ms, mn: s.mn + a.mn, mp: s.mp + a.mp, mpn: s.mpn + a.mpn }),
    emptySums(),
  );
  const rel: number[] = [];
  for (let k = 0; k < K; k++) if (!ds.stats.constant[k] && serNv[k]! > 0) rel.push(serAb[k]! / serNv[k]!);
  let tameSeries = 0;
  for (let k = 0; k < K; k++) tameSeries += tame[k]!;
  return {
    ...errorMetrics(tot),
    perHorizon: per,
    medianRelMae: median(rel),
    tame: { series: tameSeries, mse: safe(tameSq, tameN), mae: safe(tameAb, tameN) },
    constantSeriesExcluded: constant,
    targets: tot.n,
    mapeTargets: tot.mpn,
    windows: ts.length,
  };
}
