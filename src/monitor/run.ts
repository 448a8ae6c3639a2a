/**
 * A complete monitor run on a trace: builds the real parts (capture reader, feature extractor, queries,
 * predictors, shedding controller, CPU model, sinks), drives the engine over every batch, and optionally runs
 * the exact reference (a second pass: no shedding, infinitely fast CPU) to score each query's results.
 */
import { readBatches } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { AGGREGATES, type AggregateName, FEATURE_NAMES, FeatureExtractor } from '../features/index.ts';
import { createPredictor, type CostPredictor, type PredictorKind } from '../predict/index.ts';
import { createQueries, loadUserQuery, type Query, type SamplingMethod } from '../queries/index.ts';
import { type Budget, minRatesFor, parseMinRates } from '../shed/index.ts';
import { EmulatedClock, RealtimeClock } from './clock.ts';
import type { CpuModel, EngineQuery } from './components.ts';
import { EngineController } from './controller.ts';
import { MonitorEngine } from './engine.ts';
import type { EngineState } from './engine-options.ts';
import type { BatchRecord, ResultSink, TelemetrySink } from './records.ts';
import { JsonlResults } from './results-sink.ts';
import { PRIMARY_FIELDS, type ResultError, type RunSummary, SummaryAccumulator, compareResults } from './summary.ts';
import { openTelemetry } from './telemetry.ts';
import { type CostClockKind, costClock, defaultCpuClock } from './cost-clock.ts';
import { fullGc } from './full-gc.ts';

export type ShedMode = 'none' | 'packet' | 'flow' | 'auto';

export interface MonitorOptions {
  /** Standard query names, or 'all'. */
  readonly queries: readonly string[] | 'all';
  /** Paths of user query modules (`--query`). */
  readonly userQueries?: readonly string[];
  /** none = no shedding; packet/flow = force that method on every query; auto = each query's own. */
  readonly shed: ShedMode;
  readonly predictor: PredictorKind;
  /** The per-batch budget; undefined = none (infinitely fast CPU). */
  readonly budget?: () => Budget;
  /** `--min-rate` entries (`q=0.1`). */
  readonly minRates?: readonly string[];
  /** The shedding controller's prediction-error term: 'tail' (default) or CoMo's 'mean' (see src/shed/controller.ts). */
  readonly errorModel?: 'tail' | 'mean';
  readonly batchNs?: number;
  readonly intervalNs?: number;
  readonly clock?: 'emulated' | 'realtime';
  readonly speed?: number;
  readonly bufferNs?: number;
  /** Run the exact reference pass and score results against it. */
  readonly reference?: boolean;
  readonly telemetry?: string;
  readonly results?: string;
  readonly seed?: number;
  readonly exactFeatures?: boolean;
  /** Traffic aggregates whose features are counted (default all 13; see FEATURE_PRESETS). */
  readonly aggregates?: readonly AggregateName[];
  readonly warmupBatches?: number;
  /** Output pcap of the `trace` query. */
  readonly traceOut?: string;
  /** Keep every BatchRecord (experiments). */
  readonly keepBatches?: boolean;
  /** Comparison predictors attached to the named queries (experiments: EWMA vs SLR vs MLR on one run). */
  readonly shadows?: { readonly query: string; readonly kinds: readonly PredictorKind[] };
  readonly skipCorrupt?: boolean;
  /** What the budget pays for: queries + overhead (default) or the queries only (seed 004 VI.B). */
  readonly budgetCovers?: 'total' | 'queries';
  /** Cost clock (default: cpu for the emulated clock, wall for realtime). */
  readonly costClock?: CostClockKind;
  /** Memory-growth guard threshold in minor page faults per query call (default 256; Infinity = off). */
  readonly faultFlagPages?: number;
  /** The guard's page-fault counter (default: the process's minor page faults); tests inject one. */
  readonly pageFaults?: () => number;
  /** Called after every batch (progress). */
  readonly onBatch?: (rec: BatchRecord) => void;
  /** Pre-size the flow tables of flows / active-flows for this many flows per interval (FlowTable initialFlows). */
  readonly initialFlows?: number;
  /**
   * Warm-up pass: before the measured run, replay the first `warmupPassNs` ns of the trace through a throwaway
   * engine with the same queries, predictor, shedding and budget (its own predictor warm-up shortened to a third
   * of the pass so the shedding path runs too), so that the code is JIT-optimised and the allocator warm before
   * anything is measured. Its batches are reported apart ({@link MonitorReport.warmupPass}) and counted nowhere
   * else. Default 0 (none).
   */
  readonly warmupPassNs?: number;
  /**
   * Also replay, in the warm-up pass, this window of the trace (ns after its first packet), e.g. the first second
   * of an attack: code paths that only that traffic takes (and V8's deoptimisations on first meeting it) are
   * then compiled before the measured run, as they would be in a monitor that has been running for a while.
   */
  readonly warmupWindow?: { readonly fromNs: number; readonly forNs: number };
  /** Clear the emulated CPU's backlog when the engine's warm-up ends (EngineOptions.clearBacklogAfterWarmup). */
  readonly clearBacklogAfterWarmup?: boolean;
}

/** What the warm-up pass saw (not part of the run's statistics). */
export interface WarmupPassReport {
  readonly batches: number;
  readonly packets: number;
  readonly drops: number;
  /** Cost (queries + overhead) of its first batch, its median and max over the pass, ns. */
  readonly firstCostNs: number;
  readonly medianCostNs: number;
  readonly maxCostNs: number;
  readonly wallSeconds: number;
}

export interface MonitorReport {
  readonly trace: string;
  readonly options: {
    shed: ShedMode;
    predictor: PredictorKind;
    clock: string;
    budget: string | null;
    seed: number;
    batchNs: number;
    intervalNs: number;
    bufferNs: number;
    costClock: CostClockKind;
    budgetCovers: 'total' | 'queries';
    /** The traffic aggregates counted. */
    aggregates: readonly AggregateName[];
  };
  readonly summary: RunSummary;
  readonly state: EngineState;
  readonly queryNames: readonly string[];
  readonly reference?: EngineState;
  readonly warmupPass?: WarmupPassReport;
}

async function buildQueries(opts: MonitorOptions): Promise<Query[]> {
  const list: Query[] = [];
  const names = opts.queries;
  if (names === 'all' || names.length) list.push(...(await createQueries(names, { tracePath: opts.traceOut, initialFlows: opts.initialFlows })));
  for (const p of opts.userQueries ?? []) list.push(await loadUserQuery(p));
  if (!list.length) throw new UserError('monitor.no-queries', 'no queries to run', 'pass --queries counter,flows,... or --queries all, or --query ./my-query.ts');
  const seen = new Set<string>();
  for (const q of list) {
    if (seen.has(q.name)) throw new UserError('monitor.duplicate-query', `two queries are named '${q.name}'`, 'give each query a distinct name');
    seen.add(q.name);
  }
  return list;
}

/** The cost clock: the one asked for, else the thread's (or the process's) CPU time for the emulated clock and wall time for realtime. */
function costClockKind(opts: MonitorOptions, clock: 'emulated' | 'realtime'): CostClockKind {
  return opts.costClock ?? (clock === 'realtime' ? 'wall' : defaultCpuClock());
}

function methodFor(q: Query, shed: ShedMode): SamplingMethod {
  return shed === 'packet' || shed === 'flow' ? shed : q.sampling;
}

interface PassConfig {
  shed: boolean;
  budget?: Budget;
  telemetry?: TelemetrySink;
  results?: ResultSink;
  keepBatches: boolean;
  clock: 'emulated' | 'realtime';
  onBatch?: (rec: BatchRecord) => void;
  /** Process only the batches starting in [fromNs, limitNs) ns after the first one (warm-up pass). */
  fromNs?: number;
  limitNs?: number;
  warmupBatches?: number;
}

async function onePass(trace: string, opts: MonitorOptions, pass: PassConfig): Promise<{ state: EngineState; summary: SummaryAccumulator; names: string[]; wallSeconds: number; budgetNs: number }> {
  const queries = await buildQueries(opts);
  const names = queries.map((q) => q.name);
  const featureNames = FEATURE_NAMES;
  const mk = (kind: PredictorKind): CostPredictor => createPredictor(kind, { featureNames });
  const eq: EngineQuery[] = queries.map((q) => ({ query: q, predictor: mk(opts.predictor), method: methodFor(q, opts.shed) }));
  let shadows: Map<number, CostPredictor[]> | undefined;
  if (opts.shadows) {
    const i = names.indexOf(opts.shadows.query);
    if (i < 0) throw new UserError('monitor.unknown-query', `no query named '${opts.shadows.query}' to compare predictors on`, `queries: ${names.join(', ')}`);
    shadows = new Map([[i, opts.shadows.kinds.map(mk)]]);
  }
  const intervalNs = opts.intervalNs ?? 1e9;
  const bufferNs = opts.bufferNs ?? 2e8;
  const batchNs = opts.batchNs ?? 1e8;
  const cpu: CpuModel = pass.clock === 'realtime' ? new RealtimeClock(opts.speed ?? 1, bufferNs) : new EmulatedClock(pass.budget, bufferNs, batchNs);
  const controller =
    pass.shed && pass.budget
      ? new EngineController({
          queries: eq.length,
          budget: pass.budget,
          minRates: minRatesFor(names, parseMinRates(opts.minRates ? [...opts.minRates] : undefined)),
          monotone: eq.map((e) => (e.method === 'flow' ? 1 : 0)),
          errorModel: opts.errorModel,
        })
      : undefined;
  const clockKind = costClockKind(opts, pass.clock);
  const timer = costClock(clockKind);
  const engine = new MonitorEngine({
    queries: eq,
    features: new FeatureExtractor({ intervalNs, exact: opts.exactFeatures, seed: opts.seed ?? 1, aggregates: opts.aggregates }),
    budget: pass.budget,
    controller,
    cpu,
    budgetCovers: opts.budgetCovers,
    intervalNs,
    warmupBatches: pass.warmupBatches ?? opts.warmupBatches,
    faultFlagPages: opts.faultFlagPages ?? 256,
    pageFaults: opts.pageFaults,
    seed: opts.seed ?? 1,
    telemetry: pass.telemetry,
    results: pass.results,
    keepBatches: pass.keepBatches,
    shadows,
    timer,
    // Process CPU clock: query costs are min(CPU, wall) (see EngineOptions.crossTimer). The thread clock needs
    // no cap: it counts nothing but the thread's own work.
    crossTimer: clockKind === 'cpu' ? costClock('wall') : undefined,
    clearBacklogAfterWarmup: opts.clearBacklogAfterWarmup,
  });
  const summary = new SummaryAccumulator(names);
  const t0 = process.hrtime.bigint();
  const stream = readBatches(trace, { binNs: batchNs, skipCorrupt: opts.skipCorrupt });
  let lastEnd: bigint | undefined;
  let first: bigint | undefined;
  const limit = pass.limitNs === undefined ? undefined : BigInt(Math.round(pass.limitNs));
  const from = BigInt(Math.round(pass.fromNs ?? 0));
  // Capture = everything between two engine.process() calls (reading, decoding, the loop itself), same clock.
  let tc = timer();
  try {
    for await (const batch of stream) {
      first ??= batch.startNs;
      if (limit !== undefined && batch.startNs - first >= limit) break;
      if (batch.startNs - first < from) continue;
      engine.state.captureNs += Number(timer() - tc);
      const rec = await engine.process(batch);
      summary.add(rec);
      pass.onBatch?.(rec);
      lastEnd = batch.startNs + BigInt(Math.round(batch.durationNs));
      tc = engine.clockAtBatchEnd; // the engine's last clock read: one read less per batch
    }
  } finally {
    await engine.finish(lastEnd);
  }
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { state: engine.state, summary, names, wallSeconds, budgetNs: engine.budgetNs };
}

/** Runs the monitor on `trace` (and the reference pass when asked). */
export async function runMonitor(trace: string, opts: MonitorOptions): Promise<MonitorReport> {
  const shed = opts.shed !== 'none';
  const budget = opts.budget?.();
  if (shed && !budget) throw new UserError('monitor.no-budget', 'shedding needs a budget', 'pass --budget 4ms, --budget-share 0.6 or --budget-auto 1.2 (or --no-shed)');
  const probe = await buildQueries(opts);
  const names = probe.map((q) => q.name);
  for (const q of probe) await q.close?.();
  // Collect earlier runs' garbage now rather than in this run's batches (the cost clock is the process's CPU
  // time, which includes V8's concurrent sweeper threads: let them finish), then re-warm the code: a forced
  // full GC may flush compiled code, so the warm-up pass comes after it.
  if (opts.warmupPassNs && fullGc()) await new Promise((r) => setTimeout(r, 300));
  const warmupPass = opts.warmupPassNs ? await runWarmupPass(trace, opts, shed) : undefined;
  const telemetry = opts.telemetry ? await openTelemetry(opts.telemetry, FEATURE_NAMES, names) : undefined;
  const results = opts.results ? new JsonlResults(opts.results) : undefined;
  const main = await onePass(trace, opts, {
    shed,
    budget,
    telemetry,
    results,
    keepBatches: !!opts.keepBatches,
    clock: opts.clock ?? 'emulated',
    onBatch: opts.onBatch,
  });
  let reference: EngineState | undefined;
  let resultErrors: Record<string, ResultError> | undefined;
  if (opts.reference) {
    const ref = await onePass(trace, { ...opts, shadows: undefined, traceOut: opts.traceOut ? `${opts.traceOut}.reference.pcap` : undefined }, {
      shed: false,
      keepBatches: false,
      clock: 'emulated',
    });
    reference = ref.state;
    resultErrors = {};
    main.names.forEach((name, i) => {
      resultErrors![name] = compareResults(main.state.results[i]!, ref.state.results[i]!, PRIMARY_FIELDS[name]);
    });
  }
  const summary = main.summary.finish({ ...main.state, budgetNs: main.budgetNs, wallSeconds: main.wallSeconds, resultErrors });
  return {
    trace,
    options: {
      shed: opts.shed,
      predictor: opts.predictor,
      clock: opts.clock ?? 'emulated',
      budget: budget ? budget.describe() : null,
      seed: opts.seed ?? 1,
      batchNs: opts.batchNs ?? 1e8,
      intervalNs: opts.intervalNs ?? 1e9,
      bufferNs: opts.bufferNs ?? 2e8,
      budgetCovers: opts.budgetCovers ?? 'total',
      costClock: costClockKind(opts, opts.clock ?? 'emulated'),
      aggregates: opts.aggregates ?? AGGREGATES,
    },
    summary,
    state: main.state,
    queryNames: main.names,
    reference,
    warmupPass,
  };
}

/** The throwaway warm-up pass (see MonitorOptions.warmupPassNs). */
async function runWarmupPass(trace: string, opts: MonitorOptions, shed: boolean): Promise<WarmupPassReport> {
  const batches = Math.max(1, Math.round(opts.warmupPassNs! / (opts.batchNs ?? 1e8)));
  const costs: number[] = [];
  // Tables at their default size: the pass leaves little garbage for the measured run to collect.
  const passOpts = { ...opts, telemetry: undefined, results: undefined, traceOut: undefined, initialFlows: undefined };
  const cfg = { shed, keepBatches: false, clock: 'emulated' as const, warmupBatches: Math.max(1, Math.floor(batches / 3)), onBatch: (rec: BatchRecord) => costs.push(rec.queriesNs + rec.overheadNs) };
  const r = await onePass(trace, passOpts, { ...cfg, budget: opts.budget?.(), limitNs: opts.warmupPassNs });
  const w = opts.warmupWindow;
  if (w) {
    const r2 = await onePass(trace, passOpts, { ...cfg, budget: opts.budget?.(), fromNs: w.fromNs, limitNs: w.fromNs + w.forNs, warmupBatches: 1 });
    r.state.batches += r2.state.batches;
    r.state.packets += r2.state.packets;
    r.state.drops += r2.state.drops;
    r.wallSeconds += r2.wallSeconds;
  }
  const sorted = costs.slice().sort((a, b) => a - b);
  return {
    batches: r.state.batches,
    packets: r.state.packets,
    drops: r.state.drops,
    firstCostNs: costs[0] ?? NaN,
    medianCostNs: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : NaN,
    maxCostNs: sorted.length ? sorted[sorted.length - 1]! : NaN,
    wallSeconds: r.wallSeconds,
  };
}
