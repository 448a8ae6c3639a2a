import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SeriesError } from '../../src/errors.ts';
import { datasetInfo, openDataset, prepareDataset, type MultiSeries } from '../../src/series/index.ts';
import { openDb } from '../../src/series/db.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loadcast-series-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, name.endsWith('.gz') ? gzipSync(text) : text);
  return p;
};
const at = (ds: MultiSeries, t: number, name: string): number => {
  const k = ds.names.indexOf(name);
  assert.ok(k >= 0, `no series ${name}`);
  return ds.mask[t * ds.K + k] ? ds.values[t * ds.K + k]! : NaN;
};
let n = 0;
const out = (): string => join(dir, `d${n++}.duckdb`);

test('long format: unsorted and duplicated timestamps, step means, non-numeric and empty values masked and counted', async () => {
  const csv = [
    'time,entity,metric,value',
    '120,h1,cpu,30',
    '0,h1,cpu,10',
    '0,h1,cpu,20', // duplicate timestamp: averaged with the row above
    '59,h1,cpu,30', // same 60 s step
    '60,h1,cpu,abc', // non-numeric: masked, step 1 missing
    '180,h1,cpu,', // empty
    '240,h1,cpu,5',
    '300,h1,cpu,6',
    '360,h1,cpu,7',
    '420,h1,cpu,8',
    '480,h1,cpu,9',
    '540,h1,cpu,10',
    '0,h2,cpu,1',
    '540,h2,cpu,2',
  ].join('\n');
  const o = out();
  const r = await prepareDataset({ source: 'long', inputs: [file('long.csv', csv)], out: o, stepSeconds: 60, adjacency: 'identity' });
  assert.equal(r.T, 10);
  assert.equal(r.K, 2);
  const ds = await openDataset(o);
  assert.equal(at(ds, 0, 'h1:cpu'), 20); // mean of 10, 20, 30
  assert.ok(Number.isNaN(at(ds, 1, 'h1:cpu'))); // never zero-filled
  assert.equal(at(ds, 2, 'h1:cpu'), 30);
  assert.ok(Number.isNaN(at(ds, 3, 'h1:cpu')));
  assert.ok(Number.isNaN(at(ds, 5, 'h2:cpu')));
  assert.equal(at(ds, 9, 'h2:cpu'), 2);
  const masked = Object.fromEntries(r.masked.map((m) => [m.reason, m.count]));
  assert.deepEqual(masked, { 'non-numeric': 1, empty: 1 });
  const info = await datasetInfo(o);
  assert.equal(info.maskedByReason['non-numeric'], 1);
  assert.equal(info.missingShare.cpu, (2 + 8) / 20);
});

test('long format infers the step from the timestamps and accepts ISO times', async () => {
  const lines = ['timestamp,instance,__name__,value'];
  for (let i = 0; i < 12; i++) lines.push(`2024-01-01T00:${String(i).padStart(2, '0')}:00Z,node-1:9100,load,${i}`);
  const o = out();
  const r = await prepareDataset({ source: 'long', inputs: [file('prom.csv.gz', lines.join('\n'))], out: o, adjacency: 'identity' });
  assert.equal(r.stepSeconds, 60);
  assert.equal(r.T, 12);
  const ds = await openDataset(o);
  assert.equal(ds.names[0], 'node-1:9100:load');
  assert.equal(ds.entityOf[0], 'node-1:9100');
  assert.equal(ds.startTime, Date.UTC(2024, 0, 1) / 1000);
});

test('bad input: missing columns named with the columns found; empty input; a single step; existing output', async () => {
  await assert.rejects(
    prepareDataset({ source: 'long', inputs: [file('bad.csv', 'time,host,value\n0,a,1\n')], out: out() }),
    (e: unknown) => e instanceof SeriesError && /missing column\(s\) metric/.test(e.message) && /columns found: time, host, value/.test(e.message),
  );
  await assert.rejects(
    prepareDataset({ source: 'alibaba2018', inputs: [file('ali_bad.csv', 'machine_id,time_stamp,cpu_util_percent\nm_1,0,5\n')], out: out() }),
    (e: unknown) => e instanceof SeriesError && /mem_util_percent/.test(e.message) && /columns found: machine_id, time_stamp, cpu_util_percent/.test(e.message),
  );
  await assert.rejects(prepareDataset({ source: 'long', inputs: [file('empty.csv', 'time,entity,metric,value\n')], out: out() }), /no data rows/);
  await assert.rejects(
    prepareDataset({ source: 'long', inputs: [file('one.csv', 'time,entity,metric,value\n0,a,m,1\n10,a,m,2\n')], out: out(), stepSeconds: 300 }),
    /single time step/,
  );
  await assert.rejects(prepareDataset({ source: 'long', inputs: [join(dir, 'nope.csv')], out: out() }), /input file not found/);
  const o = out();
  writeFileSync(o, 'x');
  await assert.rejects(prepareDataset({ source: 'long', inputs: [file('x.csv', 'time,entity,metric,value\n0,a,m,1\n')], out: o }), /already exists.*/);
  // split with no data in training
  const late = ['time,entity,metric,value', '0,a,m,', ...Array.from({ length: 19 }, (_, i) => `${(i + 1) * 10},a,m,${i >= 17 ? 1 : ''}`)].join('\n');
  await assert.rejects(prepareDataset({ source: 'long', inputs: [file('late.csv', late)], out: out(), stepSeconds: 10 }), /training part .* no observed value/);
});

test('alibaba2018: -1/101 markers and out-of-range masked; counters differenced, resets masked; sparse metrics by flag; failure-domain topology', async () => {
  const head = 'machine_id,time_stamp,cpu_util_percent,mem_util_percent,mem_gps,mkpi,net_in,net_out,disk_io_percent';
  const rows: string[] = [head];
  for (let i = 0; i < 20; i++) {
    const t = i * 300 + 10;
    const disk = i === 3 ? -1 : i === 4 ? 101 : i === 5 ? 150 : 5;
    const netIn = i === 10 ? 1 : 50 + i; // reset at step 10
    rows.push(`m_1,${t},${10 + i},50,${i % 2 ? '' : '0.5'},,${netIn},${100 + 2 * i},${disk}`);
    rows.push(`m_2,${t},20,60,,,${i},${i},7`);
    rows.push(`m_10,${t},30,70,,,${i},${i},8`);
  }
  const meta = ['machine_id,time_stamp,failure_domain_1,failure_domain_2,cpu_num,mem_size,status', 'm_1,0,5,1,96,100,USING', 'm_2,0,5,1,96,100,USING', 'm_2,9,5,1,96,100,USING', 'm_10,0,6,1,96,100,USING'].join('\n');
  const o = out();
  const r = await prepareDataset({ source: 'alibaba2018', inputs: [file('ali.csv.gz', rows.join('\n'))], meta: file('meta.csv', meta), out: o, adjacency: 'topology' });
  assert.equal(r.T, 20);
  assert.equal(r.K, 15);
  const ds = await openDataset(o);
  assert.deepEqual(ds.names.slice(0, 5), ['m_1:cpu', 'm_1:mem', 'm_1:disk_io', 'm_1:net_in', 'm_1:net_out']);
  assert.equal(ds.entityOf[5], 'm_2'); // natural order: m_2 before m_10
  assert.ok(Number.isNaN(at(ds, 3, 'm_1:disk_io')));
  assert.ok(Number.isNaN(at(ds, 4, 'm_1:disk_io')));
  assert.ok(Number.isNaN(at(ds, 5, 'm_1:disk_io')));
  assert.equal(at(ds, 6, 'm_1:disk_io'), 5);
  assert.ok(Number.isNaN(at(ds, 0, 'm_1:net_in'))); // no previous step
  assert.equal(at(ds, 1, 'm_1:net_in'), 1);
  assert.equal(at(ds, 1, 'm_1:net_out'), 2);
  assert.ok(Number.isNaN(at(ds, 10, 'm_1:net_in'))); // decrease = reset
  const masked = new Map(r.masked.map((m) => [`${m.metric}/${m.reason}`, m.count]));
  assert.equal(masked.get('disk_io/abnormal-marker'), 2);
  assert.equal(masked.get('disk_io/out-of-range'), 1);
  assert.equal(masked.get('net_in/counter-reset'), 1);
  assert.equal(masked.get('net_in/counter-no-previous-step'), 3);
  assert.ok(!ds.metricOf.includes('mem_gps'));
  // topology: m_1:cpu linked to its own 4 metrics and m_2:cpu (same failure domain 5), not m_10:cpu.
  const k = ds.names.indexOf('m_1:cpu');
  const cols = Array.from(ds.adjacency.colIdx.subarray(ds.adjacency.rowPtr[k]!, ds.adjacency.rowPtr[k + 1]!)).map((j) => ds.names[j]);
  assert.deepEqual(cols.sort(), ['m_1:cpu', 'm_1:disk_io', 'm_1:mem', 'm_1:net_in', 'm_1:net_out', 'm_2:cpu'].sort());
  const o2 = out();
  const r2 = await prepareDataset({ source: 'alibaba2018', inputs: [file('ali2.csv', rows.join('\n'))], out: o2, keepSparseMetrics: true, adjacency: 'identity' });
  assert.equal(r2.K, 21);
  assert.ok(r2.missingShare.mkpi === 1 && Math.abs(r2.missingShare.mem_gps! - (1 - 10 / 60)) < 1e-12);
});

test('bitbrains: cpu_cores = 0 is VM off (masked); all-zero duplicate rows dropped only beside a real row of the same slot', async () => {
  const head = 'vm_id,timestamp_s,cpu_cores,cpu_capacity_provisioned_mhz,cpu_usage_mhz,cpu_usage_pct,mem_capacity_provisioned_kb,mem_usage_kb,disk_read_kbps,disk_write_kbps,net_rx_kbps,net_tx_kbps';
  const rows = [head];
  const t0 = 1375308000;
  for (let i = 0; i < 20; i++) {
    const t = t0 + i * 300 + 176;
    rows.push(`7,${t},2,5000,1000,${10 + i},8000,4000,1,2,3,4`);
    if (i % 2 === 0) rows.push(`7,${t + 27},2,5000,0,0,8000,0,0,0,0,0`); // interleaved zero-filled stream
    rows.push(i >= 15 ? `8,${t},0,0,0,0,0,0,0,0,0,792` : `8,${t},1,2600,0,0,1000,0,0,0,0,0`); // VM off at the end; idle (all zero) before
  }
  const o = out();
  const r = await prepareDataset({ source: 'bitbrains', inputs: [file('bb.csv', rows.join('\n'))], out: o, adjacency: 'identity' });
  assert.equal(r.T, 20);
  assert.equal(r.K, 12);
  const ds = await openDataset(o);
  for (let i = 0; i < 20; i++) assert.equal(at(ds, i, '7:cpu_usage_pct'), 10 + i); // zero stream never averaged in
  assert.equal(at(ds, 3, '8:cpu_usage_pct'), 0); // a genuinely idle VM keeps its zeros
  for (let i = 15; i < 20; i++) assert.ok(Number.isNaN(at(ds, i, '8:net_tx_kbps'))); // VM off: stale 792 masked
  const masked = new Map(r.masked.map((m) => [`${m.metric}/${m.reason}`, m.count]));
  assert.equal(masked.get('cpu_usage_pct/duplicate-stream'), 10);
  assert.equal(masked.get('net_tx_kbps/vm-off'), 5);
  // same rule at a coarser step (two-level aggregation): the mean of the kept rows only
  const o2 = out();
  await prepareDataset({ source: 'bitbrains', inputs: [file('bb2.csv', rows.join('\n'))], out: o2, stepSeconds: 1200, adjacency: 'identity' });
  const ds2 = await openDataset(o2);
  assert.equal(at(ds2, 0, '7:cpu_usage_pct'), (10 + 11 + 12 + 13) / 4);
});

test('bitbrains: original per-VM GWA-T-12 files (;\\t separated, VM id from the file name)', async () => {
  const header = 'Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\tCPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\tDisk read throughput [KB/s];\tDisk write throughput [KB/s];\tNetwork received throughput [KB/s];\tNetwork transmitted throughput [KB/s]';
  const f = (vm: number): string => {
    const lines = [header];
    for (let i = 0; i < 12; i++) lines.push(`${1375308176 + i * 300};\t2;\t5851.9989;\t747.1;\t${vm + i * 0.5};\t8388608.0;\t1308620.0;\t0.0;\t1.0;\t11.0;\t27.2`);
    return file(`${vm}.csv`, lines.join('\n'));
  };
  const o = out();
  const r = await prepareDataset({ source: 'bitbrains', inputs: [f(3), f(12)], out: o, adjacency: 'identity' });
  assert.equal(r.K, 12);
  const ds = await openDataset(o);
  assert.deepEqual([...new Set(ds.entityOf)], ['3', '12']);
  assert.equal(at(ds, 4, '12:cpu_usage_pct'), 14);
});

test('wide CSV and Parquet inputs give the same dataset; non-numeric wide cells are masked', async () => {
  const lines = ['time,a:cpu,b:cpu,b:mem'];
  for (let i = 0; i < 10; i++) lines.push(`${i * 10},${i},${i === 4 ? 'n/a' : 2 * i},${i === 2 ? '' : 0.1 * i}`);
  const csv = file('wide.csv', lines.join('\n'));
  const pq = join(dir, 'wide.parquet');
  const db = await openDb(':memory:');
  await db.conn.run(`COPY (SELECT * FROM read_csv('${csv}', header = true, all_varchar = true)) TO '${pq}' (FORMAT parquet)`);
  db.close();
  const o1 = out();
  const o2 = out();
  const r1 = await prepareDataset({ source: 'wide', inputs: [csv], out: o1, adjacency: 'identity' });
  await prepareDataset({ source: 'wide', inputs: [pq], out: o2, adjacency: 'identity' });
  const [a, b] = [await openDataset(o1), await openDataset(o2)];
  assert.equal(a.fingerprint, b.fingerprint);
  assert.deepEqual([...a.names], ['a:cpu', 'b:cpu', 'b:mem']);
  assert.ok(Number.isNaN(at(a, 4, 'b:cpu')));
  assert.equal(at(a, 3, 'b:mem'), 0.30000000000000004);
  assert.equal(r1.masked.find((m) => m.reason === 'non-numeric')?.count, 1);
  assert.equal(r1.masked.find((m) => m.reason === 'empty')?.count, 1);
});

test('opening something that is not a prepared dataset, and unknown sources, fail clearly', async () => {
  await assert.rejects(datasetInfo(join(dir, 'missing.duckdb')), /dataset not found/);
  const p = join(dir, 'other.duckdb');
  const db = await openDb(p);
  await db.conn.run('CREATE TABLE t (x INTEGER)');
  db.close();
  await assert.rejects(openDataset(p), /not a prepared dataset \(missing table\(s\) meta, series, adjacency, obs\)/);
  await assert.rejects(
    prepareDataset({ source: 'nope' as never, inputs: [file('y.csv', 'a\n1\n')], out: out() }),
    (e: unknown) => e instanceof SeriesError && /--source 'nope'/.test(e.message),
  );
  await assert.rejects(prepareDataset({ source: 'bitbrains', inputs: [file('z.csv', 'a,b\n1,2\n')], out: out() }), /not a Bitbrains file; columns found: a, b/);
});

test('a non-numeric cell in a typed source falls back to the counting reader instead of failing', async () => {
  const rows = ['machine_id,time_stamp,cpu_util_percent,mem_util_percent,mem_gps,mkpi,net_in,net_out,disk_io_percent'];
  for (let i = 0; i < 20; i++) rows.push(`m_1,${i * 300},${i === 5 ? 'oops' : 10},50,,,${i},${i},5`);
  const o = out();
  const r = await prepareDataset({ source: 'alibaba2018', inputs: [file('ali_nn.csv', rows.join('\n'))], out: o, adjacency: 'identity', entities: ['m_1'] });
  assert.deepEqual(r.masked.filter((m) => m.metric === 'cpu'), [{ metric: 'cpu', reason: 'non-numeric', count: 1 }]);
  const ds = await openDataset(o);
  assert.ok(Number.isNaN(at(ds, 5, 'm_1:cpu')));
  assert.equal(at(ds, 6, 'm_1:cpu'), 10);
});
