/** Golden tests on the shared Alibaba 2018 file (16 machines): shapes, split, missing shares, and an independent JS resampling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { openDataset } from '../../src/series/index.ts';
import { preparedFixture } from './prepared-fixture.ts';

const USAGE = '../shared/data/cluster/alibaba2018_machine_usage_16machines.csv.gz';
const META = '../shared/data/cluster/alibaba2018_machine_meta.csv.gz';
const fx = preparedFixture('ali', { source: 'alibaba2018', inputs: [USAGE], meta: META });

test('prepare + info: T = 2,304 steps of 300 s, K = 80 (16 machines x 5 metrics), split 1612/1843', () => {
  assert.equal(fx.report.T, 2304);
  assert.equal(fx.report.K, 80);
  assert.equal(fx.info.T, 2304);
  assert.equal(fx.info.K, 80);
  assert.equal(fx.info.stepSeconds, 300);
  assert.equal(fx.info.startTime, 0);
  assert.deepEqual(fx.info.metrics, ['cpu', 'mem', 'disk_io', 'net_in', 'net_out']);
  assert.equal(fx.info.entities.length, 16);
  assert.equal(fx.info.entities[0], 'm_1932');
  assert.equal(fx.info.split.trainEnd, 1612);
  assert.equal(fx.info.split.valEnd, 1843);
  assert.equal(fx.info.adjacency.kind, 'topology+statistical');
  assert.ok(fx.info.adjacency.edges > 0);
  assert.equal(fx.info.fingerprint, fx.ds.fingerprint);
});

test('missing shares and masked counts (the file: irregular sampling, two partial machines, 16 disk_io markers)', () => {
  const cells = 2304 * 16;
  const missing = Object.fromEntries(Object.entries(fx.info.missingShare).map(([m, s]) => [m, Math.round(s * cells)]));
  assert.deepEqual(missing, { cpu: 7289, mem: 7289, disk_io: 7291, net_in: 8428, net_out: 8428 });
  assert.equal(fx.info.maskedByReason['abnormal-marker'], 16); // -1 in 6 rows, 101 in 10 rows (0.006 % / 0.010 % of 100,002)
  assert.equal(fx.info.maskedByReason['counter-reset'] ?? 0, 0); // counters never decrease in this file
  assert.equal(fx.info.masked.find((m) => m.metric === 'net_in' && m.reason === 'counter-no-previous-step')?.count, 8428 - 7289);
  // m_1947 covers t = 10..188,370 s only: steps 0..627 observed at most, then missing.
  const k = fx.ds.names.indexOf('m_1947:cpu');
  let last = -1;
  for (let t = 0; t < fx.ds.T; t++) if (fx.ds.mask[t * fx.ds.K + k]) last = t;
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
    const kc = fx.ds.names.indexOf(`${m}:cpu`);
    const kn = fx.ds.names.indexOf(`${m}:net_in`);
    for (let t = 0; t < fx.ds.T; t++) {
      const e = sums.get(`${m}:${t}`);
      if (!e) {
        assert.equal(fx.ds.mask[t * fx.ds.K + kc], 0, `${m} step ${t} must be missing`);
        continue;
      }
      assert.ok(Math.abs(fx.ds.values[t * fx.ds.K + kc]! - e.s / e.n) < 1e-9, `${m} cpu step ${t}`);
      const cur = lastNet.get(`${m}:${t}`)!;
      const prev = lastNet.get(`${m}:${t - 1}`);
      if (prev) assert.equal(fx.ds.values[t * fx.ds.K + kn], cur.v - prev.v);
      else assert.equal(fx.ds.mask[t * fx.ds.K + kn], 0);
      checked++;
    }
  }
  assert.ok(checked > 3000, `checked ${checked} steps`);
});

test('topology adjacency from machine_meta: metrics of one machine and same-domain machines are linked; rows sum to 1', () => {
  const a = fx.ds.adjacency;
  for (let i = 0; i < fx.ds.K; i++) {
    let s = 0;
    const cols: number[] = [];
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      s += a.values[p]!;
      cols.push(a.colIdx[p]!);
    }
    assert.ok(Math.abs(s - 1) < 1e-12);
    assert.ok(cols.includes(i), 'self-loop');
    // all 5 metrics of the same machine
    for (let j = 0; j < fx.ds.K; j++) if (fx.ds.entityOf[j] === fx.ds.entityOf[i]) assert.ok(cols.includes(j), `${fx.ds.names[i]} -> ${fx.ds.names[j]}`);
  }
});

test('openDataset channel selection: entities x metrics, adjacency restricted and renormalised', async () => {
  const sel = await openDataset(fx.out, { entities: ['m_1933', 'm_1934'], metrics: ['cpu', 'mem'] });
  assert.equal(sel.K, 4);
  assert.deepEqual([...sel.names], ['m_1933:cpu', 'm_1933:mem', 'm_1934:cpu', 'm_1934:mem']);
  const k = fx.ds.names.indexOf('m_1934:mem');
  for (let t = 0; t < fx.ds.T; t += 97) assert.ok(Object.is(sel.values[t * 4 + 3], fx.ds.values[t * fx.ds.K + k]));
  for (let i = 0; i < 4; i++) {
    let s = 0;
    for (let p = sel.adjacency.rowPtr[i]!; p < sel.adjacency.rowPtr[i + 1]!; p++) s += sel.adjacency.values[p]!;
    assert.ok(Math.abs(s - 1) < 1e-12);
  }
  await assert.rejects(openDataset(fx.out, { metrics: ['gpu'] }), /unknown metric\(s\) gpu/);
});
