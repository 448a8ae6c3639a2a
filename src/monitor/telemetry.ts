/**
 * Telemetry sinks: one row per batch (wide CSV or Parquet) or one row per batch x series (the long format the
 * forecaster reads), so the monitor's own per-query costs become a multi-task time series (DESIGN.md, "the
 * bridge").
 *
 * Wide columns: `time` (batch start, Unix seconds), `packets`, `drops`, `warmup`, `gc`, `alloc` (the page-fault
 * guard flagged some query's call; that query's predictor did not learn from the batch), `budget_ns`,
 * `available_ns`, `backlog_ns`, `overhead_ns`, `queries_ns`, `shed_passes`, the 55 features by name, then per
 * query `<q>.predicted_ns`, `<q>.measured_ns`, `<q>.rate`, `<q>.learned` (1 when its predictor learned from the
 * batch: not GC-flagged, ran, not flagged for page faults).
 *
 * Long format (`*.long.csv`): columns `time,entity,metric,value`. Entities: `monitor` (metrics packets, drops,
 * gc, alloc, backlog_ns, overhead_ns, queries_ns, budget_ns), `traffic` (the 55 features), and one entity per query
 * (predicted_ns, measured_ns, rate, learned). Warm-up batches are included (flagged through monitor:warmup = 1).
 *
 * Parquet: rows are streamed to a temporary CSV and converted with DuckDB at close (COPY ... (FORMAT parquet)).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import type { BatchRecord, TelemetrySink } from './records.ts';

const MONITOR_COLS = ['packets', 'drops', 'warmup', 'gc', 'alloc', 'budget_ns', 'available_ns', 'backlog_ns', 'overhead_ns', 'queries_ns', 'shed_passes'] as const;

function unixSeconds(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const frac = Number(ns % 1_000_000_000n) / 1e9;
  return `${s}${frac.toFixed(6).slice(1)}`;
}

function num(v: number): string {
  if (v === Infinity) return '';
  if (Number.isInteger(v)) return String(v);
  return Number.isFinite(v) ? v.toPrecision(10).replace(/\.?0+$/, '') : '';
}

function monitorValues(r: BatchRecord): number[] {
  return [r.packets, r.drops, r.warmup ? 1 : 0, r.gc ? 1 : 0, r.alloc ? 1 : 0, r.budgetNs, r.availableNs, r.backlogNs, r.overheadNs, r.queriesNs, r.shedPasses];
}

function csvField(name: string): string {
  return /[",\n]/.test(name) ? `"${name.replace(/"/g, '""')}"` : name;
}

/**
 * A streamed text file that remembers the first write error (a WriteStream reports it asynchronously) and
 * surfaces it as a UserError at close. Shared by the wide and long CSV sinks.
 */
class TelemetryFile {
  private readonly out: WriteStream;
  private failed: Error | undefined;

  constructor(readonly path: string) {
    this.out = createWriteStream(path);
    this.out.on('error', (e) => (this.failed = e));
  }

  write(text: string): void {
    this.out.write(text);
  }

  async close(): Promise<void> {
    // Resolve on both outcomes: an open/write error is already in `failed` and reported below with its path.
    await new Promise<void>((res) => this.out.end(() => res()));
    if (this.failed) throw new UserError('monitor.telemetry-write', `cannot write telemetry ${this.path}: ${this.failed.message}`, 'check the directory exists and is writable');
  }
}

/** Wide CSV, streamed. */
export class CsvTelemetry implements TelemetrySink {
  private readonly out: TelemetryFile;

  constructor(
    readonly path: string,
    readonly featureNames: readonly string[],
    readonly queryNames: readonly string[],
  ) {
    this.out = new TelemetryFile(path);
    const cols = ['time', ...MONITOR_COLS, ...featureNames];
    for (const q of queryNames) cols.push(`${q}.predicted_ns`, `${q}.measured_ns`, `${q}.rate`, `${q}.learned`);
    this.out.write(`${cols.map(csvField).join(',')}\n`);
  }

  writeBatch(r: BatchRecord, features: Float64Array): void {
    const parts: string[] = [unixSeconds(r.startNs)];
    for (const v of monitorValues(r)) parts.push(num(v));
    for (let i = 0; i < this.featureNames.length; i++) parts.push(num(features[i] ?? NaN));
    for (let i = 0; i < this.queryNames.length; i++) parts.push(num(r.predicted[i]!), num(r.measured[i]!), num(r.rate[i]!), String(r.learned[i]!));
    this.out.write(`${parts.join(',')}\n`);
  }

  close(): Promise<void> {
    return this.out.close();
  }
}

/** Long format: time,entity,metric,value. */
export class LongTelemetry implements TelemetrySink {
  private readonly out: TelemetryFile;

  constructor(
    readonly path: string,
    readonly featureNames: readonly string[],
    readonly queryNames: readonly string[],
  ) {
    this.out = new TelemetryFile(path);
    this.out.write('time,entity,metric,value\n');
  }

  writeBatch(r: BatchRecord, features: Float64Array): void {
    const t = unixSeconds(r.startNs);
    const lines: string[] = [];
    const mv = monitorValues(r);
    MONITOR_COLS.forEach((m, i) => {
      if (Number.isFinite(mv[i]!)) lines.push(`${t},monitor,${m},${num(mv[i]!)}`);
    });
    for (let i = 0; i < this.featureNames.length; i++) lines.push(`${t},traffic,${csvField(this.featureNames[i]!)},${num(features[i] ?? NaN)}`);
    for (let i = 0; i < this.queryNames.length; i++) {
      const q = csvField(this.queryNames[i]!);
      lines.push(`${t},${q},predicted_ns,${num(r.predicted[i]!)}`, `${t},${q},measured_ns,${num(r.measured[i]!)}`, `${t},${q},rate,${num(r.rate[i]!)}`, `${t},${q},learned,${r.learned[i]!}`);
    }
    this.out.write(`${lines.join('\n')}\n`);
  }

  close(): Promise<void> {
    return this.out.close();
  }
}

/** Parquet through DuckDB: wide CSV to a temp file, converted at close. */
export class ParquetTelemetry implements TelemetrySink {
  private csv: CsvTelemetry | undefined;
  private dir = '';

  private constructor(readonly path: string) {}

  static async open(path: string, featureNames: readonly string[], queryNames: readonly string[]): Promise<ParquetTelemetry> {
    const t = new ParquetTelemetry(path);
    t.dir = await mkdtemp(join(tmpdir(), 'loadcast-telemetry-'));
    t.csv = new CsvTelemetry(join(t.dir, 'telemetry.csv'), featureNames, queryNames);
    return t;
  }

  writeBatch(r: BatchRecord, features: Float64Array): void {
    this.csv!.writeBatch(r, features);
  }

  async close(): Promise<void> {
    await this.csv!.close();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;
    try {
      await con.run(`COPY (SELECT * FROM read_csv(${q(this.csv!.path)}, header = true, auto_detect = true, sample_size = -1)) TO ${q(this.path)} (FORMAT parquet)`);
    } catch (e) {
      throw new UserError('monitor.telemetry-write', `cannot write Parquet telemetry ${this.path}: ${(e as Error).message}`, 'check the directory exists and is writable');
    } finally {
      con.closeSync?.();
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}

/** Picks the sink from the file name: `.parquet`, `.long.csv`, otherwise wide CSV. */
export async function openTelemetry(path: string, featureNames: readonly string[], queryNames: readonly string[]): Promise<TelemetrySink> {
  if (path.endsWith('.parquet')) return ParquetTelemetry.open(path, featureNames, queryNames);
  if (path.endsWith('.long.csv')) return new LongTelemetry(path, featureNames, queryNames);
  return new CsvTelemetry(path, featureNames, queryNames);
}
