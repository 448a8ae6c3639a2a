/**
 * Source readers. Each stages its input in DuckDB as a temp view `cls(entity, metric, ts, v, reason)`: one row
 * per (sample, metric), `v` the numeric value and `reason` NULL for a usable value, otherwise why it is masked
 * (empty, non-numeric, abnormal-marker, out-of-range, vm-off, duplicate-stream, bad-time). All parsing and
 * classification is SQL over DuckDB's CSV/Parquet readers (CSV read as VARCHAR so that non-numeric cells are
 * counted, not fatal).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { SeriesError } from '../errors.ts';
import { ident, lit, rows } from './db.ts';
import { splitSeriesName } from './build.ts';

export const SOURCE_KINDS = ['alibaba2018', 'bitbrains', 'long', 'wide'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Valid range of a metric: `percent` = [0, 100] (Alibaba's -1/101 are abnormal markers), `nonneg` >= 0. */
type Range = 'percent' | 'nonneg' | 'any';

interface MetricSpec {
  /** Output metric name. */
  name: string;
  /** Source column. */
  column: string;
  range: Range;
  /** Cumulative counter: resampled as the last value in a step, then differenced (see resample.ts). */
  counter?: boolean;
}

/** Alibaba 2018 machine_usage (schema.txt of alibaba/clusterdata cluster-trace-v2018). */
const ALIBABA_METRICS: MetricSpec[] = [
  { name: 'cpu', column: 'cpu_util_percent', range: 'percent' },
  { name: 'mem', column: 'mem_util_percent', range: 'percent' },
  { name: 'disk_io', column: 'disk_io_percent', range: 'percent' },
  { name: 'net_in', column: 'net_in', range: 'nonneg', counter: true },
  { name: 'net_out', column: 'net_out', range: 'nonneg', counter: true },
  // Empty in 78 % of rows: only with --keep-sparse-metrics.
  { name: 'mem_gps', column: 'mem_gps', range: 'nonneg' },
  { name: 'mkpi', column: 'mkpi', range: 'nonneg' },
];
const ALIBABA_DEFAULT = ['cpu', 'mem', 'disk_io', 'net_in', 'net_out'];
const ALIBABA_SPARSE = ['mem_gps', 'mkpi'];

/** Bitbrains GWA-T-12 columns (combined file naming); usage columns define "all usage zero". */
const BITBRAINS_USAGE = ['cpu_usage_mhz', 'cpu_usage_pct', 'mem_usage_kb', 'disk_read_kbps', 'disk_write_kbps', 'net_rx_kbps', 'net_tx_kbps'];
const BITBRAINS_ALL = ['cpu_cores', 'cpu_capacity_provisioned_mhz', 'mem_capacity_provisioned_kb', ...BITBRAINS_USAGE];
/** Default 6 metrics: utilisation of each resource, one per direction; mhz duplicates pct x capacity. */
export const BITBRAINS_DEFAULT = ['cpu_usage_pct', 'mem_usage_kb', 'disk_read_kbps', 'disk_write_kbps', 'net_rx_kbps', 'net_tx_kbps'];
/** Source header of the per-VM GWA-T-12 files (`;\t`-separated), in order. */
const BITBRAINS_RAW_ORDER = ['timestamp_s', 'cpu_cores', 'cpu_capacity_provisioned_mhz', 'cpu_usage_mhz', 'cpu_usage_pct', 'mem_capacity_provisioned_kb', 'mem_usage_kb', 'disk_read_kbps', 'disk_write_kbps', 'net_rx_kbps', 'net_tx_kbps'];
/** Native sampling period of GWA-T-12 (s): two rows of one VM in one such slot are two streams. */
const BITBRAINS_NATIVE_S = 300;

export interface SourceOptions {
  source: SourceKind;
  inputs: string[];
  meta?: string;
  /** Metric names to keep (source names for alibaba/bitbrains, metric values for long/wide). */
  metrics?: string[];
  entities?: string[];
  keepSparseMetrics?: boolean;
}

export interface StagedSource {
  /** `wide`: temp table `src` with one v<i>/r<i> column pair per metric (binned per entity); `long`: the `cls` view only. */
  layout: 'wide' | 'long';
  /** Wide layout: metrics in column order. */
  metrics?: { name: string; counter: boolean }[];
  /** Series order for wide input: the file's column order. */
  columnOrder?: { entity: string; metric: string }[];
  /** failure_domain_1 per entity (Alibaba with --meta). */
  domainOf?: Map<string, string>;
  /** Human notes on rules applied (stored in meta, shown by info). */
  notes: string[];
}

function checkInputs(files: string[]): void {
  if (files.length === 0) throw new SeriesError('series.no-input', 'no --input file given', 'Pass one or more CSV, CSV.gz or Parquet files with --input.');
  for (const f of files) {
    if (!existsSync(f)) throw new SeriesError('series.no-input', `input file not found: ${f}`, 'Check the path (relative paths are from the current directory).');
  }
}

/** DuckDB table function over the inputs: Parquet, or CSV/CSV.gz with every column as VARCHAR. */
function relation(files: string[], csvExtra = ''): string {
  const list = `[${files.map(lit).join(', ')}]`;
  if (files.every((f) => /\.parquet$/i.test(f))) return `read_parquet(${list}, union_by_name = true)`;
  if (files.some((f) => /\.parquet$/i.test(f))) throw new SeriesError('series.mixed-input', 'mixing Parquet and CSV inputs is not supported', 'Convert them to one format first.');
  return `read_csv(${list}, header = true, all_varchar = true, union_by_name = true${csvExtra})`;
}

async function columnsOf(conn: DuckDBConnection, rel: string, files: string[]): Promise<string[]> {
  try {
    return (await rows(conn, `DESCRIBE SELECT * FROM ${rel}`)).map((r) => String(r.column_name));
  } catch (e) {
    throw new SeriesError('series.unreadable', `cannot read ${files.join(', ')}: ${(e as Error).message.split('\n')[0]}`, 'Inputs must be CSV (optionally .gz) with a header row, or Parquet.');
  }
}

function requireColumns(found: string[], required: string[], files: string[], what: string): void {
  const missing = required.filter((c) => !found.includes(c));
  if (missing.length > 0) {
    throw new SeriesError(
      'series.missing-columns',
      `${files.map((f) => basename(f)).join(', ')}: missing column(s) ${missing.join(', ')} for ${what}; columns found: ${found.join(', ') || '(none)'}`,
      'Check --source and the file header (the header row is required).',
    );
  }
}

/** SQL: masked-value reason for a raw cell (VARCHAR or numeric), NULL when usable. */
function reasonSql(raw: string, range: Range): string {
  const v = `TRY_CAST(${raw} AS DOUBLE)`;
  const parts = [
    `WHEN ${raw} IS NULL OR trim(CAST(${raw} AS VARCHAR)) = '' THEN 'empty'`,
    `WHEN ${v} IS NULL OR isnan(${v}) OR isinf(${v}) THEN 'non-numeric'`,
  ];
  if (range === 'percent') {
    parts.push(`WHEN ${v} = -1 OR ${v} = 101 THEN 'abnormal-marker'`, `WHEN ${v} < 0 OR ${v} > 100 THEN 'out-of-range'`);
  } else if (range === 'nonneg') {
    parts.push(`WHEN ${v} < 0 THEN 'out-of-range'`);
  }
  return `CASE ${parts.join(' ')} ELSE NULL END`;
}

function pickMetrics(all: MetricSpec[], wanted: string[] | undefined, dflt: string[], source: string): MetricSpec[] {
  const names = wanted && wanted.length > 0 ? wanted : dflt;
  const unknown = names.filter((n) => !all.some((m) => m.name === n));
  if (unknown.length > 0) {
    throw new SeriesError('series.unknown-metric', `--metrics: unknown ${source} metric(s) ${unknown.join(', ')}`, `Known: ${all.map((m) => m.name).join(', ')}.`);
  }
  return names.map((n) => all.find((m) => m.name === n)!);
}

function entityFilter(entities: string[] | undefined, col = 'entity'): string {
  return entities && entities.length > 0 ? `AND ${col} IN (${entities.map(lit).join(', ')})` : '';
}

/** Creates the `cls` view over the wide staging table `src(entity, ts, row_reason, all_zero, v<i>, r<i>...)`. */
async function wideToCls(conn: DuckDBConnection, metrics: MetricSpec[]): Promise<void> {
  const parts = metrics.map(
    (m, i) => `SELECT entity, ${lit(m.name)} AS metric, ts, v${i} AS v, coalesce(row_reason, r${i}) AS reason FROM src`,
  );
  await conn.run(`CREATE OR REPLACE TEMP VIEW cls AS ${parts.join(' UNION ALL ')}`);
}

/** SQL: masked-value reason for a DOUBLE cell read by a typed reader (NULL = empty cell). */
function numericReasonSql(v: string, range: Range): string {
  const parts = [`WHEN ${v} IS NULL THEN 'empty'`, `WHEN isnan(${v}) OR isinf(${v}) THEN 'non-numeric'`];
  if (range === 'percent') parts.push(`WHEN ${v} = -1 OR ${v} = 101 THEN 'abnormal-marker'`, `WHEN ${v} < 0 OR ${v} > 100 THEN 'out-of-range'`);
  else if (range === 'nonneg') parts.push(`WHEN ${v} < 0 THEN 'out-of-range'`);
  return `CASE ${parts.join(' ')} ELSE NULL END`;
}

interface WideSourceSpec {
  files: string[];
  /** Extra read_csv options (delimiter, names, filename). */
  csvExtra: string;
  /** Column names in file order (after renaming by `names`, if any). */
  columns: string[];
  /** Columns holding numbers (read as DOUBLE on the fast path). */
  numeric: Set<string>;
  entityCol: string;
  timeCol: string;
  metrics: MetricSpec[];
  /** Bitbrains: a row with this column = 0 is "VM off". */
  offCol?: string;
  /** Bitbrains: columns whose all-zero rows form the zero-filled duplicate stream. */
  allZeroCols?: string[];
  entities?: string[];
}

/**
 * Stages a fixed-column source (Alibaba, Bitbrains) as temp table `src`. Fast path: CSV read with explicit
 * DOUBLE types; if a cell does not parse, the file is re-read with every column as VARCHAR so that each bad cell
 * is masked and counted as non-numeric instead of failing the whole read.
 */
async function stageWideSource(conn: DuckDBConnection, s: WideSourceSpec): Promise<void> {
  const parquet = s.files.every((f) => /\.parquet$/i.test(f));
  const modes = parquet ? (['parquet'] as const) : (['typed', 'varchar'] as const);
  for (const mode of modes) {
    let rel: string;
    if (mode === 'parquet') rel = relation(s.files);
    else if (mode === 'typed') {
      const types = s.columns.map((c) => `${lit(c)}: ${s.numeric.has(c) ? "'DOUBLE'" : "'VARCHAR'"}`).join(', ');
      rel = `read_csv([${s.files.map(lit).join(', ')}], header = true, union_by_name = true, columns = {${types}}${s.csvExtra.replace(/, names = \[[^\]]*\]/, '')})`;
    } else rel = relation(s.files, s.csvExtra);
    const num = (c: string): string => (mode === 'typed' ? ident(c) : mode === 'parquet' ? `TRY_CAST(${ident(c)} AS DOUBLE)` : `TRY_CAST(trim(${ident(c)}) AS DOUBLE)`);
    const reason = (c: string, r: Range): string => (mode === 'typed' ? numericReasonSql(ident(c), r) : reasonSql(mode === 'parquet' ? ident(c) : `trim(${ident(c)})`, r));
    const cols = s.metrics.map((m, i) => `${num(m.column)} AS v${i}, ${reason(m.column, m.range)} AS r${i}`);
    const allZero = s.allZeroCols ? s.allZeroCols.map((c) => `coalesce(${num(c)}, 0) = 0`).join(' AND ') : 'false';
    const entity = s.entityCol === 'filename' ? `regexp_extract(filename, '(\\d+)\\.csv(\\.gz)?$', 1)` : `trim(CAST(${ident(s.entityCol)} AS VARCHAR))`;
    const sql = `CREATE OR REPLACE TEMP TABLE src AS
      SELECT * FROM (
        SELECT ${entity} AS entity, ${num(s.timeCol)} AS ts,
          CASE WHEN ${num(s.timeCol)} IS NULL THEN 'bad-time' ${s.offCol ? `WHEN ${num(s.offCol)} = 0 THEN 'vm-off'` : ''} END AS row_reason,
          ${allZero} AS all_zero, ${cols.join(', ')}
        FROM ${rel})
      WHERE entity IS NOT NULL AND entity <> '' ${entityFilter(s.entities)}`;
    try {
      await conn.run(sql);
      break;
    } catch (e) {
      const msg = (e as Error).message;
      if (mode !== 'typed' || !/conver|could not|invalid input|error when/i.test(msg)) {
        throw new SeriesError('series.unreadable', `cannot read ${s.files.map((f) => basename(f)).join(', ')}: ${msg.split('\n')[0]}`, 'Inputs must be CSV (optionally .gz) with a header row, or Parquet.');
      }
    }
  }
  await wideToCls(conn, s.metrics);
}

/**
 * Duplicate-stream rule (Bitbrains VMs with a zero-filled stream interleaved with the real one): a usable row
 * whose usage fields are all zero is marked `duplicate-stream` (masked) when another usable row of the same
 * entity in the same native slot has non-zero usage. A slot holding only all-zero rows keeps them (an idle VM
 * reports genuine zeros). Candidates are the few all-zero rows, so this is a small hash join, not a window
 * over every row.
 */
async function markDuplicateStreams(conn: DuckDBConnection, slotSeconds: number): Promise<void> {
  await conn.run(`CREATE OR REPLACE TEMP TABLE dup_slots AS
    WITH z AS (SELECT DISTINCT entity, floor(ts / ${slotSeconds}) AS slot FROM src WHERE row_reason IS NULL AND all_zero)
    SELECT DISTINCT z.entity, z.slot FROM z JOIN src s ON s.entity = z.entity AND floor(s.ts / ${slotSeconds}) = z.slot
    WHERE s.row_reason IS NULL AND NOT s.all_zero`);
  await conn.run(`UPDATE src SET row_reason = 'duplicate-stream' FROM dup_slots d
    WHERE src.entity = d.entity AND floor(src.ts / ${slotSeconds}) = d.slot AND src.row_reason IS NULL AND src.all_zero`);
  await conn.run('DROP TABLE dup_slots');
}

async function stageAlibaba(conn: DuckDBConnection, o: SourceOptions): Promise<StagedSource> {
  const dflt = o.keepSparseMetrics ? [...ALIBABA_DEFAULT, ...ALIBABA_SPARSE] : ALIBABA_DEFAULT;
  const metrics = pickMetrics(ALIBABA_METRICS, o.metrics, dflt, 'alibaba2018');
  const found = await columnsOf(conn, relation(o.inputs), o.inputs);
  requireColumns(found, ['machine_id', 'time_stamp', ...metrics.map((m) => m.column)], o.inputs, 'alibaba2018 machine_usage');
  await stageWideSource(conn, {
    files: o.inputs,
    csvExtra: '',
    columns: found,
    numeric: new Set(['time_stamp', ...ALIBABA_METRICS.map((m) => m.column)]),
    entityCol: 'machine_id',
    timeCol: 'time_stamp',
    metrics,
    entities: o.entities,
  });
  const notes = [
    'percent columns: -1 and 101 are abnormal markers (masked), other values outside [0, 100] out-of-range',
    'net_in/net_out: cumulative counters; last value per step, differenced; a decrease (reset) or a missing previous step is masked',
  ];
  if (!metrics.some((m) => ALIBABA_SPARSE.includes(m.name))) notes.push('mem_gps/mkpi left out (mostly empty; --keep-sparse-metrics keeps them)');
  let domainOf: Map<string, string> | undefined;
  if (o.meta) {
    checkInputs([o.meta]);
    const mrel = relation([o.meta]);
    requireColumns(await columnsOf(conn, mrel, [o.meta]), ['machine_id', 'failure_domain_1'], [o.meta], 'alibaba2018 machine_meta');
    const dom = await rows(conn, `SELECT trim(CAST(machine_id AS VARCHAR)) AS m, mode(CAST(failure_domain_1 AS VARCHAR)) AS d
      FROM ${mrel} WHERE failure_domain_1 IS NOT NULL AND trim(CAST(failure_domain_1 AS VARCHAR)) <> ''
      AND trim(CAST(machine_id AS VARCHAR)) IN (SELECT DISTINCT entity FROM src) GROUP BY 1`);
    domainOf = new Map(dom.map((r) => [String(r.m), String(r.d)]));
    notes.push('topology: metrics of one machine linked; same metric of machines sharing failure_domain_1 (most frequent value in machine_meta) linked');
  }
  return { layout: 'wide', metrics: metrics.map((m) => ({ name: m.name, counter: !!m.counter })), domainOf, notes };
}

async function stageBitbrains(conn: DuckDBConnection, o: SourceOptions): Promise<StagedSource> {
  const all: MetricSpec[] = BITBRAINS_ALL.map((c) => ({ name: c, column: c, range: 'nonneg' }));
  const metrics = pickMetrics(all, o.metrics, BITBRAINS_DEFAULT, 'bitbrains');
  const first = await columnsOf(conn, relation(o.inputs.slice(0, 1)), o.inputs.slice(0, 1));
  const base = { files: o.inputs, numeric: new Set(BITBRAINS_RAW_ORDER), timeCol: 'timestamp_s', metrics, offCol: 'cpu_cores', allZeroCols: BITBRAINS_USAGE, entities: o.entities };
  if (first.includes('vm_id')) {
    const found = await columnsOf(conn, relation(o.inputs), o.inputs);
    requireColumns(found, ['vm_id', ...BITBRAINS_RAW_ORDER], o.inputs, 'the combined Bitbrains file');
    await stageWideSource(conn, { ...base, csvExtra: '', columns: found, entityCol: 'vm_id' });
  } else if (first.some((c) => /timestamp/i.test(c)) && first.length === BITBRAINS_RAW_ORDER.length) {
    // Original GWA-T-12 per-VM files: `;\t`-separated, header `Timestamp [ms]; CPU cores; ...`, VM id = file number.
    await stageWideSource(conn, {
      ...base,
      csvExtra: `, delim = ';', names = [${BITBRAINS_RAW_ORDER.map(lit).join(', ')}], filename = true`,
      columns: BITBRAINS_RAW_ORDER,
      entityCol: 'filename',
    });
  } else {
    throw new SeriesError('series.missing-columns', `${basename(o.inputs[0]!)}: not a Bitbrains file; columns found: ${first.join(', ')}`, 'Expected the combined file (vm_id, timestamp_s, ...) or GWA-T-12 per-VM files (Timestamp [ms]; CPU cores; ...).');
  }
  await markDuplicateStreams(conn, BITBRAINS_NATIVE_S);
  return {
    layout: 'wide',
    metrics: metrics.map((m) => ({ name: m.name, counter: false })),
    notes: [
      'timestamps are Unix seconds (the source header says ms)',
      'rows with cpu_cores = 0 (zero capacity: VM off / no data) are masked; this is the zero-filled second stream of VMs 20 and 82',
      `duplicate streams: within one VM and one ${BITBRAINS_NATIVE_S} s native slot, a row whose usage fields are all zero is dropped when another row of that slot has non-zero usage`,
      'cpu_usage_pct above 100 is kept (a known property of the trace)',
    ],
  };
}

const TIME_NAMES = ['time', 'timestamp', 'ts', 'time_stamp', 'timestamp_s'];

/** SQL: seconds from a time cell holding Unix/relative seconds or an ISO timestamp. */
function timeSql(col: string): string {
  const c = `trim(CAST(${col} AS VARCHAR))`;
  return `coalesce(TRY_CAST(${c} AS DOUBLE), epoch(TRY_CAST(${c} AS TIMESTAMPTZ)))`;
}

async function stageLong(conn: DuckDBConnection, o: SourceOptions): Promise<StagedSource> {
  const rel = relation(o.inputs);
  const found = await columnsOf(conn, rel, o.inputs);
  const lower = found.map((c) => c.toLowerCase());
  const pick = (names: string[]): string | undefined => {
    const i = lower.findIndex((c) => names.includes(c));
    return i < 0 ? undefined : found[i];
  };
  const tcol = pick(TIME_NAMES);
  const ecol = pick(['entity', 'instance', 'host', 'machine_id', 'vm_id', 'series']);
  const mcol = pick(['metric', '__name__', 'name', 'metric_name']);
  const vcol = pick(['value', 'val', 'y']);
  const missing = [tcol ? '' : 'time', ecol ? '' : 'entity', mcol ? '' : 'metric', vcol ? '' : 'value'].filter(Boolean);
  if (missing.length > 0) requireColumns(found, missing, o.inputs, 'long format (time, entity, metric, value)');
  const metricFilter = o.metrics && o.metrics.length > 0 ? `AND metric IN (${o.metrics.map(lit).join(', ')})` : '';
  await conn.run(`CREATE OR REPLACE TEMP VIEW cls AS
    SELECT * FROM (
      SELECT trim(CAST(${ident(ecol!)} AS VARCHAR)) AS entity, trim(CAST(${ident(mcol!)} AS VARCHAR)) AS metric,
        ${timeSql(ident(tcol!))} AS ts, TRY_CAST(${ident(vcol!)} AS DOUBLE) AS v,
        CASE WHEN ${timeSql(ident(tcol!))} IS NULL THEN 'bad-time' ELSE ${reasonSql(ident(vcol!), 'any')} END AS reason
      FROM ${rel}) WHERE entity IS NOT NULL AND metric IS NOT NULL ${entityFilter(o.entities)} ${metricFilter}`);
  return { layout: 'long', notes: [`long format: time=${tcol}, entity=${ecol}, metric=${mcol}, value=${vcol}`] };
}

async function stageWide(conn: DuckDBConnection, o: SourceOptions): Promise<StagedSource> {
  const rel = relation(o.inputs);
  const found = await columnsOf(conn, rel, o.inputs);
  const tcol = found.find((c) => TIME_NAMES.includes(c.toLowerCase()));
  if (!tcol) requireColumns(found, ['time'], o.inputs, 'wide format (time + one column per series)');
  const seriesCols = found.filter((c) => c !== tcol);
  if (seriesCols.length === 0) throw new SeriesError('series.missing-columns', `${o.inputs.join(', ')}: no series column besides '${tcol}'`, 'A wide file has a time column and one column per series (named entity:metric).');
  const order = seriesCols.map(splitSeriesName);
  const keep = order.filter((p) => (!o.entities?.length || o.entities.includes(p.entity)) && (!o.metrics?.length || o.metrics.includes(p.metric)));
  if (keep.length === 0) throw new SeriesError('series.empty-selection', 'no column matches --entities/--metrics', `Columns: ${seriesCols.slice(0, 20).join(', ')}${seriesCols.length > 20 ? ', ...' : ''}`);
  const keptCols = seriesCols.filter((_, i) => keep.includes(order[i]!));
  // UNPIVOT keeps empty cells (INCLUDE NULLS) so they are counted as 'empty' rather than silently absent.
  await conn.run(`CREATE OR REPLACE TEMP VIEW wide_in AS
    SELECT ${ident(tcol!)} AS "__time", ${keptCols.map((c) => `CAST(${ident(c)} AS VARCHAR) AS ${ident(c)}`).join(', ')} FROM ${rel}`);
  await conn.run(`CREATE OR REPLACE TEMP TABLE src AS
    SELECT ${timeSql('"__time"')} AS ts, name, raw
    FROM wide_in UNPIVOT INCLUDE NULLS (raw FOR name IN (${keptCols.map(ident).join(', ')}))`);
  // Column name -> (entity, metric) through a small lookup table (a hash join, not a regexp per cell).
  await conn.run(`CREATE OR REPLACE TEMP TABLE wide_names (name VARCHAR, entity VARCHAR, metric VARCHAR)`);
  const app = await conn.createAppender('wide_names', 'main', 'temp');
  keptCols.forEach((c) => {
    const p = splitSeriesName(c);
    app.appendVarchar(c);
    app.appendVarchar(p.entity);
    app.appendVarchar(p.metric);
    app.endRow();
  });
  app.closeSync();
  await conn.run(`CREATE OR REPLACE TEMP VIEW cls AS
    SELECT n.entity, n.metric, s.ts, TRY_CAST(s.raw AS DOUBLE) AS v,
      CASE WHEN s.ts IS NULL THEN 'bad-time' ELSE ${reasonSql('s.raw', 'any')} END AS reason
    FROM src s JOIN wide_names n ON s.name = n.name`);
  return { layout: 'long', columnOrder: keep, notes: [`wide format: time=${tcol}, ${keptCols.length} series columns (entity:metric split at the last colon)`] };
}

/** Stages the input as the `cls` view; validates files and columns. */
export async function stageSource(conn: DuckDBConnection, o: SourceOptions): Promise<StagedSource> {
  checkInputs(o.inputs);
  switch (o.source) {
    case 'alibaba2018':
      return stageAlibaba(conn, o);
    case 'bitbrains':
      return stageBitbrains(conn, o);
    case 'long':
      return stageLong(conn, o);
    case 'wide':
      return stageWide(conn, o);
    default:
      throw new SeriesError('series.bad-source', `--source '${String(o.source)}' is not known`, `Use one of ${SOURCE_KINDS.join(', ')}.`);
  }
}
