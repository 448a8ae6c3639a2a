/**
 * The monitor engine's configuration (the parts it wires together, and how) and the state a run accumulates.
 * Kept apart from engine.ts, which is the per-batch loop itself.
 */
import type { CostPredictor } from '../predict/index.ts';
import type { Budget } from '../shed/index.ts';
import type { EngineController } from './controller.ts';
import type { CpuModel, EngineQuery, FeatureSource } from './components.ts';
import type { GcWatch } from './gc-watch.ts';
import type { BatchRecord, IntervalResult, OverheadSplit, ResultSink, TelemetrySink } from './records.ts';

export interface EngineOptions {
  readonly queries: readonly EngineQuery[];
  readonly features: FeatureSource;
  /** Per-batch budget (src/shed Budget); undefined = none (an infinitely fast CPU, nothing shed). */
  readonly budget?: Budget;
  /** The shedding controller; undefined = no shedding (overload ends in uncontrolled drops). */
  readonly controller?: EngineController;
  readonly cpu: CpuModel;
  /**
   * What the budget pays for. `total` (default): queries + engine overhead (features, prediction, shedding),
   * so available = budget - overhead - backlog. `queries`: the queries only, as in the seed's section VI.B
   * experiment ("a limit on the CPU cycles available to the query"); the overhead is then reported apart.
   */
  readonly budgetCovers?: 'total' | 'queries';
  /** Measurement interval in ns (default 1 s). */
  readonly intervalNs?: number;
  /**
   * Batches the predictors learn before the run is scored (CoMo: 60); they are marked `warmup` in the records and
   * left out of the error statistics. Default 60.
   */
  readonly warmupBatches?: number;
  /**
   * First batch that may be shed when the budget is known from the start (absolute or a share of the batch
   * period), even inside the warm-up: a monitor with a fixed budget must not overrun its buffer while its models
   * learn. Default 1: batch 0 has no prediction at all; from batch 1 on the predictors' warm-up fallback (an EWMA
   * of the costs so far) and the novelty guard plan it. Starting at batch 10 (the MLR's minimum history) let the
   * run's first, cold batches (2-6x the steady cost on the shedding experiment's input) overrun a tight budget's
   * buffer: 15-68 k packets dropped in the first second of 3 of 4 real-attack runs; shedding them instead costs
   * only low rates in the first batches. An auto budget (measured over the warm-up) starts shedding only once
   * measured.
   */
  readonly shedFromBatch?: number;
  /** EWMA weight (on the old value) of the per-packet overhead estimates. Default 0.9 (CoMo). */
  readonly overheadWeight?: number;
  readonly seed?: number;
  readonly telemetry?: TelemetrySink;
  readonly results?: ResultSink;
  /** Keep every BatchRecord in memory (experiments, figures). */
  readonly keepBatches?: boolean;
  /** Extra predictors per query index that see the same predict/observe calls (comparison only). */
  readonly shadows?: ReadonlyMap<number, readonly CostPredictor[]>;
  /**
   * Also flag a batch whose GC pauses of any kind add up to at least this many ns (default 1 ms): with
   * sub-millisecond query costs a long scavenge corrupts a sample as much as a major GC. Infinity = major only.
   */
  readonly gcPauseFlagNs?: number;
  /**
   * Memory-growth guard: a query whose process() call took at least this many minor page faults (first touch
   * of fresh memory, e.g. a flow table doubling when a flood starts: ~4 MB of new pages per 1,000 faults) had
   * a one-off cost that no traffic feature predicts. Like a GC batch, its (features, cost) pair stays out of
   * that query's history and of the error term, so one spike does not bias the next 60 batches' fits; unlike a
   * GC batch it stays in the error statistics. Default Infinity (off); run.ts uses 256 (1 MB).
   */
  readonly faultFlagPages?: number;
  /** Minor page faults of the process so far (default process.resourceUsage().minorPageFault); tests fake it. */
  readonly pageFaults?: () => number;
  /**
   * Start measuring with an idle CPU: when the warm-up (predictors learning, nothing shed) is over, the CPU
   * model's backlog is cleared, so start-up (unshed learning batches against the budget) does not spill into
   * the measured batches. The warm-up's own drops stay counted (BatchRecord.warmup marks them). Default false.
   */
  readonly clearBacklogAfterWarmup?: boolean;
  /** Starvation guard: run a query disabled this many batches in a row once at a low rate (default 10). */
  readonly probeAfter?: number;
  /** Clock for cost measurement (default process.hrtime.bigint); tests inject a fake one. */
  readonly timer?: () => bigint;
  /**
   * A second clock read around each query's process() call; the query's cost is the smaller of the two
   * readings. With `timer` = process CPU time and this = wall time: a single-threaded call cannot use more CPU
   * than the wall time it took, so CPU time above it is other threads' (V8's concurrent GC marking and
   * sweeping, which the process clock counts), and wall time above CPU time is preemption by other processes.
   */
  readonly crossTimer?: () => bigint;
  /** GC detector (default a real {@link GcWatch}); tests inject a fake one. */
  readonly gc?: Pick<GcWatch, 'begin' | 'end' | 'close'>;
}

/** What a run accumulated. */
export interface EngineState {
  batches: number;
  packets: number;
  drops: number;
  gcBatches: number;
  /** Batches in which some query was flagged by the memory-growth guard (see EngineOptions.faultFlagPages). */
  allocBatches: number;
  /** Total processing time (queries, their interval flushes included, + overhead) in ns. */
  processingNs: number;
  /**
   * Time of the queries' flush() calls at interval ends, ns (in processingNs and in each query's costNs; not in
   * any batch's measured cost, so the predictors and the emulated CPU never see it).
   */
  flushNs: number;
  overheadNs: number;
  /** overheadNs by phase (sums over the run). */
  readonly split: OverheadSplit;
  /**
   * Capture time (reading + decoding the trace between batches), measured by the caller with the same clock
   * (run.ts); not part of processingNs or overheadNs. 0 when the caller does not measure it.
   */
  captureNs: number;
  readonly costNs: Float64Array;
  readonly records: BatchRecord[];
  readonly results: IntervalResult[][];
}

