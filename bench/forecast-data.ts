/**
 * Minimal loaders for the two shared cluster datasets, used by bench/forecast.ts and the forecast tests only
 * when `loadcast series prepare` output is not given. Same protocol as src/series: 300 s grid means, invalid
 * markers (-1, 101 for Alibaba disk io; cpu_cores = 0 rows for Bitbrains) missing, Alibaba net_in/out
 * differenced (cumulative counters), adjacency = all metrics of the same machine/VM (row-normalised, self-loops).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { buildMultiSeries, type MultiSeries, type SparseAdjacency } from '../src/series/index.ts';

function entityAdjacency(entityOf: readonly string[]): SparseAdjacency {
  const K = entityOf.length;
  const byEntity = new Map<string, number[]>();
  entityOf.forEach((e, k) => (byEntity.get(e) ?? byEntity.set(e, []).get(e)!).push(k));
  const rowPtr = new Int32Array(K + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  for (let k = 0; k < K; k++) {
    const nb = byEntity.get(entityOf[k]!)!;
    for (const c of nb) {
      cols.push(c);
      vals.push(1 / nb.length);
    }
    rowPtr[k + 1] = cols.length;
  }
  return { kind: 'topology', rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) };
}

function grid(
  rows: { e: string; t: number; v: number[] }[],
  metrics: string[],
  step: number,
  t0: number,
  T: number,
  diff: boolean[],
): MultiSeries {
  const entities = [...new Set(rows.map((r) => r.e))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const eIdx = new Map(entities.map((e, i) => [e, i]));
  const M = metrics.length;
  const K = entities.length * M;
  const sum = new Float64Array(T * K);
  const cnt = new Float64Array(T * K);
  for (const r of rows) {
    const s = Math.floor((r.t - t0) / step);
    if (s < 0 || s >= T) continue;
    const base = eIdx.get(r.e)! * M;
    for (let m = 0; m < M; m++) {
      const v = r.v[m]!;
      if (Number.isFinite(v)) {
        sum[s * K + base + m] += v;
        cnt[s * K + base + m]++;
      }
    }
  }
  const values = new Float64Array(T * K);
  for (let i = 0; i < T * K; i++) values[i] = cnt[i]! > 0 ? sum[i]! / cnt[i]! : NaN;
  for (let k = 0; k < K; k++) {
    if (!diff[k % M]) continue;
    let prev = NaN;
    for (let t = 0; t < T; t++) {
      const v = values[t * K + k]!;
      values[t * K + k] = Number.isFinite(v) && Number.isFinite(prev) ? v - prev : NaN;
      if (Number.isFinite(v)) prev = v;
    }
  }
  const names: string[] = [];
  for (const e of entities) for (const m of metrics) names.push(`${e}:${m}`);
  const entityOf = names.map((n) => n.slice(0, n.lastIndexOf(':')));
  return buildMultiSeries({ values, T, K, names, stepSeconds: step, startTime: t0, adjacency: entityAdjacency(entityOf) });
}

function lines(file: string): string[] {
  return gunzipSync(readFileSync(file)).toString('utf8').split('\n');
}

export function loadAlibaba(file = '../shared/data/cluster/alibaba2018_machine_usage_16machines.csv.gz'): MultiSeries {
  const ls = lines(file);
  const rows: { e: string; t: number; v: number[] }[] = [];
  for (let i = 1; i < ls.length; i++) {
    const f = ls[i]!.split(',');
    if (f.length < 9) continue;
    const num = (s: string, lo: number, hi: number) => {
      const v = s === '' ? NaN : Number(s);
      return v < lo || v > hi ? NaN : v;
    };
    rows.push({
      e: f[0]!,
      t: Number(f[1]),
      v: [num(f[2]!, 0, 100), num(f[3]!, 0, 100), num(f[8]!, 0, 100), num(f[6]!, 0, 100), num(f[7]!, 0, 100)],
    });
  }
  return grid(rows, ['cpu', 'mem', 'disk_io', 'net_in', 'net_out'], 300, 0, 2304, [false, false, false, true, true]);
}

export function loadBitbrains(file = '../shared/data/cluster/bitbrains_rnd_2013-08_vm001-250.csv.gz'): MultiSeries {
  const ls = lines(file);
  const rows: { e: string; t: number; v: number[] }[] = [];
  let tMin = Infinity;
  let tMax = -Infinity;
  for (let i = 1; i < ls.length; i++) {
    const f = ls[i]!.split(',');
    if (f.length < 12) continue;
    const t = Number(f[1]);
    tMin = Math.min(tMin, t);
    tMax = Math.max(tMax, t);
    const off = Number(f[2]) === 0;
    const v = [5, 7, 8, 9, 10, 11].map((j) => (off ? NaN : Number(f[j])));
    rows.push({ e: `vm${f[0]}`, t, v });
  }
  const t0 = Math.floor(tMin / 300) * 300;
  const T = Math.floor((tMax - t0) / 300) + 1;
  return grid(rows, ['cpu_pct', 'mem_kb', 'disk_read', 'disk_write', 'net_rx', 'net_tx'], 300, t0, T, [false, false, false, false, false, false]);
}
