/**
 * `prepare`: source -> staged samples (SQL) -> fixed-step grid (SQL) -> dense T x K arrays -> split, training
 * statistics, adjacency, gap report -> one DuckDB file. The heavy lifting (CSV parsing, classification,
 * bucketing, averaging) happens inside DuckDB; JS only sees one row per observed (series, step).
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { SeriesError } from '../errors.ts';
import type { SparseAdjacency } from './dataset.ts';
import { EdgeSet, parseAdjacencyKind, statisticalEdges, topologyEdges, offDiagonalEdges } from './adjacency.ts';
import { buildMultiSeries, DEFAULT_SPLIT, splitBoundaries, trainingStats } from './build.ts';
import { lit, openDb } from './db.ts';
import { gapReport, type GapSummary } from './gaps.ts';
import { binSteps, binWide, gridOf, inferStep, invalidCounts, seriesPairs, wideEntities } from './resample.ts';
import { stageSource, type SourceKind } from './sources.ts';
import { createTables, FORMAT_VERSION, readValues, writeAdjacency, writeMeta, writeSeries } from './store.ts';

export interface PrepareOptions {
  source: SourceKind;
  inputs: string[];
  /** Alibaba machine_meta (failure domains for the topology adjacency). */
  meta?: string;
  out: string;
  /** Grid step; default 300 s for alibaba2018/bitbrains, the median timestamp spacing for long/wide. */
  stepSeconds?: number;
  metrics?: string[];
  entities?: string[];
  /** `topology`, `statistical`, `identity` or `+`-joined; default `topology+statistical`. */
  adjacency?: string;
  /** Neighbours per series for the statistical adjacency; default 5. */
  topK?: number;
  split?: [number, number];
  keepSparseMetrics?: boolean;
  force?: boolean;
}

export interface MaskedCount {
  metric: string;
  reason: string;
  count: number;
}

export interface PrepareReport {
  out: string;
  source: SourceKind;
  T: number;
  K: number;
  stepSeconds: number;
  startTime: number;
  entities: number;
  metrics: string[];
  split: { trainEnd: number; valEnd: number };
  missingShare: Record<string, number>;
  masked: MaskedCount[];
  adjacency: { kind: string; edges: number; nonZeros: number };
  gaps: GapSummary;
  fingerprint: string;
  seconds: number;
}

export type PrepareProgress = (stage: string, fraction: number) => void;

const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0);

/** Missing share per metric over the whole grid. */
export function missingShareByMetric(T: number, K: number, mask: Uint8Array, metricOf: readonly string[]): Record<string, number> {
  const seen = new Map<string, number>();
  const cells = new Map<string, number>();
  for (let k = 0; k < K; k++) cells.set(metricOf[k]!, (cells.get(metricOf[k]!) ?? 0) + T);
  for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) if (mask[t * K + k]) seen.set(metricOf[k]!, (seen.get(metricOf[k]!) ?? 0) + 1);
  const out: Record<string, number> = {};
  for (const [m, n] of cells) out[m] = 1 - (seen.get(m) ?? 0) / n;
  return out;
}

export async function prepareDataset(o: PrepareOptions, onProgress?: PrepareProgress): Promise<PrepareReport> {
  const t0 = performance.now();
  const progress = onProgress ?? (() => {});
  const kinds = parseAdjacencyKind(o.adjacency ?? 'topology+statistical');
  const topK = o.topK ?? 5;
  const splitRatios = o.split ?? ([...DEFAULT_SPLIT] as [number, number]);
  if (existsSync(o.out) && !o.force) {
    throw new SeriesError('series.out-exists', `${o.out} already exists`, 'Pass --force to overwrite it, or choose another --out.');
  }
  const tmp = `${o.out}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  const db = await openDb(tmp);
  const { conn } = db;
  // Poll DuckDB's own progress while a long query runs.
  let stage = 'reading';
  let base = 0;
  let span = 0.5;
  const timer = setInterval(() => {
    const p = conn.progress.percentage;
    if (p >= 0) progress(stage, base + (span * p) / 100);
  }, 250);
  try {
    progress(stage, 0);
    await conn.run(`SET temp_directory = ${lit(`${tmp}.spill`)}`);
    const staged = await stageSource(conn, o);
    const stepSeconds = o.stepSeconds ?? (o.source === 'long' || o.source === 'wide' ? await inferStep(conn, o.inputs) : 300);
    const grid = await gridOf(conn, stepSeconds, o.inputs);
    const T = grid.T;
    const split = splitBoundaries(T, splitRatios);
    stage = 'resampling';
    base = 0.5;
    span = 0.2;
    const masked = await invalidCounts(conn);
    let pairs: { entity: string; metric: string }[];
    if (staged.layout === 'wide') {
      const metricsW = staged.metrics!;
      masked.push(...(await binWide(conn, grid, { metrics: metricsW })));
      const ents = (await wideEntities(conn)).sort(natural);
      pairs = ents.flatMap((entity) => metricsW.map((m) => ({ entity, metric: m.name })));
      await conn.run(`CREATE TABLE entity_map (entity VARCHAR, ei INTEGER)`);
      const app = await conn.createAppender('entity_map');
      ents.forEach((e, i) => {
        app.appendVarchar(e);
        app.appendInteger(i);
        app.endRow();
      });
      app.closeSync();
      const M = metricsW.length;
      const parts = metricsW.map((_, i) => `SELECT t, ei * ${M} + ${i} AS k, m${i} AS value FROM steps JOIN entity_map USING (entity) WHERE m${i} IS NOT NULL`);
      await conn.run(`CREATE TABLE obs AS ${parts.join(' UNION ALL ')}`);
      await conn.run('DROP TABLE entity_map');
      await conn.run('DROP TABLE steps');
    } else {
      await binSteps(conn, grid);
      // Series order: wide files keep their column order; otherwise entities in natural order, then metrics.
      pairs = staged.columnOrder ?? (await seriesPairs(conn));
      if (!staged.columnOrder) pairs.sort((a, b) => natural(a.entity, b.entity) || natural(a.metric, b.metric));
      await conn.run(`CREATE TABLE series_map (entity VARCHAR, metric VARCHAR, k INTEGER)`);
      const app = await conn.createAppender('series_map');
      pairs.forEach((p, k) => {
        app.appendVarchar(p.entity);
        app.appendVarchar(p.metric);
        app.appendInteger(k);
        app.endRow();
      });
      app.closeSync();
      await conn.run(`CREATE TABLE obs AS SELECT s.t, m.k, s.value FROM gauge_steps s JOIN series_map m USING (entity, metric)`);
      await conn.run('DROP TABLE series_map');
      await conn.run('DROP TABLE gauge_steps');
    }
    await conn.run('DROP TABLE IF EXISTS src');
    const K = pairs.length;
    if (K === 0) throw new SeriesError('series.empty-input', `no series in ${o.inputs.join(', ')}`, 'Check --entities and --metrics.');

    stage = 'statistics';
    progress(stage, 0.7);
    const values = await readValues(conn, T, K);
    const names = pairs.map((p) => `${p.entity}:${p.metric}`);
    const entityOf = pairs.map((p) => p.entity);
    const metricOf = pairs.map((p) => p.metric);
    const stats = trainingStats(values, T, K, split.trainEnd);

    stage = 'adjacency';
    const edges = new EdgeSet(K);
    if (kinds.includes('topology')) edges.merge(topologyEdges(entityOf, metricOf, staged.domainOf));
    if (kinds.includes('statistical')) {
      edges.merge(statisticalEdges(values, T, K, split.trainEnd, stats.mean, topK, (f) => progress('adjacency', 0.75 + 0.2 * f)));
    }
    const adjacency: SparseAdjacency = edges.toAdjacency(kinds.join('+'));
    const ds = buildMultiSeries({ values, T, K, names, entityOf, metricOf, stepSeconds, startTime: grid.start, boundaries: split, adjacency, stats });

    stage = 'writing';
    progress(stage, 0.95);
    const gaps = gapReport(ds);
    const missingShare = missingShareByMetric(T, K, ds.mask, metricOf);
    const metrics = [...new Set(metricOf)];
    const entities = new Set(entityOf).size;
    await createTables(conn);
    await writeSeries(conn, ds, gaps.perSeries);
    await writeAdjacency(conn, adjacency);
    const edgeCount = offDiagonalEdges(adjacency);
    await writeMeta(conn, {
      format_version: FORMAT_VERSION,
      T,
      K,
      step_seconds: stepSeconds,
      start_time: grid.start,
      train_end: split.trainEnd,
      val_end: split.valEnd,
      split_ratios: splitRatios,
      fingerprint: ds.fingerprint,
      source: o.source,
      inputs: o.inputs,
      meta_input: o.meta ?? null,
      adjacency_kind: adjacency.kind,
      adjacency_top_k: kinds.includes('statistical') ? topK : null,
      adjacency_edges: edgeCount,
      masked,
      samples: grid.samples,
      gap_summary: gaps.summary,
      missing_share: missingShare,
      notes: staged.notes,
    });
    clearInterval(timer);
    await conn.run('CHECKPOINT');
    db.close();
    rmSync(o.out, { force: true });
    rmSync(`${o.out}.wal`, { force: true });
    renameSync(tmp, o.out);
    rmSync(`${tmp}.spill`, { recursive: true, force: true });
    progress('done', 1);
    return {
      out: o.out,
      source: o.source,
      T,
      K,
      stepSeconds,
      startTime: grid.start,
      entities,
      metrics,
      split,
      missingShare,
      masked,
      adjacency: { kind: adjacency.kind, edges: edgeCount, nonZeros: adjacency.colIdx.length },
      gaps: gaps.summary,
      fingerprint: ds.fingerprint,
      seconds: (performance.now() - t0) / 1000,
    };
  } catch (e) {
    clearInterval(timer);
    try {
      db.close();
    } catch {
      // already closed
    }
    for (const f of [tmp, `${tmp}.wal`, `${tmp}.spill`]) rmSync(f, { recursive: true, force: true });
    throw e;
  } finally {
    clearInterval(timer);
  }
}
