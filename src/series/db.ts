/** Thin helpers over @duckdb/node-api: open, quote, read small results, stream numeric columns. */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface Db {
  readonly instance: DuckDBInstance;
  readonly conn: DuckDBConnection;
  close(): void;
}

/** Opens (or creates) a DuckDB database; `:memory:` for a scratch one. Two threads, bounded memory. */
export async function openDb(path: string, opts: { readOnly?: boolean; memoryLimit?: string } = {}): Promise<Db> {
  const options: Record<string, string> = { threads: '2', memory_limit: opts.memoryLimit ?? '1GB' };
  if (opts.readOnly) options.access_mode = 'READ_ONLY';
  const instance = await DuckDBInstance.create(path, options);
  const conn = await instance.connect();
  return {
    instance,
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** SQL string literal. */
export function lit(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** SQL identifier. */
export function ident(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** All rows as plain JS objects (BigInt -> number); for small results only. */
export async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJS().map((row) => {
    const o: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(row)) o[key] = typeof v === 'bigint' ? Number(v) : v;
    return o;
  });
}

/**
 * Streams a query's chunks and hands each row's numeric columns to `visit` without building row objects
 * (nulls arrive as NaN). Used for the T x K values of big datasets.
 */
export async function scanNumeric(
  conn: DuckDBConnection,
  sql: string,
  visit: (cols: readonly ((i: number) => number)[], n: number) => void,
): Promise<void> {
  const result = await conn.stream(sql);
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const getters: ((i: number) => number)[] = [];
    for (let c = 0; c < chunk.columnCount; c++) {
      const vec = chunk.getColumnVector(c) as unknown as { getItem(i: number): number | bigint | null };
      getters.push((i) => {
        const v = vec.getItem(i);
        return v === null ? NaN : Number(v);
      });
    }
    visit(getters, chunk.rowCount);
  }
}
