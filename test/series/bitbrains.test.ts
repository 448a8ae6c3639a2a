/** Golden tests on the shared Bitbrains file (250 VMs x 6 metrics); prepared once in `before`. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetInfo, openDataset, prepareDataset, selectChannels, WindowIndex, zScore, type DatasetInfo, type MultiSeries, type PrepareReport } from '../../src/series/index.ts';
import { openDb } from '../../src/series/db.ts';

const FILE = '../shared/data/cluster/bitbrains_rnd_2013-08_vm001-250.csv.gz';
let dir = '';
let out = '';
let report: PrepareReport;
let info: DatasetInfo;
let ds: MultiSeries;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loadcast-bb-'));
  out = join(dir, 'bb.duckdb');
  report = await prepareDataset({ source: 'bitbrains', inputs: [FILE], out });
  info = await datasetInfo(out);
  ds = await openDataset(out);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const METRICS = ['cpu_usage_pct', 'mem_usage_kb', 'disk_read_kbps', 'disk_write_kbps', 'net_rx_kbps', 'net_tx_kbps'];

test('prepare + info: T = 8,640 steps of 300 s, K = 1,500 (250 VMs x 6 metrics), split 6048/6912', () => {
  assert.equal(report.T, 8640);
  assert.equal(report.K, 1500);
  assert.equal(info.T, 8640);
  assert.equal(info.K, 1500);
  assert.equal(info.stepSeconds, 300);
  assert.equal(info.startTime, 1375308000); // 2013-07-31 22:00:00 UTC, first sample 22:02:56
  assert.deepEqual(info.metrics, METRICS);
  assert.equal(info.entities.length, 250);
  assert.deepEqual(info.entities.slice(0, 3), ['1', '2', '3']);
  assert.equal(info.split.trainEnd, 6048);
  assert.equal(info.split.valEnd, 6912);
  assert.equal(ds.names[6], '2:cpu_usage_pct');
  assert.equal(info.adjacency.kind, 'topology+statistical');
  // every VM links its 6 metrics (15 pairs x 2 directions x 250) plus statistical edges
  assert.ok(info.adjacency.edges >= 250 * 30, `${info.adjacency.edges}`);
});

test('missing shares: VM-off rows (cpu_cores = 0) are the only masked samples; 32,048 of 2,160,000 steps per metric', () => {
  for (const m of METRICS) assert.equal(Math.round(info.missingShare[m]! * 250 * 8640), 32048, m);
  assert.deepEqual(info.maskedByReason, { 'vm-off': 40113 * 6 });
  assert.equal(info.observedValues, 1500 * 8640 - 6 * 32048);
});

test('VMs 20 and 82: the zero-filled second stream (cpu_cores = 0) is masked, the real stream is kept value for value', async () => {
  const db = await openDb(':memory:');
  let real: { vm: number; t: number; v: number; tx: number }[];
  try {
    const r = await db.conn.runAndReadAll(`SELECT CAST(vm_id AS INTEGER) AS vm, CAST(floor((timestamp_s - 1375308000) / 300) AS INTEGER) AS t, cpu_usage_pct AS v, net_tx_kbps AS tx
      FROM read_csv('${FILE}', header = true) WHERE vm_id IN (20, 82) AND cpu_cores > 0 ORDER BY vm, t`);
    real = r.getRowObjectsJS() as typeof real;
  } finally {
    db.close();
  }
  for (const vm of [20, 82]) {
    const rows = real.filter((x) => x.vm === vm);
    const k = ds.names.indexOf(`${vm}:cpu_usage_pct`);
    const ktx = ds.names.indexOf(`${vm}:net_tx_kbps`);
    let observed = 0;
    for (let t = 0; t < ds.T; t++) observed += ds.mask[t * ds.K + k]!;
    assert.equal(observed, rows.length, `VM ${vm}: one observed step per real-stream row`);
    for (const row of rows) {
      assert.equal(ds.values[row.t * ds.K + k], row.v);
      assert.equal(ds.values[row.t * ds.K + ktx], row.tx);
    }
    // nothing from the off stream (e.g. VM 82's frozen net_tx = 792) leaks in
    const lastReal = rows[rows.length - 1]!.t;
    for (let t = lastReal + 1; t < ds.T; t++) assert.equal(ds.mask[t * ds.K + ktx], 0);
  }
  assert.equal(real.filter((x) => x.vm === 20).length, 115);
  assert.equal(real.filter((x) => x.vm === 82).length, 4449);
  const k20 = ds.names.indexOf('20:cpu_usage_pct');
  assert.equal(ds.mask[114 * ds.K + k20], 1);
  assert.equal(ds.mask[115 * ds.K + k20], 0);
  assert.equal(info.gaps.longestRunSeries, '20:cpu_usage_pct');
  assert.equal(info.gaps.longestRunSteps, 8640 - 115);
});

test('training statistics, z-scores and windows on the real data', () => {
  const k = ds.names.indexOf('1:cpu_usage_pct');
  let s = 0, n = 0;
  for (let t = 0; t < ds.split.trainEnd; t++) if (ds.mask[t * ds.K + k]) { s += ds.values[t * ds.K + k]!; n++; }
  assert.ok(Math.abs(ds.stats.mean[k]! - s / n) < 1e-9);
  assert.ok(ds.stats.constant.reduce((a, b) => a + b, 0) > 0); // near-constant-in-training VMs exist (DESIGN.md)
  const z = zScore(ds);
  assert.equal(z.length, ds.T * ds.K);
  let zs = 0, zn = 0;
  for (let t = 0; t < ds.split.trainEnd; t++) { const v = z[t * ds.K + k]!; if (v === v) { zs += v; zn++; } }
  assert.ok(Math.abs(zs / zn) < 1e-4);
  const w = new WindowIndex(ds, 'test', 96, 8);
  assert.equal(w.length, 8640 - 8 - 6912 + 1);
  assert.equal(w.origin(0), 6912);
});

test('channel selection on the big dataset', () => {
  const sel = selectChannels(ds, { entities: ['20', '82', '100'], metrics: ['mem_usage_kb'] });
  assert.equal(sel.K, 3);
  assert.deepEqual([...sel.names], ['20:mem_usage_kb', '82:mem_usage_kb', '100:mem_usage_kb']);
  assert.equal(sel.T, 8640);
});
