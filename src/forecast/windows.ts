/**
 * Windows over a MultiSeries for training and evaluation (DESIGN.md "Forecasting protocol"): inputs are the L
 * steps [t-L, t), targets the H steps [t, t+H), all z-scored with training statistics. Missing inputs are imputed
 * with the last observed value (forward fill in z space, 0 = the training mean before any observation; no look-
 * ahead); missing targets are masked. Row layout of a batch: row r = b*K + k (window b, task k).
 */
import { WindowIndex, type MultiSeries, type Part } from '../series/index.ts';
import { ForecastError } from '../errors.ts';

export type { Part };

/** Z-scored data prepared once per dataset. */
export interface Prepared {
  readonly T: number;
  readonly K: number;
  /** z-scored values, NaN where missing (T x K time-major). */
  readonly z: Float32Array;
  /** forward-filled z (0 before the first observation). */
  readonly zf: Float32Array;
  readonly mask: Uint8Array;
  /** Std used for z-scoring (1 for constant series, which are only centred). */
  readonly scale: Float64Array;
  readonly mean: Float64Array;
  readonly stepSeconds: number;
  readonly startTime: number;
}

export function prepare(ds: MultiSeries): Prepared {
  const { T, K } = ds;
  const z = new Float32Array(T * K);
  const zf = new Float32Array(T * K);
  const scale = new Float64Array(K);
  for (let k = 0; k < K; k++) scale[k] = ds.stats.constant[k] || !(ds.stats.std[k]! > 1e-6) ? 1 : ds.stats.std[k]!;
  const last = new Float32Array(K);
  for (let t = 0; t < T; t++) {
    for (let k = 0; k < K; k++) {
      const i = t * K + k;
      const v = ds.values[i]!;
      if (ds.mask[i] && Number.isFinite(v)) {
        const zz = (v - ds.stats.mean[k]!) / scale[k]!;
        z[i] = zz;
        last[k] = zz;
      } else z[i] = NaN;
      zf[i] = last[k]!;
    }
  }
  return { T, K, z, zf, mask: ds.mask, scale, mean: ds.stats.mean, stepSeconds: ds.stepSeconds, startTime: ds.startTime };
}

/** Forecast origins t (first target step) whose targets [t, t+H) lie inside `part` and whose input has L steps. */
export function origins(ds: MultiSeries, part: Part, L: number, H: number): Int32Array {
  const w = new WindowIndex(ds, part, L, H);
  if (w.length === 0) {
    const { trainEnd, valEnd } = ds.split;
    const [lo, hi] = part === 'train' ? [0, trainEnd] : part === 'val' ? [trainEnd, valEnd] : [valEnd, ds.T];
    throw new ForecastError(
      'forecast.too-short',
      `the ${part} split has no complete window (needs ${L} input + ${H} target steps; ${part} is steps [${lo}, ${hi}))`,
      'use a shorter --lookback/--horizon or a longer dataset',
    );
  }
  const out = new Int32Array(w.length);
  for (let i = 0; i < out.length; i++) out[i] = w.first + i;
  return out;
}

/** Host buffers of one batch. */
export interface BatchBuffers {
  x: Float32Array; // [B*K, L]
  y: Float32Array; // [B*K, H]
  ym: Float32Array; // [B*K, H]
  tod: Float32Array; // [B*K, 2]
}

export function allocBatch(B: number, K: number, L: number, H: number): BatchBuffers {
  return {
    x: new Float32Array(B * K * L),
    y: new Float32Array(B * K * H),
    ym: new Float32Array(B * K * H),
    tod: new Float32Array(B * K * 2),
  };
}

/**
 * Fills `buf` with windows at origins `ts` (length B). Targets past the end of the data (forecasting the real
 * future) are masked.
 */
export function fillBatch(p: Prepared, ts: ArrayLike<number>, L: number, H: number, buf: BatchBuffers): void {
  const { K, T } = p;
  const B = ts.length;
  for (let b = 0; b < B; b++) {
    const t = ts[b]!;
    const day = ((p.startTime + t * p.stepSeconds) % 86400) / 86400;
    const s = Math.sin(2 * Math.PI * day);
    const c = Math.cos(2 * Math.PI * day);
    // Inputs time-major (contiguous reads of zf rows; the strided side is the write).
    const x0 = b * K * L;
    for (let j = 0; j < L; j++) {
      const tt = t - L + j;
      const zo = tt * K;
      if (tt < 0) for (let k = 0; k < K; k++) buf.x[x0 + k * L + j] = 0;
      else for (let k = 0; k < K; k++) buf.x[x0 + k * L + j] = p.zf[zo + k]!;
    }
    for (let k = 0; k < K; k++) {
      const r = b * K + k;
      const yo = r * H;
      for (let h = 0; h < H; h++) {
        const tt = t + h;
        const v = tt < T ? p.z[tt * K + k]! : NaN;
        const ok = Number.isFinite(v);
        buf.y[yo + h] = ok ? v : 0;
        buf.ym[yo + h] = ok ? 1 : 0;
      }
      buf.tod[r * 2] = s;
      buf.tod[r * 2 + 1] = c;
    }
  }
}
