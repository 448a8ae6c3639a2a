/**
 * On-disk form of a prepared dataset: one DuckDB file with
 *  - `meta(key, value)`: JSON values (T, K, step, start, split, fingerprint, source, masked counts, gap summary, notes);
 *  - `series(k, name, entity, metric, mean, std, constant, observed, missing, leading, trailing, inner_runs, longest_run)`;
 *  - `adjacency(row, col, value, kind)`: the row-normalised CSR entries (kind = e.g. `topology+statistical`);
 *  - `obs(t, k, value)`: observed values only (a missing value has no row).
 */
import { existsSync } from 'node:fs';
import type { DuckDBConnection, DuckDBDoubleVector, DuckDBIntegerVector } from '@duckdb/node-api';
import { SeriesError } from '../errors.ts';
import type { MultiSeries, SparseAdjacency } from './dataset.ts';
import type { SeriesGaps } from './gaps.ts';
import { openDb, rows, scanNumeric, type Db } from './db.ts';

export const FORMAT_VERSION = 1;

export async function createTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`);
  await conn.run(`CREATE TABLE series (k INTEGER PRIMARY KEY, name VARCHAR NOT NULL, entity VARCHAR NOT NULL, metric VARCHAR NOT NULL,
    mean DOUBLE NOT NULL, std DOUBLE NOT NULL, constant BOOLEAN NOT NULL, observed INTEGER, missing INTEGER, "leading" INTEGER,
    "trailing" INTEGER, inner_runs INTEGER, longest_run INTEGER)`);
  await conn.run(`CREATE TABLE adjacency ("row" INTEGER NOT NULL, col INTEGER NOT NULL, value DOUBLE NOT NULL, kind VARCHAR NOT NULL)`);
}

export async function writeMeta(conn: DuckDBConnection, meta: Record<string, unknown>): Promise<void> {
  const app = await conn.createAppender('meta');
  for (const [key, v] of Object.entries(meta)) {
    app.appendVarchar(key);
    app.appendVarchar(JSON.stringify(v));
    app.endRow();
  }
  app.closeSync();
}

export async function writeSeries(conn: DuckDBConnection, ds: MultiSeries, gaps: readonly SeriesGaps[]): Promise<void> {
  const app = await conn.createAppender('series');
  for (let k = 0; k < ds.K; k++) {
    const g = gaps[k]!;
    app.appendInteger(k);
    app.appendVarchar(ds.names[k]!);
    app.appendVarchar(ds.entityOf[k]!);
    app.appendVarchar(ds.metricOf[k]!);
    app.appendDouble(ds.stats.mean[k]!);
    app.appendDouble(ds.stats.std[k]!);
    app.appendBoolean(ds.stats.constant[k] === 1);
    for (const v of [g.observed, g.missing, g.leading, g.trailing, g.innerRuns, g.longestRun]) app.appendInteger(v);
    app.endRow();
  }
  app.closeSync();
}

export async function writeAdjacency(conn: DuckDBConnection, a: SparseAdjacency): Promise<void> {
  const app = await conn.createAppender('adjacency');
  const K = a.rowPtr.length - 1;
  for (let i = 0; i < K; i++) {
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      app.appendInteger(i);
      app.appendInteger(a.colIdx[p]!);
      app.appendDouble(a.values[p]!);
      app.appendVarchar(a.kind);
      app.endRow();
    }
  }
  app.closeSync();
}

/** Opens a prepared dataset read-only, with a clear error if it is not one. */
export async function openStore(path: string): Promise<Db> {
  if (!existsSync(path)) throw new SeriesError('series.no-dataset', `dataset not found: ${path}`, 'Create it with `loadcast series prepare ... --out FILE.duckdb`.');
  let db: Db;
  try {
    db = await openDb(path, { readOnly: true });
  } catch (e) {
    throw new SeriesError('series.bad-dataset', `${path} is not a DuckDB file: ${(e as Error).message.split('\n')[0]}`, 'Pass a file written by `loadcast series prepare`.');
  }
  const tables = (await rows(db.conn, `SELECT table_name FROM information_schema.tables`)).map((r) => String(r.table_name));
  const missing = ['meta', 'series', 'adjacency', 'obs'].filter((t) => !tables.includes(t));
  if (missing.length > 0) {
    db.close();
    throw new SeriesError('series.bad-dataset', `${path} is not a prepared dataset (missing table(s) ${missing.join(', ')})`, 'Pass a file written by `loadcast series prepare`.');
  }
  return db;
}

export async function readMeta(conn: DuckDBConnection): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const r of await rows(conn, `SELECT key, value FROM meta`)) out[String(r.key)] = JSON.parse(String(r.value));
  return out;
}

export interface StoredSeries {
  names: string[];
  entityOf: string[];
  metricOf: string[];
  mean: Float64Array;
  std: Float64Array;
  constant: Uint8Array;
  gaps: SeriesGaps[];
}

export async function readSeries(conn: DuckDBConnection): Promise<StoredSeries> {
  const r = await rows(conn, `SELECT * FROM series ORDER BY k`);
  return {
    names: r.map((x) => String(x.name)),
    entityOf: r.map((x) => String(x.entity)),
    metricOf: r.map((x) => String(x.metric)),
    mean: Float64Array.from(r, (x) => Number(x.mean)),
    std: Float64Array.from(r, (x) => Number(x.std)),
    constant: Uint8Array.from(r, (x) => (x.constant ? 1 : 0)),
    gaps: r.map((x) => ({
      k: Number(x.k),
      observed: Number(x.observed),
      missing: Number(x.missing),
      leading: Number(x.leading),
      trailing: Number(x.trailing),
      innerRuns: Number(x.inner_runs),
      longestRun: Number(x.longest_run),
    })),
  };
}

/** Dense T x K values (NaN = missing) from `obs`, through DuckDB's chunk vectors (no row objects). */
export async function readValues(conn: DuckDBConnection, T: number, K: number): Promise<Float64Array> {
  const values = new Float64Array(T * K).fill(NaN);
  const result = await conn.stream(`SELECT t, k, value FROM obs`);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const tv = chunk.getColumnVector(0) as DuckDBIntegerVector;
    const kv = chunk.getColumnVector(1) as DuckDBIntegerVector;
    const vv = chunk.getColumnVector(2) as DuckDBDoubleVector;
    const n = chunk.rowCount;
    for (let i = 0; i < n; i++) {
      const v = vv.getItem(i);
      if (v !== null) values[tv.getItem(i)! * K + kv.getItem(i)!] = v;
    }
  }
  return values;
}

export async function readAdjacency(conn: DuckDBConnection, K: number, kind: string): Promise<SparseAdjacency> {
  const rowIdx: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  await scanNumeric(conn, `SELECT "row", col, value FROM adjacency ORDER BY "row", col`, (c, n) => {
    for (let i = 0; i < n; i++) {
      rowIdx.push(c[0]!(i));
      cols.push(c[1]!(i));
      vals.push(c[2]!(i));
    }
  });
  const rowPtr = new Int32Array(K + 1);
  for (const r of rowIdx) rowPtr[r + 1]!++;
  for (let i = 0; i < K; i++) rowPtr[i + 1]! += rowPtr[i]!;
  return { kind, rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) };
}
