/**
 * Offline replay of recorded telemetry through cost predictors (`loadcast predict`): the features and measured
 * costs a monitor run wrote (`--telemetry run.csv`, wide CSV) are fed, batch by batch, to fresh predictors
 * exactly as the engine feeds its own: predict on the batch's features, then observe (features, measured cost)
 * where the run's predictor learned (`<query>.learned`: not GC-flagged, ran, not flagged for page faults; in
 * telemetry older than that column, where the batch was not GC-flagged). Batches are scored as the monitor scores them:
 * after the warm-up, not GC-flagged, with a cost. Every predictor and setting can then be compared on the
 * very same costs, without re-running the monitor, whose measured costs would differ (the machine's noise).
 *
 * Exact for batches the query ran unsampled: the telemetry holds the whole batch's features, while a sampled
 * batch's predictor saw and learned from its sample's features. Batches the query ran sampled (rate < 1) are
 * therefore neither scored nor observed, and counted in `skipped.sampled`; with none, replaying the run's own
 * predictor reproduces its recorded predictions to the 10 significant digits the telemetry keeps
 * (test/monitor/replay.test.ts).
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { FEATURE_NAMES } from '../features/index.ts';
import { createPredictor, type CostPredictor, type PredictorKind, type PredictorOptions } from '../predict/index.ts';
import { mean, quantile } from './summary.ts';

export interface ReplayOptions {
  /** Query whose costs are replayed (default: the only query in the file). */
  readonly query?: string;
  readonly predictors: readonly PredictorKind[];
  /** Settings of every replayed predictor (feature names are the telemetry's). */
  readonly settings?: Omit<PredictorOptions, 'featureNames'>;
  /** Scored window, seconds from the first batch: [fromS, toS). */
  readonly fromS?: number;
  readonly toS?: number;
}

export interface ReplayScore {
  meanRelError: number;
  medianRelError: number;
  p95RelError: number;
  /** Mean measured / predicted (1 = unbiased). */
  meanCostRatio: number;
  batches: number;
}

export interface ReplayReport {
  readonly file: string;
  readonly query: string;
  readonly queries: readonly string[];
  readonly batches: number;
  /** Scored batches: after the warm-up, not GC-flagged, unsampled, cost > 0, in the window. */
  readonly scored: number;
  readonly skipped: { readonly warmup: number; readonly gc: number; readonly sampled: number; readonly noCost: number; readonly outsideWindow: number };
  /** The run's own recorded predictions, scored on the same batches. */
  readonly recorded: ReplayScore;
  readonly predictors: Record<string, ReplayScore>;
}

/** The columns of one wide telemetry file (see telemetry.ts). */
interface WideTelemetry {
  header: string[];
  rows: number[][];
  featureAt: number;
}

/** Splits one CSV line (double-quoted fields with "" escapes, as telemetry.ts writes names). */
function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

function readWide(path: string): WideTelemetry {
  if (path.endsWith('.parquet') || path.endsWith('.long.csv')) {
    throw new UserError('predict.telemetry-format', `${path}: only wide CSV telemetry can be replayed`, 'Record it with `loadcast monitor ... --telemetry run.csv` (a name ending in .csv but not .long.csv).');
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError('predict.no-telemetry', `cannot read telemetry '${path}': ${(e as Error).message}`, 'Check the path (a file written by `loadcast monitor --telemetry run.csv`).');
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines.length ? splitCsv(lines[0]!) : [];
  // The 55 features follow the monitor columns in FEATURE_NAMES order ('packets' is in both blocks).
  const featureAt = header.indexOf(FEATURE_NAMES[1]!) - 1;
  const ok = featureAt > 0 && FEATURE_NAMES.every((n, i) => header[featureAt + i] === n) && header[0] === 'time';
  if (!ok) throw new UserError('predict.telemetry-format', `${path} is not loadcast wide telemetry (no time column and 55 feature columns in order)`, 'Record it with `loadcast monitor ... --telemetry run.csv`.');
  const rows = lines.slice(1).map((l, k) => {
    const cells = splitCsv(l);
    if (cells.length !== header.length) throw new UserError('predict.telemetry-format', `${path}:${k + 2}: ${cells.length} fields, the header has ${header.length}`, 'The file is truncated or not loadcast telemetry.');
    // Empty cells are non-finite values (telemetry.ts writes Infinity and NaN as empty).
    return cells.map((c) => (c === '' ? NaN : Number(c)));
  });
  return { header, rows, featureAt };
}

function score(errors: number[], ratios: number[]): ReplayScore {
  return { meanRelError: mean(errors), medianRelError: quantile(errors, 0.5), p95RelError: quantile(errors, 0.95), meanCostRatio: mean(ratios), batches: errors.length };
}

/** Replays the telemetry file through fresh predictors; see the module comment for what is exact. */
export function replayTelemetry(path: string, o: ReplayOptions): ReplayReport {
  const t = readWide(path);
  const col = (name: string): number => t.header.indexOf(name);
  const queries = t.header.filter((h) => h.endsWith('.measured_ns')).map((h) => h.slice(0, -'.measured_ns'.length));
  if (queries.length === 0) throw new UserError('predict.telemetry-format', `${path} holds no query columns (<query>.measured_ns)`, 'Record telemetry of a run with at least one query.');
  const query = o.query ?? (queries.length === 1 ? queries[0]! : undefined);
  if (query === undefined) throw new UserError('predict.which-query', `${path} holds several queries`, `Pick one with --query: ${queries.join(', ')}.`);
  if (!queries.includes(query)) throw new UserError('predict.unknown-query', `${path} has no query '${query}'`, `Queries in the file: ${queries.join(', ')}.`);
  const [iPred, iMeas, iRate, iLearned] = ['predicted_ns', 'measured_ns', 'rate', 'learned'].map((c) => col(`${query}.${c}`)) as [number, number, number, number];
  const [iTime, iWarm, iGc] = [col('time'), col('warmup'), col('gc')];
  if (iWarm < 0 || iGc < 0) throw new UserError('predict.telemetry-format', `${path} lacks the warmup or gc column`, 'Record it with `loadcast monitor ... --telemetry run.csv`.');

  const predictors: CostPredictor[] = o.predictors.map((k) => createPredictor(k, { ...o.settings, featureNames: FEATURE_NAMES }));
  const errs = o.predictors.map((): number[] => []);
  const ratios = o.predictors.map((): number[] => []);
  const recErr: number[] = [];
  const recRatio: number[] = [];
  const skipped = { warmup: 0, gc: 0, sampled: 0, noCost: 0, outsideWindow: 0 };
  const fromS = o.fromS ?? -Infinity;
  const toS = o.toS ?? Infinity;
  const f = new Float64Array(FEATURE_NAMES.length);
  const p = new Float64Array(predictors.length);
  const t0 = t.rows.length ? t.rows[0]![iTime]! : 0;
  for (const r of t.rows) {
    for (let j = 0; j < f.length; j++) f[j] = r[t.featureAt + j]!;
    for (let k = 0; k < predictors.length; k++) p[k] = predictors[k]!.predict(f);
    const m = r[iMeas]!;
    const gc = r[iGc] === 1;
    const learned = iLearned >= 0 ? r[iLearned] === 1 : !gc;
    const unsampled = r[iRate] === 1;
    if (learned && unsampled && Number.isFinite(m)) for (const pr of predictors) pr.observe(f, m);
    const at = r[iTime]! - t0;
    if (r[iWarm] === 1) skipped.warmup++;
    else if (gc) skipped.gc++;
    else if (!unsampled) skipped.sampled++;
    else if (!(m > 0)) skipped.noCost++;
    else if (at < fromS || at >= toS) skipped.outsideWindow++;
    else {
      for (let k = 0; k < predictors.length; k++) {
        errs[k]!.push(Math.abs(p[k]! - m) / m);
        if (p[k]! > 0) ratios[k]!.push(m / p[k]!);
      }
      const rec = r[iPred]!;
      recErr.push(Math.abs(rec - m) / m);
      if (rec > 0) recRatio.push(m / rec);
    }
  }
  return {
    file: path,
    query,
    queries,
    batches: t.rows.length,
    scored: recErr.length,
    skipped,
    recorded: score(recErr, recRatio),
    predictors: Object.fromEntries(o.predictors.map((k, i) => [k, score(errs[i]!, ratios[i]!)])),
  };
}
