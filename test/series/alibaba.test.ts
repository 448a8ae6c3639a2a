/** Golden tests on the shared Alibaba 2018 file (16 machines): shapes, split, missing shares, and an independent JS resampling. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { datasetInfo, openDataset, prepareDataset, type DatasetInfo, type MultiSeries, type PrepareReport } from '../../src/series/index.ts';

const USAGE = '../shared/data/cluster/alibaba2018_machine_usage_16machines.csv.gz';
const META = '../shared/data/cluster/alibaba2018_machine_meta.csv.gz';
let dir = '';
let report: PrepareReport;
let info: DatasetInfo;
let ds: MultiSeries;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loadcast-ali-'));
  const out = join(dir, 'ali.duckdb');
  report = await prepareDataset({ source: 'alibaba2018', inputs: [USAGE], meta: META, out });
  info = await datasetInfo(out);
  ds = await openDataset(out);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('prepare + info: T = 2,304 steps of 300 s, K = 80 (16 machines x 5 metrics), split 1612/1843', () => {
  assert.equal(report.T, 2304);
  assert.equal(report.K, 80);
  assert.equal(info.T, 2304);
  assert.equal(info.K, 80);
  assert.equal(info.stepSeconds, 300);
  assert.equal(info.startTime, 0);
  assert.deepEqual(info.metrics, ['cpu', 'mem', 'disk_io', 'net_in', 'net_out']);
  assert.equal(info.entities.length, 16);
  assert.equal(info.entities[0], 'm_1932');
  assert.equal(info.split.trainEnd, 1612);
  assert.equal(info.split.valEnd, 1843);
  assert.equal(info.adjacency.kind, 'topology+statistical');
  assert.ok(info.adjacency.edges > 0);
  assert.equal(info.fingerprint, ds.fingerprint);
});

test('missing shares and masked counts (the file: irregular sampling, two partial machines, 16 disk_io markers)', () => {
  const cells = 2304 * 16;
  const missing = Object.fromEntries(Object.entries(info.missingShare).map(([m, s]) => [m, Math.round(s * cells)]));
  assert.deepEqual(missing, { cpu: 7289, mem: 7289, disk_io: 7291, net_in: 8428, net_out: 8428 });
  assert.equal(info.maskedByReason['abnormal-marker'], 16); // -1 in 6 rows, 101 in 10 rows (0.006 % / 0.010 % of 100,002)
  assert.equal(info.maskedByReason['counter-reset'] ?? 0, 0); // counters never decrease in this file
  assert.equal(info.masked.find((m) => m.metric === 'net_in' && m.reason === 'counter-no-previous-step')?.count, 8428 - 7289);
  // m_1947 covers t = 10..188,370 s only: steps 0..627 observed at most, then missing.
  const k = ds.names.indexOf('m_1947:cpu');
  let last = -1;
  for (let t = 0; t < ds.T; t++) if (ds.mask[t * ds.K + k]) last = t;
  assert.equal(last, Math.floor(188370 / 300));
});

test('step means and counter differences match an independent JS resampling of the raw CSV', () => {
  const text = gunzipSync(readFileSync(USAGE)).toString('utf8').split('\n');
  const header = text[0]!.split(',');
  const col = (n: string): number => header.indexOf(n);
  const sums = new Map<string, { s: number; n: number }>();
  const lastNet = new Map<string, { ts: number; v: number }>();
  for (const line of text.slice(1)) {
    if (!line) continue;
    const f = line.split(',');
    if (f[0] !== 'm_1933' && f[0] !== 'm_1946') continue;
    const ts = Number(f[col('time_stamp')]);
    const step = Math.floor(ts / 300);
    const cpu = Number(f[col('cpu_util_percent')]);
    const key = `${f[0]}:${step}`;
    const e = sums.get(key) ?? { s: 0, n: 0 };
    e.s += cpu;
    e.n++;
    sums.set(key, e);
    const prev = lastNet.get(key);
    const v = Number(f[col('net_in')]);
    if (!prev || ts >= prev.ts) lastNet.set(key, { ts, v });
  }
  let checked = 0;
  for (const m of ['m_1933', 'm_1946']) {
    const kc = ds.names.indexOf(`${m}:cpu`);
    const kn = ds.names.indexOf(`${m}:net_in`);
    for (let t = 0; t < ds.T; t++) {
      const e = sums.get(`${m}:${t}`);
      if (!e) {
        assert.equal(ds.mask[t * ds.K + kc], 0, `${m} step ${t} must be missing`);
        continue;
      }
      assert.ok(Math.abs(ds.values[t * ds.K + kc]! - e.s / e.n) < 1e-9, `${m} cpu step ${t}`);
      const cur = lastNet.get(`${m}:${t}`)!;
      const prev = lastNet.get(`${m}:${t - 1}`);
      if (prev) assert.equal(ds.values[t * ds.K + kn], cur.v - prev.v);
      else assert.equal(ds.mask[t * ds.K + kn], 0);
      checked++;
    }
  }
  assert.ok(checked > 3000, `checked ${checked} steps`);
});

test('topology adjacency from machine_meta: metrics of one machine and same-domain machines are linked; rows sum to 1', () => {
  const a = ds.adjacency;
  for (let i = 0; i < ds.K; i++) {
    let s = 0;
    const cols: number[] = [];
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      s += a.values[p]!;
      cols.push(a.colIdx[p]!);
    }
    assert.ok(Math.abs(s - 1) < 1e-12);
    assert.ok(cols.includes(i), 'self-loop');
    // all 5 metrics of the same machine
    for (let j = 0; j < ds.K; j++) if (ds.entityOf[j] === ds.entityOf[i]) assert.ok(cols.includes(j), `${ds.names[i]} -> ${ds.names[j]}`);
  }
});

test('openDataset channel selection: entities x metrics, adjacency restricted and renormalised', async () => {
  const sel = await openDataset(join(dir, 'ali.duckdb'), { entities: ['m_1933', 'm_1934'], metrics: ['cpu', 'mem'] });
  assert.equal(sel.K, 4);
  assert.deepEqual([...sel.names], ['m_1933:cpu', 'm_1933:mem', 'm_1934:cpu', 'm_1934:mem']);
  const k = ds.names.indexOf('m_1934:mem');
  for (let t = 0; t < ds.T; t += 97) assert.ok(Object.is(sel.values[t * 4 + 3], ds.values[t * ds.K + k]));
  for (let i = 0; i < 4; i++) {
    let s = 0;
    for (let p = sel.adjacency.rowPtr[i]!; p < sel.adjacency.rowPtr[i + 1]!; p++) s += sel.adjacency.values[p]!;
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
  await assert.rejects(openDataset(join(dir, 'ali.duckdb'), { metrics: ['gpu'] }), /unknown metric\(s\) gpu/);
});
