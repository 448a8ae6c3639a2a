import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/random.ts';
import { SeriesError } from '../../src/errors.ts';
import {
  buildMultiSeries,
  identityAdjacency,
  restrictAdjacency,
  selectChannels,
  splitBoundaries,
  WindowIndex,
  zScore,
  type SparseAdjacency,
} from '../../src/series/index.ts';
import { EdgeSet, statisticalEdges, topologyEdges } from '../../src/series/adjacency.ts';
import { gapReport } from '../../src/series/gaps.ts';

function rowSums(a: SparseAdjacency): number[] {
  const K = a.rowPtr.length - 1;
  return Array.from({ length: K }, (_, i) => {
    let s = 0;
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) s += a.values[p]!;
    return s;
  });
}

function dense(a: SparseAdjacency): number[][] {
  const K = a.rowPtr.length - 1;
  const m = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let i = 0; i < K; i++) for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) m[i]![a.colIdx[p]!] = a.values[p]!;
  return m;
}

test('buildMultiSeries: mask from NaN, 70/10/20 split, training stats (population std), constant series', () => {
  const T = 10, K = 3;
  const values = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    values[t * K] = t; // 0..9
    values[t * K + 1] = 5; // constant
    values[t * K + 2] = t % 2 === 0 ? NaN : t; // observed at odd t
  }
  const ds = buildMultiSeries({ values, T, K, names: ['a:x', 'a:y', 'b:x'], stepSeconds: 60, startTime: 600 });
  assert.deepEqual(ds.split, { trainEnd: 7, valEnd: 8 });
  assert.equal(ds.mask[2], 0);
  assert.equal(ds.mask[5], 1);
  assert.deepEqual([...ds.entityOf], ['a', 'a', 'b']);
  assert.deepEqual([...ds.metricOf], ['x', 'y', 'x']);
  // series 0, training steps 0..6: mean 3, population variance 4.
  assert.equal(ds.stats.mean[0], 3);
  assert.equal(ds.stats.std[0], 2);
  assert.equal(ds.stats.constant[0], 0);
  // constant: std stored as 1, flagged.
  assert.equal(ds.stats.constant[1], 1);
  assert.equal(ds.stats.std[1], 1);
  // series 2: training observations 1, 3, 5 -> mean 3, variance 8/3.
  assert.equal(ds.stats.mean[2], 3);
  assert.ok(Math.abs(ds.stats.std[2]! - Math.sqrt(8 / 3)) < 1e-12);
  const z = zScore(ds);
  assert.equal(z[9 * K], 3); // (9 - 3) / 2
  assert.equal(z[9 * K + 1], 0); // constant: x - mean
  assert.ok(Number.isNaN(z[2]!));
  assert.match(ds.fingerprint, /^[0-9a-f]{32}$/);
  // the fingerprint depends on the values
  const v2 = Float64Array.from(values);
  v2[0] = 0.5;
  assert.notEqual(buildMultiSeries({ values: v2, T, K, names: ['a:x', 'a:y', 'b:x'], stepSeconds: 60 }).fingerprint, ds.fingerprint);
});

test('buildMultiSeries rejects bad shapes, a single step, infinite values, empty parts and empty training', () => {
  const names = ['e:m'];
  assert.throws(() => buildMultiSeries({ values: new Float64Array(1), T: 1, K: 1, names, stepSeconds: 1 }), /single time step/);
  assert.throws(() => buildMultiSeries({ values: new Float64Array(3), T: 2, K: 1, names, stepSeconds: 1 }), /expected T x K/);
  assert.throws(() => buildMultiSeries({ values: Float64Array.from([1, Infinity, 2, 3, 4]), T: 5, K: 1, names, stepSeconds: 1 }), /infinite/);
  // T = 3 at 0.7/0.1: validation would be empty.
  assert.throws(() => buildMultiSeries({ values: new Float64Array(3), T: 3, K: 1, names, stepSeconds: 1 }), (e: unknown) => e instanceof SeriesError && /no steps/.test(e.message));
  const allMissingTrain = new Float64Array(20).fill(NaN);
  allMissingTrain[19] = 1;
  assert.throws(() => buildMultiSeries({ values: allMissingTrain, T: 20, K: 1, names, stepSeconds: 1 }), /training part .* no observed value/);
  assert.throws(() => splitBoundaries(100, [0.9, 0.2]), /train \+ validation < 1/);
});

test('splitBoundaries: parts are non-empty, ordered and match floor(T x ratio) (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 20, max: 100_000 }), fc.double({ min: 0.3, max: 0.8, noNaN: true }), fc.double({ min: 0.05, max: 0.15, noNaN: true }), (T, tr, va) => {
      const s = splitBoundaries(T, [tr, va]);
      assert.ok(0 < s.trainEnd && s.trainEnd < s.valEnd && s.valEnd < T);
      assert.ok(Math.abs(s.trainEnd - T * tr) <= 1 && Math.abs(s.valEnd - T * (tr + va)) <= 1);
    }),
    { seed: 84 },
  );
  assert.deepEqual(splitBoundaries(2304), { trainEnd: 1612, valEnd: 1843 });
  assert.deepEqual(splitBoundaries(8640), { trainEnd: 6048, valEnd: 6912 });
  assert.deepEqual(splitBoundaries(10), { trainEnd: 7, valEnd: 8 }); // 0.7 + 0.1 = 0.7999... must not give 7
});

test('WindowIndex: lazy origins, targets inside the part, val/test inputs may reach back L steps (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 30, max: 400 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 12 }), (T, L, H) => {
      const ds = buildMultiSeries({ values: new Float64Array(T).fill(1), T, K: 1, names: ['e:m'], stepSeconds: 1 });
      const bounds = { train: [0, ds.split.trainEnd], val: [ds.split.trainEnd, ds.split.valEnd], test: [ds.split.valEnd, T] } as const;
      for (const part of ['train', 'val', 'test'] as const) {
        const w = new WindowIndex(ds, part, L, H);
        const [lo, hi] = bounds[part];
        const expected = Math.max(0, hi - H - Math.max(lo, L) + 1);
        assert.equal(w.length, expected);
        for (const i of [0, w.length - 1]) {
          if (w.length === 0) break;
          const t = w.origin(i);
          assert.ok(t - L >= 0 && t >= lo && t + H <= hi, `${part} window ${i}: t=${t}`);
          if (part === 'train') assert.ok(t - L >= 0);
        }
        if (w.length > 1) assert.equal(w.origin(1) - w.origin(0), 1);
      }
    }),
    { seed: 97 },
  );
  const ds = buildMultiSeries({ values: new Float64Array(100).fill(1), T: 100, K: 1, names: ['e:m'], stepSeconds: 1 });
  const val = new WindowIndex(ds, 'val', 24, 4);
  assert.equal(val.origin(0), 70); // input [46, 70) lies in training, target [70, 74) in validation
  assert.equal(val.length, 80 - 4 - 70 + 1);
  assert.throws(() => val.origin(val.length), RangeError);
  assert.throws(() => new WindowIndex(ds, 'train', 0, 1), /positive integers/);
});

test('adjacency: identity, topology (entity + failure domain), row-normalised with self-loops', () => {
  const id = identityAdjacency(3);
  assert.deepEqual(dense(id), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  const entityOf = ['m1', 'm1', 'm2', 'm2', 'm3', 'm3'];
  const metricOf = ['cpu', 'mem', 'cpu', 'mem', 'cpu', 'mem'];
  const e = topologyEdges(entityOf, metricOf, new Map([['m1', 'd1'], ['m2', 'd1'], ['m3', 'd2']]));
  const a = e.toAdjacency('topology');
  const m = dense(a);
  // m1:cpu links to itself, m1:mem (same machine) and m2:cpu (same domain, same metric): 3 x 1/3.
  assert.deepEqual(m[0]!.map((v) => Math.round(v * 3)), [1, 1, 1, 0, 0, 0]);
  // m3 is alone in d2: only its own two metrics.
  assert.deepEqual(m[4]!.map((v) => Math.round(v * 2)), [0, 0, 0, 0, 1, 1]);
  for (const s of rowSums(a)) assert.ok(Math.abs(s - 1) < 1e-12);
  // columns sorted within each row (CSR invariant)
  for (let i = 0; i < 6; i++) for (let p = a.rowPtr[i]! + 1; p < a.rowPtr[i + 1]!; p++) assert.ok(a.colIdx[p]! > a.colIdx[p - 1]!);
  // restriction to {m1:cpu, m2:cpu} renormalises: each row 1/2, 1/2
  const r = restrictAdjacency(a, [0, 2]);
  assert.deepEqual(dense(r), [[0.5, 0.5], [0.5, 0.5]]);
});

test('statistical adjacency: top-k |Pearson| on the training part finds the correlated (and anti-correlated) partner', () => {
  const rng = new Rng(3);
  const T = 400, K = 6;
  const values = new Float64Array(T * K);
  for (let t = 0; t < T; t++) {
    const a = rng.next(), b = rng.next(), c = rng.next();
    values[t * K + 0] = a;
    values[t * K + 1] = 10 + 3 * a + 0.01 * rng.next(); // ~ +1 with 0
    values[t * K + 2] = b;
    values[t * K + 3] = -2 * b + 0.01 * rng.next(); // ~ -1 with 2
    values[t * K + 4] = c;
    values[t * K + 5] = t < 200 && t % 7 === 0 ? NaN : rng.next(); // independent, with gaps
  }
  const ds = buildMultiSeries({ values, T, K, names: ['a:0', 'a:1', 'b:0', 'b:1', 'c:0', 'c:1'], stepSeconds: 1 });
  const e = statisticalEdges(values, T, K, ds.split.trainEnd, ds.stats.mean, 1);
  const m = dense(e.toAdjacency('statistical'));
  const best = (i: number): number => m[i]!.map((v, j) => (j === i ? -1 : v)).indexOf(Math.max(...m[i]!.filter((_, j) => j !== i)));
  assert.equal(best(0), 1);
  assert.equal(best(1), 0);
  assert.equal(best(2), 3);
  assert.equal(best(3), 2);
  // weight |r| ~ 1 and self-loop 1 -> about 1/2 each after normalisation
  assert.ok(Math.abs(m[0]![1]! - 0.5) < 0.01);
  // a constant series gets no statistical edge
  const v2 = Float64Array.from(values);
  for (let t = 0; t < T; t++) v2[t * K + 4] = 7;
  const ds2 = buildMultiSeries({ values: v2, T, K, names: ds.names, stepSeconds: 1 });
  const e2 = statisticalEdges(v2, T, K, ds2.split.trainEnd, ds2.stats.mean, 2);
  const m2 = dense(e2.toAdjacency('statistical'));
  assert.deepEqual(m2[4], [0, 0, 0, 0, 1, 0]);
  // matches a direct computation for a larger K (blocked kernel vs naive), including K not a multiple of 4
  const K3 = 11;
  const v3 = new Float64Array(T * K3);
  for (let i = 0; i < v3.length; i++) v3[i] = rng.next() + (i % K3 < 3 ? (i / K3) * 0.01 : 0);
  const mean3 = new Float64Array(K3);
  const n = Math.floor(T * 0.7);
  for (let k = 0; k < K3; k++) { let s = 0; for (let t = 0; t < n; t++) s += v3[t * K3 + k]!; mean3[k] = s / n; }
  const corr = (i: number, j: number): number => {
    let sij = 0, sii = 0, sjj = 0;
    for (let t = 0; t < n; t++) { const x = v3[t * K3 + i]! - mean3[i]!, y = v3[t * K3 + j]! - mean3[j]!; sij += x * y; sii += x * x; sjj += y * y; }
    return Math.abs(sij) / Math.sqrt(sii * sjj);
  };
  const e3 = statisticalEdges(v3, T, K3, n, mean3, 2);
  const a3 = e3.toAdjacency('statistical');
  for (let i = 0; i < K3; i++) {
    const ranked = Array.from({ length: K3 }, (_, j) => j).filter((j) => j !== i).sort((x, y) => corr(i, y) - corr(i, x));
    const cols = Array.from(a3.colIdx.subarray(a3.rowPtr[i]!, a3.rowPtr[i + 1]!));
    for (const j of ranked.slice(0, 2)) assert.ok(cols.includes(j), `row ${i} lacks top neighbour ${j}`);
  }
});

test('EdgeSet keeps the larger weight and is symmetric', () => {
  const e = new EdgeSet(3);
  e.link(0, 1, 0.2);
  e.link(1, 0, 0.6);
  e.link(2, 2, 5); // self-loops are implicit
  const m = dense(e.toAdjacency('x'));
  assert.ok(Math.abs(m[0]![1]! - 0.6 / 1.6) < 1e-12 && Math.abs(m[1]![0]! - 0.6 / 1.6) < 1e-12);
  assert.deepEqual(m[2], [0, 0, 1]);
});

test('selectChannels restricts values, stats and adjacency; rejects unknown names', () => {
  const T = 20, K = 4;
  const values = new Float64Array(T * K).map((_, i) => (i % K) * 100 + Math.floor(i / K));
  const ds = buildMultiSeries({ values, T, K, names: ['m1:cpu', 'm1:mem', 'm2:cpu', 'm2:mem'], stepSeconds: 1, adjacency: topologyEdges(['m1', 'm1', 'm2', 'm2'], ['cpu', 'mem', 'cpu', 'mem']).toAdjacency('topology') });
  const s = selectChannels(ds, { metrics: ['cpu'] });
  assert.equal(s.K, 2);
  assert.deepEqual([...s.names], ['m1:cpu', 'm2:cpu']);
  assert.equal(s.values[1 * 2 + 1], ds.values[1 * 4 + 2]);
  assert.equal(s.stats.mean[1], ds.stats.mean[2]);
  assert.deepEqual(dense(s.adjacency), [[1, 0], [0, 1]]);
  assert.deepEqual(s.split, ds.split);
  assert.throws(() => selectChannels(ds, { entities: ['m9'] }), /unknown entity m9/);
});

test('gapReport: leading, trailing and inner runs', () => {
  const T = 10, K = 2;
  const values = new Float64Array(T * K).fill(1);
  for (const t of [0, 1, 4, 5, 6, 9]) values[t * K] = NaN;
  const ds = buildMultiSeries({ values, T, K, names: ['a:x', 'a:y'], stepSeconds: 1 });
  const g = gapReport(ds);
  assert.deepEqual(g.perSeries[0], { k: 0, observed: 4, missing: 6, leading: 2, trailing: 1, innerRuns: 1, longestRun: 3 });
  assert.equal(g.summary.seriesWithGaps, 1);
  assert.equal(g.summary.longestRunSeries, 'a:x');
});
