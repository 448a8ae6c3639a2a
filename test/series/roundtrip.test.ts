import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildMultiSeries, exportDataset, openDataset, prepareDataset, type MultiSeries } from '../../src/series/index.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loadcast-rt-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function assertSameData(a: MultiSeries, b: MultiSeries): void {
  assert.equal(a.T, b.T);
  assert.equal(a.K, b.K);
  assert.equal(a.startTime, b.startTime);
  assert.equal(a.stepSeconds, b.stepSeconds);
  assert.deepEqual([...a.names], [...b.names]);
  assert.deepEqual(a.split, b.split);
  assert.deepEqual(a.mask, b.mask);
  let diff = 0;
  for (let i = 0; i < a.values.length; i++) if (a.mask[i] && !Object.is(a.values[i], b.values[i])) diff++;
  assert.equal(diff, 0, `${diff} values differ after the round trip`);
  assert.deepEqual(a.stats.mean, b.stats.mean);
  assert.deepEqual(a.stats.std, b.stats.std);
}

test('export -> re-import as wide is bit-identical for awkward doubles (property, shortest round-trip formatting)', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(NaN, 0.1 + 0.2, 5e-324, -0, 1.7976931348623157e308, 1375308176.000001)), { minLength: 200, maxLength: 200 }),
      async (vals) => {
        const T = 100, K = 2;
        const values = Float64Array.from(vals);
        for (let t = 0; t < 50; t++) values[t * K] = t; // keep the training part observed
        // The dataset goes through prepare once (long form) so that it lives in a DuckDB file.
        const lines = ['time,entity,metric,value'];
        for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) lines.push(`${t * 5},e${k},m,${Number.isNaN(values[t * K + k]) ? '' : Object.is(values[t * K + k], -0) ? '-0' : String(values[t * K + k])}`);
        const src = join(dir, `p${run}.csv`);
        writeFileSync(src, lines.join('\n'));
        const a = join(dir, `p${run}.duckdb`), csv = join(dir, `p${run}.csv.gz`), b = join(dir, `p${run}b.duckdb`);
        run++;
        await prepareDataset({ source: 'long', inputs: [src], out: a, adjacency: 'identity' });
        const dsA = await openDataset(a);
        const expected = buildMultiSeries({ values, T, K, names: ['e0:m', 'e1:m'], stepSeconds: 5 });
        assert.deepEqual(dsA.mask, expected.mask);
        // a step value is a mean (DuckDB avg), so -0 comes in as +0; everything else must be exact
        for (let i = 0; i < values.length; i++) if (expected.mask[i]) assert.ok(dsA.values[i] === values[i], `import of ${values[i]}`);
        await exportDataset(a, csv);
        await prepareDataset({ source: 'wide', inputs: [csv], out: b, adjacency: 'identity' });
        assertSameData(dsA, await openDataset(b));
      },
    ),
    { numRuns: 3, seed: 5 },
  );
});

test('Alibaba: export (dense.csv.gz + dense.json) then re-import as wide gives identical values, masks and statistics', async () => {
  const a = join(dir, 'ali.duckdb'), csv = join(dir, 'dense.csv.gz'), b = join(dir, 'ali_rt.duckdb');
  await prepareDataset({
    source: 'alibaba2018',
    inputs: ['../shared/data/cluster/alibaba2018_machine_usage_16machines.csv.gz'],
    out: a,
    adjacency: 'identity',
  });
  const r = await exportDataset(a, csv);
  assert.equal(r.json, join(dir, 'dense.json'));
  const side = JSON.parse(readFileSync(r.json, 'utf8'));
  assert.equal(side.T, 2304);
  assert.equal(side.K, 80);
  assert.equal(side.train_end, 1612);
  assert.equal(side.val_end, 1843);
  assert.equal(side.train_mean.length, 80);
  assert.equal(side.names[0], 'm_1932:cpu');
  await prepareDataset({ source: 'wide', inputs: [csv], out: b, adjacency: 'identity' });
  const [x, y] = [await openDataset(a), await openDataset(b)];
  assertSameData(x, y);
  // with the same (identity) adjacency the fingerprints agree too
  assert.equal(x.fingerprint, y.fingerprint);
  assert.deepEqual(side.train_mean, Array.from(x.stats.mean));
});
