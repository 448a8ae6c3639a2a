/** Golden tests on the shared Bitbrains file (250 VMs x 6 metrics); prepared once in `before`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectChannels, WindowIndex, zScore } from '../../src/series/index.ts';
import { openDb } from '../../src/series/db.ts';
import { preparedFixture } from './prepared-fixture.ts';

const FILE = '../shared/data/cluster/bitbrains_rnd_2013-08_vm001-250.csv.gz';
const fx = preparedFixture('bb', { source: 'bitbrains', inputs: [FILE] });

const METRICS = ['cpu_usage_pct', 'mem_usage_kb', 'disk_read_kbps', 'disk_write_kbps', 'net_rx_kbps', 'net_tx_kbps'];

test('prepare + info: T = 8,640 steps of 300 s, K = 1,500 (250 VMs x 6 metrics), split 6048/6912', () => {
  assert.equal(fx.report.T, 8640);
  assert.equal(fx.report.K, 1500);
  assert.equal(fx.info.T, 8640);
  assert.equal(fx.info.K, 1500);
  assert.equal(fx.info.stepSeconds, 300);
  assert.equal(fx.info.startTime, 1375308000); // 2013-07-31 22:00:00 UTC, first sample 22:02:56
  assert.deepEqual(fx.info.metrics, METRICS);
  assert.equal(fx.info.entities.length, 250);
  assert.deepEqual(fx.info.entities.slice(0, 3), ['1', '2', '3']);
  assert.equal(fx.info.split.trainEnd, 6048);
  assert.equal(fx.info.split.valEnd, 6912);
  assert.equal(fx.ds.names[6], '2:cpu_usage_pct');
  assert.equal(fx.info.adjacency.kind, 'topology+statistical');
  // every VM links its 6 metrics (15 pairs x 2 directions x 250) plus statistical edges
  assert.ok(fx.info.adjacency.edges >= 250 * 30, `${fx.info.adjacency.edges}`);
});

test('missing shares: VM-off rows (cpu_cores = 0) are the only masked samples; 32,048 of 2,160,000 steps per metric', () => {
  for (const m of METRICS) assert.equal(Math.round(fx.info.missingShare[m]! * 250 * 8640), 32048, m);
  assert.deepEqual(fx.info.maskedByReason, { 'vm-off': 40113 * 6 });
  assert.equal(fx.info.observedValues, 1500 * 8640 - 6 * 32048);
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
    const k = fx.ds.names.indexOf(`${vm}:cpu_usage_pct`);
    const ktx = fx.ds.names.indexOf(`${vm}:net_tx_kbps`);
    let observed = 0;
    for (let t = 0; t < fx.ds.T; t++) observed += fx.ds.mask[t * fx.ds.K + k]!;
    assert.equal(observed, rows.length, `VM ${vm}: one observed step per real-stream row`);
    for (const row of rows) {
      assert.equal(fx.ds.values[row.t * fx.ds.K + k], row.v);
      assert.equal(fx.ds.values[row.t * fx.ds.K + ktx], row.tx);
    }
    // nothing from the off stream (e.g. VM 82's frozen net_tx = 792) leaks in
    const lastReal = rows[rows.length - 1]!.t;
    for (let t = lastReal + 1; t < fx.ds.T; t++) assert.equal(fx.ds.mask[t * fx.ds.K + ktx], 0);
  }
  assert.equal(real.filter((x) => x.vm === 20).length, 115);
  assert.equal(real.filter((x) => x.vm === 82).length, 4449);
  const k20 = fx.ds.names.indexOf('20:cpu_usage_pct');
  assert.equal(fx.ds.mask[114 * fx.ds.K + k20], 1);
  assert.equal(fx.ds.mask[115 * fx.ds.K + k20], 0);
  assert.equal(fx.info.gaps.longestRunSeries, '20:cpu_usage_pct');
  assert.equal(fx.info.gaps.longestRunSteps, 8640 - 115);
});

test('training statistics, z-scores and windows on the real data', () => {
  const k = fx.ds.names.indexOf('1:cpu_usage_pct');
  let s = 0, n = 0;
  for (let t = 0; t < fx.ds.split.trainEnd; t++) if (fx.ds.mask[t * fx.ds.K + k]) { s += fx.ds.values[t * fx.ds.K + k]!; n++; }
  assert.ok(Math.abs(fx.ds.stats.mean[k]! - s / n) < 1e-9);
  assert.ok(fx.ds.stats.constant.reduce((a, b) => a + b, 0) > 0); // near-constant-in-training VMs exist (DESIGN.md)
  const z = zScore(fx.ds);
  assert.equal(z.length, fx.ds.T * fx.ds.K);
  let zs = 0, zn = 0;
  for (let t = 0; t < fx.ds.split.trainEnd; t++) { const v = z[t * fx.ds.K + k]!; if (v === v) { zs += v; zn++; } }
  assert.ok(Math.abs(zs / zn) < 1e-4);
  const w = new WindowIndex(fx.ds, 'test', 96, 8);
  assert.equal(w.length, 8640 - 8 - 6912 + 1);
  assert.equal(w.origin(0), 6912);
});

test('channel selection on the big dataset', () => {
  const sel = selectChannels(fx.ds, { entities: ['20', '82', '100'], metrics: ['mem_usage_kb'] });
  assert.equal(sel.K, 3);
  assert.deepEqual([...sel.names], ['20:mem_usage_kb', '82:mem_usage_kb', '100:mem_usage_kb']);
  assert.equal(sel.T, 8640);
});
