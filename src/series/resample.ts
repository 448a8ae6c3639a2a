/**
 * Fixed-step resampling in SQL, from the staged `cls` view: step k covers [start + k step, start + (k+1) step),
 * start = floor(min time / step) x step. A gauge's value in a step is the mean of its usable samples; a step
 * with no usable sample is missing (never zero-filled). A cumulative counter's value in a step is its last
 * sample (latest time; ties by larger value), and the series is the per-step difference with the previous step:
 * missing when the previous step has no value, masked as a reset when negative.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SeriesError } from '../errors.ts';
import { rows } from './db.ts';

export interface Grid {
  start: number;
  stepSeconds: number;
  T: number;
  /** Samples (rows x metrics) with a usable time. */
  samples: number;
}

/** Most common spacing of consecutive distinct timestamps (the median gap), for long/wide inputs. */
export async function inferStep(conn: DuckDBConnection, inputs: string[]): Promise<number> {
  const total = Number((await rows(conn, `SELECT count(*) AS n FROM cls`))[0]!.n);
  if (total === 0) throw new SeriesError('series.empty-input', `no data rows in ${inputs.join(', ')}`, 'Check the file (a header alone is not enough) and --entities/--metrics.');
  const r = await rows(conn, `SELECT median(d) AS step FROM (SELECT ts - lag(ts) OVER (ORDER BY ts) AS d FROM (SELECT DISTINCT ts FROM cls WHERE ts IS NOT NULL)) WHERE d > 0`);
  const step = Number(r[0]?.step);
  if (!(step > 0)) throw new SeriesError('series.single-step', 'the input has fewer than two distinct timestamps, so no step can be inferred', 'Pass --step, or an input covering several time steps.');
  return step;
}

/** Time extent of the input (every row with a usable time counts, even if its values are masked). */
export async function gridOf(conn: DuckDBConnection, stepSeconds: number, inputs: string[]): Promise<Grid> {
  const r = (await rows(conn, `SELECT min(ts) AS mn, max(ts) AS mx, count(ts) AS n, count(*) AS total FROM cls`))[0]!;
  if (Number(r.total) === 0) throw new SeriesError('series.empty-input', `no data rows in ${inputs.join(', ')}`, 'Check the file (a header alone is not enough) and --entities/--metrics.');
  if (Number(r.n) === 0) throw new SeriesError('series.empty-input', `no row of ${inputs.join(', ')} has a usable timestamp`, 'Timestamps must be numbers of seconds or ISO dates.');
  const start = Math.floor(Number(r.mn) / stepSeconds) * stepSeconds;
  const T = Math.floor((Number(r.mx) - start) / stepSeconds) + 1;
  if (T < 2) {
    throw new SeriesError('series.single-step', `the input covers a single time step of ${stepSeconds} s (times ${r.mn} to ${r.mx})`, 'Use a longer input or a smaller --step.');
  }
  return { start, stepSeconds, T, samples: Number(r.n) };
}

/** Masked-sample counts by metric and reason. */
export async function invalidCounts(conn: DuckDBConnection): Promise<{ metric: string; reason: string; count: number }[]> {
  const r = await rows(conn, `SELECT metric, reason, count(*) AS n FROM cls WHERE reason IS NOT NULL GROUP BY ALL ORDER BY metric, reason`);
  return r.map((x) => ({ metric: String(x.metric), reason: String(x.reason), count: Number(x.n) }));
}

/** Distinct (entity, metric) pairs present in the input (any row, usable or not). */
export async function seriesPairs(conn: DuckDBConnection): Promise<{ entity: string; metric: string }[]> {
  const r = await rows(conn, `SELECT DISTINCT entity, metric FROM cls`);
  return r.map((x) => ({ entity: String(x.entity), metric: String(x.metric) }));
}

/**
 * Binning of a long-layout source (the `long` and `wide` file formats: gauges only; counters come only from the
 * fixed-column sources, see {@link binWide}). Creates temp table `gauge_steps(entity, metric, t, value)`: one row
 * per (series, step) with a usable sample, the mean of its samples.
 */
export async function binSteps(conn: DuckDBConnection, g: Grid): Promise<void> {
  const bucket = `CAST(floor((ts - ${g.start}) / ${g.stepSeconds}) AS INTEGER)`;
  await conn.run(`CREATE OR REPLACE TEMP TABLE gauge_steps AS
    SELECT entity, metric, ${bucket} AS t, avg(v) AS value FROM cls
    WHERE reason IS NULL GROUP BY ALL`);
}

export interface WideBinning {
  metrics: readonly { name: string; counter: boolean }[];
}

/**
 * Binning of a fixed-column source staged as `src(entity, ts, row_reason, all_zero, v<i>, r<i>)`, aggregated per
 * (entity, step) on all metrics at once (one hash group per entity-step rather than per series-step). Creates
 * temp table `steps(entity, t, m<i>...)` and returns step-level masked counts (counter-*).
 */
export async function binWide(conn: DuckDBConnection, g: Grid, b: WideBinning): Promise<{ metric: string; reason: string; count: number }[]> {
  const bucket = `CAST(floor((ts - ${g.start}) / ${g.stepSeconds}) AS INTEGER)`;
  const ok = (i: number): string => `row_reason IS NULL AND r${i} IS NULL`;
  const aggs = b.metrics.map((m, i) =>
    m.counter ? `arg_max(v${i}, [ts, v${i}]) FILTER (WHERE ${ok(i)}) AS m${i}` : `avg(v${i}) FILTER (WHERE ${ok(i)}) AS m${i}`,
  );
  await conn.run(`CREATE OR REPLACE TEMP TABLE steps AS SELECT entity, ${bucket} AS t, ${aggs.join(', ')} FROM src WHERE ts IS NOT NULL GROUP BY ALL`);
  const masked: { metric: string; reason: string; count: number }[] = [];
  const counters = b.metrics.map((m, i) => ({ ...m, i })).filter((m) => m.counter);
  if (counters.length > 0) {
    const cols = b.metrics.map((m, i) => {
      if (!m.counter) return `m${i}`;
      const prev = `lag(m${i}) OVER w`;
      const okPrev = `lag(t) OVER w = t - 1 AND ${prev} IS NOT NULL`;
      return `CASE WHEN m${i} IS NOT NULL AND ${okPrev} AND m${i} - ${prev} >= 0 THEN m${i} - ${prev} END AS m${i},
        CASE WHEN m${i} IS NULL THEN NULL WHEN NOT coalesce(${okPrev}, false) THEN 'counter-no-previous-step' WHEN m${i} - ${prev} < 0 THEN 'counter-reset' END AS cr${i}`;
    });
    await conn.run(`CREATE OR REPLACE TEMP TABLE steps_diff AS SELECT entity, t, ${cols.join(', ')} FROM steps WINDOW w AS (PARTITION BY entity ORDER BY t)`);
    await conn.run('DROP TABLE steps');
    await conn.run('ALTER TABLE steps_diff RENAME TO steps');
    for (const c of counters) {
      const r = await rows(conn, `SELECT cr${c.i} AS reason, count(*) AS n FROM steps WHERE cr${c.i} IS NOT NULL GROUP BY 1 ORDER BY 1`);
      for (const x of r) masked.push({ metric: c.name, reason: String(x.reason), count: Number(x.n) });
    }
  }
  return masked;
}

/** Distinct entities of the wide staging table. */
export async function wideEntities(conn: DuckDBConnection): Promise<string[]> {
  return (await rows(conn, `SELECT DISTINCT entity FROM src`)).map((x) => String(x.entity));
}
