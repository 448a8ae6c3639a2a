/**
 * In-memory construction of a {@link MultiSeries}: split boundaries, training statistics, fingerprint. Used by
 * `openDataset` (after reading a prepared file) and by tests of other modules to build small datasets directly.
 */
import { createHash } from 'node:crypto';
import { SeriesError } from '../errors.ts';
import type { MultiSeries, SparseAdjacency } from './dataset.ts';
import { identityAdjacency } from './adjacency.ts';

/** Default chronological split: 70 % train, 10 % validation, the rest (20 %) test. */
export const DEFAULT_SPLIT: readonly [number, number] = [0.7, 0.1];

/** A series whose training standard deviation is below this cannot be z-scored (DESIGN.md protocol). */
export const CONSTANT_STD = 1e-6;

/**
 * Chronological split boundaries: trainEnd = floor(T x train), valEnd = floor(T x (train + val)) (a tiny
 * tolerance absorbs float noise such as 0.7 + 0.1 = 0.7999...). Throws if any part would be empty.
 */
export function splitBoundaries(T: number, split: readonly [number, number] = DEFAULT_SPLIT): { trainEnd: number; valEnd: number } {
  const [tr, va] = split;
  if (!(tr > 0 && va >= 0 && tr + va < 1)) {
    throw new SeriesError('series.bad-split', `split ${tr},${va}: need train > 0, validation >= 0 and train + validation < 1`, 'Use e.g. --split 0.7,0.1 (the test part is the rest).');
  }
  const trainEnd = Math.floor(T * tr + 1e-9);
  const valEnd = Math.floor(T * (tr + va) + 1e-9);
  if (trainEnd < 1 || valEnd - trainEnd < (va > 0 ? 1 : 0) || T - valEnd < 1) {
    throw new SeriesError(
      'series.empty-split',
      `a split of ${T} time step(s) at ${tr},${va} leaves a part with no steps (train [0,${trainEnd}), validation [${trainEnd},${valEnd}), test [${valEnd},${T}))`,
      'Use a longer input, a smaller --step, or different --split ratios.',
    );
  }
  return { trainEnd, valEnd };
}

/**
 * Per-series mean and population standard deviation (ddof = 0, as sklearn's StandardScaler) over the observed
 * values of steps [0, trainEnd). A series with std < 1e-6, or with no observed training value, is flagged
 * `constant`; its stored std is 1 (so z = x - mean) and a series with no training value gets mean 0.
 */
export function trainingStats(values: Float64Array, T: number, K: number, trainEnd: number): MultiSeries['stats'] {
  const mean = new Float64Array(K);
  const std = new Float64Array(K);
  const constant = new Uint8Array(K);
  const n = new Float64Array(K);
  const end = Math.min(trainEnd, T);
  for (let t = 0; t < end; t++) {
    const row = t * K;
    for (let k = 0; k < K; k++) {
      const v = values[row + k]!;
      if (v === v) {
        n[k]!++;
        mean[k]! += v;
      }
    }
  }
  for (let k = 0; k < K; k++) mean[k] = n[k]! > 0 ? mean[k]! / n[k]! : 0;
  // Two-pass variance: numerically safe for large offsets (Unix-time-like values, memory in KB).
  for (let t = 0; t < end; t++) {
    const row = t * K;
    for (let k = 0; k < K; k++) {
      const v = values[row + k]!;
      if (v === v) {
        const d = v - mean[k]!;
        std[k]! += d * d;
      }
    }
  }
  for (let k = 0; k < K; k++) {
    const s = n[k]! > 0 ? Math.sqrt(std[k]! / n[k]!) : 0;
    if (n[k]! === 0 || s < CONSTANT_STD) {
      constant[k] = 1;
      std[k] = 1;
    } else {
      std[k] = s;
    }
  }
  return { mean, std, constant };
}

/** Mask of observed values (1) for a NaN-for-missing value array. */
export function maskOf(values: Float64Array): Uint8Array {
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) mask[i] = values[i] === values[i] ? 1 : 0;
  return mask;
}

/** SHA-256 (hex, first 32 digits) over shape, values (missing canonicalised), mask, split and adjacency. */
export function fingerprintOf(
  T: number,
  K: number,
  stepSeconds: number,
  values: Float64Array,
  mask: Uint8Array,
  split: { trainEnd: number; valEnd: number },
  adjacency: SparseAdjacency,
): string {
  const h = createHash('sha256');
  h.update(new Float64Array([T, K, stepSeconds, split.trainEnd, split.valEnd]));
  // NaN payloads may differ between producers; hash a copy with every missing value set to 0.
  const CHUNK = 1 << 16;
  const buf = new Float64Array(CHUNK);
  for (let off = 0; off < values.length; off += CHUNK) {
    const n = Math.min(CHUNK, values.length - off);
    for (let i = 0; i < n; i++) buf[i] = mask[off + i] ? values[off + i]! : 0;
    h.update(new Uint8Array(buf.buffer, 0, n * 8));
  }
  h.update(mask);
  h.update(adjacency.kind);
  h.update(new Uint8Array(adjacency.rowPtr.buffer, adjacency.rowPtr.byteOffset, adjacency.rowPtr.byteLength));
  h.update(new Uint8Array(adjacency.colIdx.buffer, adjacency.colIdx.byteOffset, adjacency.colIdx.byteLength));
  h.update(new Uint8Array(adjacency.values.buffer, adjacency.values.byteOffset, adjacency.values.byteLength));
  return h.digest('hex').slice(0, 32);
}

/** Splits `entity:metric` at the LAST colon (entities such as `host:9100` keep theirs); no colon = metric `value`. */
export function splitSeriesName(name: string): { entity: string; metric: string } {
  const i = name.lastIndexOf(':');
  return i < 0 ? { entity: name, metric: 'value' } : { entity: name.slice(0, i), metric: name.slice(i + 1) };
}

export interface BuildOptions {
  /** T x K time-major raw values, NaN = missing. Not copied. */
  values: Float64Array;
  T: number;
  K: number;
  /** `entity:metric` names, length K (entity/metric are split at the last colon unless given). */
  names: readonly string[];
  entityOf?: readonly string[];
  metricOf?: readonly string[];
  stepSeconds: number;
  startTime?: number;
  /** [train, validation] ratios; default [0.7, 0.1]. */
  split?: readonly [number, number];
  /** Explicit boundaries (override `split`), e.g. when read back from a prepared file. */
  boundaries?: { trainEnd: number; valEnd: number };
  /** Default: identity (self-loops only). */
  adjacency?: SparseAdjacency;
  /** Precomputed training statistics (must match values and boundaries). */
  stats?: MultiSeries['stats'];
}

/** Builds a complete, validated MultiSeries from raw values: mask, split, training stats, adjacency, fingerprint. */
export function buildMultiSeries(o: BuildOptions): MultiSeries {
  const { T, K, values } = o;
  if (!Number.isInteger(T) || !Number.isInteger(K) || T < 1 || K < 1) {
    throw new SeriesError('series.bad-shape', `T = ${T}, K = ${K}: need at least one step and one series`);
  }
  if (T < 2) throw new SeriesError('series.single-step', 'the series has a single time step: nothing can be split or forecast', 'Use a longer input or a smaller --step.');
  if (values.length !== T * K) throw new SeriesError('series.bad-shape', `values has ${values.length} entries, expected T x K = ${T * K}`);
  if (o.names.length !== K) throw new SeriesError('series.bad-shape', `names has ${o.names.length} entries, expected K = ${K}`);
  if (!(o.stepSeconds > 0)) throw new SeriesError('series.bad-step', `step ${o.stepSeconds} s must be positive`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === Infinity || v === -Infinity) throw new SeriesError('series.bad-value', `values[${i}] is infinite; use NaN for missing values`);
  }
  const parts = o.names.map(splitSeriesName);
  const entityOf = o.entityOf ?? parts.map((p) => p.entity);
  const metricOf = o.metricOf ?? parts.map((p) => p.metric);
  const split = o.boundaries ?? splitBoundaries(T, o.split ?? DEFAULT_SPLIT);
  const mask = maskOf(values);
  let trainObserved = 0;
  for (let i = 0; i < split.trainEnd * K; i++) trainObserved += mask[i]!;
  if (trainObserved === 0) {
    throw new SeriesError('series.empty-split', `the training part [0, ${split.trainEnd}) holds no observed value`, 'Check the input time range and the --split ratios.');
  }
  const stats = o.stats ?? trainingStats(values, T, K, split.trainEnd);
  const adjacency = o.adjacency ?? identityAdjacency(K);
  if (adjacency.rowPtr.length !== K + 1) throw new SeriesError('series.bad-shape', `adjacency has ${adjacency.rowPtr.length - 1} rows, expected K = ${K}`);
  return {
    T,
    K,
    stepSeconds: o.stepSeconds,
    startTime: o.startTime ?? 0,
    names: [...o.names],
    entityOf: [...entityOf],
    metricOf: [...metricOf],
    values,
    mask,
    split,
    stats,
    adjacency,
    fingerprint: fingerprintOf(T, K, o.stepSeconds, values, mask, split, adjacency),
  };
}
