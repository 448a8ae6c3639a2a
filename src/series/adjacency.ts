/**
 * Sparse task adjacency (seed 000, section III: tasks that are related share information). Three kinds:
 *  - identity: self-loops only;
 *  - topology: series of the same entity are linked (all metrics of one machine), and, when a failure domain
 *    is known per entity (Alibaba machine_meta `failure_domain_1`), the same metric of entities in the same
 *    domain is linked;
 *  - statistical: for each series, the top-k other series by absolute Pearson correlation on the training
 *    part (weight |r|), symmetrised (an edge kept by either end is kept for both).
 * Combinations (`topology+statistical`) take the union, with the larger weight where both have an edge. Every
 * matrix gets a self-loop of weight 1 and is row-normalised (each row sums to 1).
 */
import { SeriesError } from '../errors.ts';
import type { SparseAdjacency } from './dataset.ts';

export const ADJACENCY_KINDS = ['identity', 'topology', 'statistical'] as const;
export type AdjacencyKind = (typeof ADJACENCY_KINDS)[number];

/** Parses `topology`, `statistical`, `identity` or a `+`-joined combination. */
export function parseAdjacencyKind(text: string): AdjacencyKind[] {
  const parts = text.split('+').map((s) => s.trim()).filter(Boolean);
  const bad = parts.filter((p) => !(ADJACENCY_KINDS as readonly string[]).includes(p));
  if (parts.length === 0 || bad.length > 0) {
    throw new SeriesError('series.bad-adjacency', `--adjacency '${text}': unknown kind ${bad.map((b) => `'${b}'`).join(', ') || '(empty)'}`, `Use ${ADJACENCY_KINDS.join(', ')} or a '+'-joined combination such as topology+statistical.`);
  }
  return [...new Set(parts)] as AdjacencyKind[];
}

/** Undirected weighted edge set over K nodes (no self-loops), keyed by row * K + col. */
export class EdgeSet {
  readonly K: number;
  private readonly w = new Map<number, number>();
  constructor(K: number) {
    this.K = K;
  }
  /** Adds i--j (both directions) keeping the larger weight. */
  link(i: number, j: number, weight: number): void {
    if (i === j || !(weight > 0)) return;
    const a = i * this.K + j;
    const b = j * this.K + i;
    this.w.set(a, Math.max(this.w.get(a) ?? 0, weight));
    this.w.set(b, Math.max(this.w.get(b) ?? 0, weight));
  }
  merge(other: EdgeSet): void {
    for (const [key, weight] of other.w) this.w.set(key, Math.max(this.w.get(key) ?? 0, weight));
  }
  get size(): number {
    return this.w.size;
  }
  /** CSR with self-loops (weight 1) and each row divided by its sum. */
  toAdjacency(kind: string): SparseAdjacency {
    const K = this.K;
    const keys = [...this.w.keys()].sort((x, y) => x - y);
    const rowPtr = new Int32Array(K + 1);
    for (const key of keys) rowPtr[Math.floor(key / K) + 1]!++;
    for (let i = 0; i < K; i++) rowPtr[i + 1]! += rowPtr[i]! + 1; // +1: the self-loop
    const colIdx = new Int32Array(rowPtr[K]!);
    const values = new Float64Array(rowPtr[K]!);
    const fill = Int32Array.from(rowPtr.subarray(0, K));
    // Keys are sorted, so each row's columns arrive in order; the self-loop is inserted at its place.
    const selfDone = new Uint8Array(K);
    const put = (i: number, j: number, v: number): void => {
      const p = fill[i]!++;
      colIdx[p] = j;
      values[p] = v;
    };
    for (const key of keys) {
      const i = Math.floor(key / K);
      const j = key - i * K;
      if (!selfDone[i] && j > i) {
        put(i, i, 1);
        selfDone[i] = 1;
      }
      put(i, j, this.w.get(key)!);
    }
    for (let i = 0; i < K; i++) if (!selfDone[i]) put(i, i, 1);
    return normaliseRows({ kind, rowPtr, colIdx, values });
  }
}

/** Divides every row by its sum (rows of an adjacency always hold a positive self-loop). */
export function normaliseRows(a: SparseAdjacency): SparseAdjacency {
  const values = Float64Array.from(a.values);
  const K = a.rowPtr.length - 1;
  for (let i = 0; i < K; i++) {
    let s = 0;
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) s += values[p]!;
    if (s > 0) for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) values[p]! /= s;
  }
  return { kind: a.kind, rowPtr: a.rowPtr, colIdx: a.colIdx, values };
}

/** Self-loops only. */
export function identityAdjacency(K: number): SparseAdjacency {
  return new EdgeSet(K).toAdjacency('identity');
}

/**
 * Topology edges: every pair of series of one entity; and, for entities with a known domain, the same metric
 * across entities of that domain.
 */
export function topologyEdges(entityOf: readonly string[], metricOf: readonly string[], domainOf?: ReadonlyMap<string, string>): EdgeSet {
  const K = entityOf.length;
  const e = new EdgeSet(K);
  const byEntity = groupIndices(entityOf);
  for (const ks of byEntity.values()) for (let a = 0; a < ks.length; a++) for (let b = a + 1; b < ks.length; b++) e.link(ks[a]!, ks[b]!, 1);
  if (domainOf) {
    const keyOf = entityOf.map((ent, k) => {
      const d = domainOf.get(ent);
      return d === undefined ? '' : `${d}\u0000${metricOf[k]}`;
    });
    for (const [key, ks] of groupIndices(keyOf)) {
      if (key === '') continue;
      for (let a = 0; a < ks.length; a++) for (let b = a + 1; b < ks.length; b++) e.link(ks[a]!, ks[b]!, 1);
    }
  }
  return e;
}

function groupIndices(keys: readonly string[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  keys.forEach((key, k) => {
    const list = m.get(key);
    if (list) list.push(k);
    else m.set(key, [k]);
  });
  return m;
}

/**
 * Statistical edges: top-k |Pearson r| per series on steps [0, trainEnd). Missing values are imputed with the
 * series' training mean, so r is the Pearson correlation of the mean-imputed series (exactly the cosine of the
 * centred, zero-filled vectors); constant series correlate with nothing. Cost O(K^2 x trainEnd), done as a
 * blocked Gram product on a K-major copy.
 */
export function statisticalEdges(
  values: Float64Array,
  T: number,
  K: number,
  trainEnd: number,
  mean: Float64Array,
  topK: number,
  onProgress?: (fraction: number) => void,
): EdgeSet {
  const n = Math.min(trainEnd, T);
  // Centred, unit-norm rows, series-major (K x n), float64 for exact-enough ranking.
  const z = new Float64Array(K * n);
  const norm = new Float64Array(K);
  for (let t = 0; t < n; t++) {
    const row = t * K;
    for (let k = 0; k < K; k++) {
      const v = values[row + k]!;
      if (v === v) z[k * n + t] = v - mean[k]!;
    }
  }
  for (let k = 0; k < K; k++) {
    let s = 0;
    const o = k * n;
    for (let t = 0; t < n; t++) s += z[o + t]! * z[o + t]!;
    norm[k] = Math.sqrt(s);
  }
  for (let k = 0; k < K; k++) {
    // Relative threshold: a series with (numerically) no variation gets no statistical edge.
    const inv = norm[k]! > 1e-12 ? 1 / norm[k]! : 0;
    const o = k * n;
    for (let t = 0; t < n; t++) z[o + t]! *= inv;
  }
  const r = gramAbs(z, K, n, onProgress);
  const e = new EdgeSet(K);
  const kk = Math.min(topK, K - 1);
  if (kk <= 0) return e;
  const idx = new Int32Array(K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) idx[j] = j;
    const row = i * K;
    // Partial selection of the kk largest |r| (ties broken by lower index, so the result is deterministic).
    const order = Array.from(idx).filter((j) => j !== i && r[row + j]! > 1e-12);
    order.sort((a, b) => r[row + b]! - r[row + a]! || a - b);
    for (let q = 0; q < Math.min(kk, order.length); q++) e.link(i, order[q]!, r[row + order[q]!]!);
  }
  return e;
}

/** |Z Z^T| for row-major Z (K x n), full K x K result; 4x4 register blocking. */
function gramAbs(z: Float64Array, K: number, n: number, onProgress?: (fraction: number) => void): Float64Array {
  const out = new Float64Array(K * K);
  const K4 = K - (K % 4);
  for (let i = 0; i < K; i += 4) {
    for (let j = i; j < K; j += 4) {
      if (i < K4 && j < K4) {
        const a0 = i * n, a1 = a0 + n, a2 = a1 + n, a3 = a2 + n;
        const b0 = j * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let t = 0; t < n; t++) {
          const x0 = z[a0 + t]!, x1 = z[a1 + t]!, x2 = z[a2 + t]!, x3 = z[a3 + t]!;
          const y0 = z[b0 + t]!, y1 = z[b1 + t]!, y2 = z[b2 + t]!, y3 = z[b3 + t]!;
          s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
          s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
          s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
          s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
        }
        const s = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
        for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) {
          const v = Math.abs(s[a * 4 + b]!);
          out[(i + a) * K + j + b] = v;
          out[(j + b) * K + i + a] = v;
        }
      } else {
        for (let a = i; a < Math.min(i + 4, K); a++) for (let b = j; b < Math.min(j + 4, K); b++) {
          let s = 0;
          for (let t = 0; t < n; t++) s += z[a * n + t]! * z[b * n + t]!;
          out[a * K + b] = Math.abs(s);
          out[b * K + a] = Math.abs(s);
        }
      }
    }
    if (onProgress && (i & 63) === 0) onProgress(1 - ((K - i) * (K - i)) / (K * K));
  }
  return out;
}

/**
 * The adjacency restricted to the series `keep` (indices into the original K, in the new order), each row
 * renormalised. Restricting a row-normalised matrix and renormalising equals restricting the raw weights and
 * normalising, because normalisation is a per-row scale.
 */
export function restrictAdjacency(a: SparseAdjacency, keep: readonly number[]): SparseAdjacency {
  const K = a.rowPtr.length - 1;
  const newIndex = new Int32Array(K).fill(-1);
  keep.forEach((k, i) => (newIndex[k] = i));
  const rowPtr = new Int32Array(keep.length + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  keep.forEach((k, i) => {
    const row: [number, number][] = [];
    for (let p = a.rowPtr[k]!; p < a.rowPtr[k + 1]!; p++) {
      const j = newIndex[a.colIdx[p]!]!;
      if (j >= 0) row.push([j, a.values[p]!]);
    }
    row.sort((x, y) => x[0] - y[0]);
    for (const [j, v] of row) {
      cols.push(j);
      vals.push(v);
    }
    rowPtr[i + 1] = cols.length;
  });
  return normaliseRows({ kind: a.kind, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) });
}

/** Number of off-diagonal non-zeros (directed), i.e. edges other than self-loops. */
export function offDiagonalEdges(a: SparseAdjacency): number {
  let n = 0;
  const K = a.rowPtr.length - 1;
  for (let i = 0; i < K; i++) for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) if (a.colIdx[p] !== i) n++;
  return n;
}
