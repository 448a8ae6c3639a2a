/** A real dataset prepared once per test file (in `before`), with its info and MultiSeries; removed in `after`. */
import { before, after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetInfo, openDataset, prepareDataset, type DatasetInfo, type MultiSeries, type PrepareOptions, type PrepareReport } from '../../src/series/index.ts';

export interface PreparedFixture {
  /** The prepared dataset file (in a temporary directory). */
  out: string;
  report: PrepareReport;
  info: DatasetInfo;
  ds: MultiSeries;
}

/** Registers the hooks; the returned object's fields are set once `before` has run. */
export function preparedFixture(name: string, opts: Omit<PrepareOptions, 'out'>): PreparedFixture {
  const fx = {} as PreparedFixture;
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `loadcast-${name}-`));
    fx.out = join(dir, `${name}.duckdb`);
    fx.report = await prepareDataset({ ...opts, out: fx.out });
    fx.info = await datasetInfo(fx.out);
    fx.ds = await openDataset(fx.out);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return fx;
}
