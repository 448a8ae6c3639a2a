/**
 * Run statistics: per-query cost totals, prediction error, cost against budget, rates, drops; and each query's
 * result error against an exact reference run.
 */
import type { BatchRecord, IntervalResult } from './records.ts';

export interface QuerySummary {
  readonly name: string;
  /** Total measured cost over the run, ns (issue 3's `costNs`). */
  readonly costNs: number;
  /** Relative prediction error |predicted - measured| / measured over the scored batches. */
  readonly predError: { readonly mean: number; readonly p95: number; readonly batches: number };
  readonly rate: { readonly mean: number; readonly min: number };
  /** Batches in which the shedder disabled the query (rate 0). */
  readonly disabledBatches: number;
  /** Result error against the reference run (only with --reference). */
  readonly resultError?: ResultError;
}

export interface RunSummary {
  readonly packets: number;
  readonly batches: number;
  /** Processing time (queries + overhead) in seconds. */
  readonly seconds: number;
  /** Packets per second of processing time, in millions. */
  readonly mpps: number;
  /** Wall-clock seconds of the whole run (reading the trace included). */
  readonly wallSeconds: number;
  readonly budgetNs: number | null;
  /**
   * Scored (post-warm-up, no GC) batches whose cost was <= 1.05 x budget; cost = queries + overhead, or the
   * queries only when the budget covers only them.
   */
  readonly withinBudgetShare: number | null;
  /** Mean and p95 of total cost / budget over scored batches. */
  readonly costOverBudget: { readonly mean: number; readonly p95: number; readonly max: number } | null;
  readonly uncontrolledDrops: number;
  readonly gcBatches: number;
  /** Batches flagged by the memory-growth guard (kept out of the histories; see EngineOptions.faultFlagPages). */
  readonly allocBatches: number;
  readonly warmupBatches: number;
  /** Features + prediction + shedding time / total processing time (queries + that overhead; capture excluded). */
  readonly overheadShare: number;
  /**
   * The same overhead over processing time + capture (reading and decoding the trace between batches), i.e.
   * the monitor's whole time; null when capture was not measured.
   */
  readonly overheadShareWithCapture: number | null;
  /**
   * Totals over the run in seconds: capture (not in `seconds`), the queries (their interval flushes included,
   * also given apart as flushS), and the overhead by phase (see OverheadSplit).
   */
  readonly timeSplit: { readonly captureS: number; readonly queriesS: number; readonly flushS: number; readonly featuresS: number; readonly predictS: number; readonly shedS: number; readonly postS: number };
  readonly queries: Record<string, QuerySummary>;
}

/** Quantile q of `xs` (sorted copy; linear interpolation). NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Whether a batch counts in the accuracy/budget statistics: post warm-up, no major GC. */
export function scored(r: BatchRecord): boolean {
  return !r.warmup && !r.gc;
}

/** Relative prediction error of query i in batch r, or undefined when the batch is not scored for it. */
export function relError(r: BatchRecord, i: number, predicted: Float64Array = r.predicted): number | undefined {
  const m = r.measured[i]!;
  if (!scored(r) || r.processed[i]! === 0 || !(m > 0)) return undefined;
  const p = predicted[i]!;
  return Number.isFinite(p) ? Math.abs(p - m) / m : undefined;
}

/** Streams batch records into the run statistics (constant memory per batch). */
export class SummaryAccumulator {
  private readonly errs: number[][];
  private readonly rateSum: Float64Array;
  private readonly rateMin: Float64Array;
  private readonly disabled: Float64Array;
  private rateN = 0;
  private readonly ratios: number[] = [];
  private within = 0;
  private warm = 0;

  constructor(readonly names: readonly string[]) {
    this.errs = names.map(() => []);
    this.rateSum = new Float64Array(names.length);
    this.rateMin = new Float64Array(names.length).fill(1);
    this.disabled = new Float64Array(names.length);
  }

  add(r: BatchRecord): void {
    if (r.warmup) {
      this.warm++;
      return;
    }
    for (let i = 0; i < this.names.length; i++) {
      const e = relError(r, i);
      if (e !== undefined) this.errs[i]!.push(e);
      this.rateSum[i]! += r.rate[i]!;
      if (r.rate[i]! < this.rateMin[i]!) this.rateMin[i] = r.rate[i]!;
      if (r.rate[i] === 0) this.disabled[i]!++;
    }
    this.rateN++;
    if (Number.isFinite(r.budgetNs) && r.budgetNs > 0 && !r.gc) {
      const ratio = (r.queriesNs + (r.budgetCoversTotal ? r.overheadNs : 0)) / r.budgetNs;
      this.ratios.push(ratio);
      if (ratio <= 1.05) this.within++;
    }
  }

  finish(st: {
    packets: number;
    batches: number;
    processingNs: number;
    flushNs?: number;
    overheadNs: number;
    split?: { featuresNs: number; predictNs: number; shedNs: number; postNs: number };
    captureNs?: number;
    drops: number;
    gcBatches: number;
    allocBatches?: number;
    budgetNs: number;
    costNs: Float64Array;
    wallSeconds: number;
    resultErrors?: Record<string, ResultError>;
  }): RunSummary {
    const queries: Record<string, QuerySummary> = {};
    this.names.forEach((name, i) => {
      const e = this.errs[i]!;
      queries[name] = {
        name,
        costNs: st.costNs[i]!,
        predError: { mean: mean(e), p95: quantile(e, 0.95), batches: e.length },
        rate: { mean: this.rateN ? this.rateSum[i]! / this.rateN : 1, min: this.rateMin[i]! },
        disabledBatches: this.disabled[i]!,
        ...(st.resultErrors?.[name] ? { resultError: st.resultErrors[name] } : {}),
      };
    });
    const seconds = st.processingNs / 1e9;
    const hasBudget = Number.isFinite(st.budgetNs);
    return {
      packets: st.packets,
      batches: st.batches,
      seconds,
      mpps: seconds > 0 ? st.packets / seconds / 1e6 : 0,
      wallSeconds: st.wallSeconds,
      budgetNs: hasBudget ? st.budgetNs : null,
      withinBudgetShare: hasBudget && this.ratios.length ? this.within / this.ratios.length : null,
      costOverBudget: hasBudget && this.ratios.length
        ? { mean: mean(this.ratios), p95: quantile(this.ratios, 0.95), max: Math.max(...this.ratios) }
        : null,
      uncontrolledDrops: st.drops,
      gcBatches: st.gcBatches,
      allocBatches: st.allocBatches ?? 0,
      warmupBatches: this.warm,
      overheadShare: st.processingNs > 0 ? st.overheadNs / st.processingNs : 0,
      overheadShareWithCapture: st.captureNs && st.processingNs + st.captureNs > 0 ? st.overheadNs / (st.processingNs + st.captureNs) : null,
      timeSplit: {
        captureS: (st.captureNs ?? 0) / 1e9,
        queriesS: (st.processingNs - st.overheadNs) / 1e9,
        flushS: (st.flushNs ?? 0) / 1e9,
        featuresS: (st.split?.featuresNs ?? 0) / 1e9,
        predictS: (st.split?.predictNs ?? 0) / 1e9,
        shedS: (st.split?.shedNs ?? 0) / 1e9,
        postS: (st.split?.postNs ?? 0) / 1e9,
      },
      queries,
    };
  }
}

/** A query's result error against the reference run, per numeric field of its result value. */
export interface ResultError {
  /** Intervals matched by start time in both runs. */
  readonly intervals: number;
  /** Per numeric field (`value` for a plain number): mean relative error over intervals with a non-zero truth. */
  readonly fields: Record<string, { readonly meanRelError: number; readonly maxRelError: number }>;
  /** Mean over fields (NaN when the result has no numeric field, e.g. per-flow records or a trace). */
  readonly meanRelError: number;
}

/** Numeric leaves of a result value, one or two levels deep (`value`, `packets`, `bytes`, `a.b`). */
export function numericFields(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof v === 'number') out.value = v;
  else if (typeof v === 'bigint') out.value = Number(v);
  else if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && !ArrayBuffer.isView(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'number') out[k] = x;
      else if (typeof x === 'bigint') out[k] = Number(x);
      else if (x && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Map) && !ArrayBuffer.isView(x)) {
        for (const [k2, y] of Object.entries(x)) if (typeof y === 'number') out[`${k}.${k2}`] = y;
      }
    }
  }
  return out;
}

/**
 * The fields whose error summarises a standard query's accuracy (the corrected estimates, not the raw sampled
 * counts that sit next to them). Queries not listed are summarised over all their numeric fields.
 */
export const PRIMARY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  counter: ['packets', 'bytes'],
  flows: ['records', 'packets', 'bytes'],
  'active-flows': ['flows'],
  'pattern-search': ['matchingPackets'],
  'high-watermark': ['peakBps', 'meanBps'],
  trace: ['packets'],
};

/**
 * Compares one query's interval results with the reference run's, interval by interval. `meanRelError` is the
 * mean over `primary` fields when given (and present), else over every numeric field.
 */
export function compareResults(est: readonly IntervalResult[], ref: readonly IntervalResult[], primary?: readonly string[]): ResultError {
  const byStart = new Map<bigint, IntervalResult>();
  for (const r of ref) byStart.set(r.result.intervalStartNs, r);
  const acc = new Map<string, number[]>();
  let intervals = 0;
  for (const e of est) {
    const r = byStart.get(e.result.intervalStartNs);
    if (!r) continue;
    intervals++;
    const fe = numericFields(e.result.value);
    const fr = numericFields(r.result.value);
    for (const [k, truth] of Object.entries(fr)) {
      const x = fe[k];
      if (x === undefined || truth === 0 || !Number.isFinite(truth)) continue;
      let list = acc.get(k);
      if (!list) acc.set(k, (list = []));
      list.push(Math.abs(x - truth) / Math.abs(truth));
    }
  }
  const fields: Record<string, { meanRelError: number; maxRelError: number }> = {};
  for (const [k, xs] of acc) fields[k] = { meanRelError: mean(xs), maxRelError: Math.max(...xs) };
  const keys = primary?.some((k) => k in fields) ? primary.filter((k) => k in fields) : Object.keys(fields);
  return { intervals, fields, meanRelError: mean(keys.map((k) => fields[k]!.meanRelError)) };
}
