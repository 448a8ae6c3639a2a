/**
 * The monitor engine: one 100 ms batch at a time, capture -> features -> predict -> shed -> queries -> measure
 * -> history (seed 004, Fig. 2 and section V.A).
 *
 * Per batch:
 *  1. The CPU model admits the batch (the first packets are lost when the capture buffer is full).
 *  2. Features of the admitted packets; every query's predictor predicts its cost.
 *  3. Unless shedding is off or still warming up, the shedding phase ({@link ShedPhase}, shed-phase.ts): the
 *     src/shed controller plans per-query rates (max-min fair, error term applied); the batch is sampled
 *     (packet or flow, per query), the features of each distinct sampled selection are re-extracted and the
 *     queries re-predicted, and the plan refined, until it fits.
 *  4. Each query's process() call is timed individually (process.hrtime.bigint()).
 *  5. History: each predictor observes (features of what its query really processed, measured ns) unless a
 *     major GC ran during the batch (or GC pauses added up to >= 1 ms); the controller observes predicted vs
 *     measured; features commit the batch.
 * At every interval end (epoch-aligned, like the feature extractor's) the queries are flushed and the
 * flow-sampling thresholds released.
 *
 * Available time: the controller's default is budget - EWMA(overhead) - backlog. The engine knows better for
 * the batch at hand: the overhead already spent on it (features of the full batch, predictions) is measured,
 * and the rest (shedding phase, feature commit, history) is estimated per packet, so a sudden flood does not
 * overrun the budget while an EWMA of past batches catches up. {@link EngineController} plugs that in.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import type { FlushContext, QueryResult } from '../queries/index.ts';
import { type Budget, Smoothed } from '../shed/index.ts';
import type { EngineController } from './controller.ts';
import type { EngineQuery } from './components.ts';
import { GcWatch, type GcWindow } from './gc-watch.ts';
import type { BatchRecord, IntervalResult, OverheadSplit } from './records.ts';
import type { EngineOptions, EngineState } from './engine-options.ts';
import { ShedPhase } from './shed-phase.ts';

export class MonitorEngine {
  readonly state: EngineState;
  private readonly q: readonly EngineQuery[];
  private readonly n: number;
  private readonly intervalBig: bigint;
  private readonly warmup: number;
  private readonly shedFrom: number;
  private readonly timer: () => bigint;
  private readonly gc: Pick<GcWatch, 'begin' | 'end' | 'close'>;
  /** Step 3: sampling, re-extraction, re-prediction, refinement; owns each query's rate and selection. */
  private readonly shed: ShedPhase;
  private readonly ctl: EngineController | undefined;
  private readonly budget: Budget | undefined;
  private readonly coversTotal: boolean;
  private readonly gcPauseFlagNs: number;
  /** Per query: whether its predictor learned from the current batch (BatchRecord.learned). */
  private readonly learned: Uint8Array;
  private readonly faultFlag: number;
  private readonly faults: () => number;
  /** Per query: minor page faults during its process() call this batch. */
  private readonly faultsOf: Float64Array;
  // per-batch scratch, per query
  private readonly predFull: Float64Array;
  private readonly measured: Float64Array;
  private baseBuf = new Uint32Array(4096);
  private full: Float64Array = new Float64Array(0);
  private readonly gcWin: GcWindow = { major: false, pauseNs: 0 };
  // interval accounting
  private intervalStart: bigint | undefined;
  private readonly intRateMin: Float64Array;
  private readonly intRateW: Float64Array;
  private readonly intPackets: Float64Array;
  /** EWMA of the shedding phase's cost per admitted packet (sampling, re-extraction, re-prediction, flow hashes). */
  private readonly shedPerPkt: Smoothed;
  /** EWMA of the post-query overhead per admitted packet (feature commit, history update); 0 before any. */
  private readonly postPerPkt: Smoothed;
  private batchIndex = 0;
  private shadowPred: Record<string, Float64Array> | undefined;
  private plannedError = NaN;
  private measuring = false;
  /** The cost clock's reading at the end of the last batch (callers measure capture time from it). */
  clockAtBatchEnd = 0n;

  constructor(private readonly opts: EngineOptions) {
    this.q = opts.queries;
    const n = (this.n = opts.queries.length);
    this.learned = new Uint8Array(n);
    this.intervalBig = BigInt(Math.round(opts.intervalNs ?? 1e9));
    this.warmup = opts.warmupBatches ?? 60;
    this.shedFrom = opts.shedFromBatch ?? 1;
    this.shedPerPkt = new Smoothed(opts.overheadWeight ?? 0.9);
    this.postPerPkt = new Smoothed(opts.overheadWeight ?? 0.9);
    this.timer = opts.timer ?? process.hrtime.bigint;
    this.gc = opts.gc ?? new GcWatch();
    this.ctl = opts.controller;
    this.budget = opts.controller?.budget ?? opts.budget;
    this.coversTotal = (opts.budgetCovers ?? 'total') === 'total';
    this.gcPauseFlagNs = opts.gcPauseFlagNs ?? 1e6;
    this.faultFlag = opts.faultFlagPages ?? Infinity;
    this.faults = opts.pageFaults ?? (() => process.resourceUsage().minorPageFault);
    this.faultsOf = new Float64Array(n);
    if (opts.controller && opts.budget && opts.controller.budget !== opts.budget) throw new Error('MonitorEngine: options.budget differs from options.controller.budget; pass the same Budget to both, or omit options.budget');
    if (opts.controller && opts.controller.queries !== n) throw new Error(`MonitorEngine: the controller was built for ${opts.controller.queries} queries but the engine has ${n}; build it with { queries: queries.length }`);
    this.shed = new ShedPhase(opts.queries, opts.features, !!opts.controller, opts.seed ?? 1, opts.probeAfter ?? 10);
    this.predFull = new Float64Array(n);
    this.measured = new Float64Array(n);
    this.intRateMin = new Float64Array(n).fill(1);
    this.intRateW = new Float64Array(n);
    this.intPackets = new Float64Array(n);
    this.state = {
      batches: 0,
      packets: 0,
      drops: 0,
      gcBatches: 0,
      allocBatches: 0,
      processingNs: 0,
      flushNs: 0,
      overheadNs: 0,
      split: { featuresNs: 0, predictNs: 0, shedNs: 0, postNs: 0 },
      captureNs: 0,
      costNs: new Float64Array(n),
      records: [],
      results: Array.from({ length: n }, () => []),
    };
  }

  /** Starvation-guard runs so far (see ShedPhase). */
  get probes(): number {
    return this.shed.probes;
  }

  /** The budget per batch in ns (Infinity when none or not yet known). */
  get budgetNs(): number {
    return this.budget?.ns ?? Infinity;
  }

  /** Processes one batch (empty bins included). The batch may be reused by the caller afterwards. */
  async process(batch: PacketBatch): Promise<BatchRecord> {
    this.rollInterval(batch.startNs);
    if (!this.measuring && this.batchIndex >= this.warmup && (this.budget === undefined || this.budget.ready)) {
      this.measuring = true;
      if (this.opts.clearBacklogAfterWarmup) this.opts.cpu.clearBacklog?.();
    }
    const backlog = this.opts.cpu.backlogNs;
    const lost = await this.opts.cpu.admit(batch);
    if (!Number.isInteger(lost) || lost < 0 || lost > batch.count) {
      throw new Error(`MonitorEngine: the CPU model's admit() returned ${lost} lost packets for a batch of ${batch.count} (batch at ${batch.startNs} ns); it must return an integer in [0, count]`);
    }
    return this.runBatch(batch, lost, backlog);
  }

  private runBatch(batch: PacketBatch, lost: number, backlog: number): BatchRecord {
    const { q, n, timer } = this;
    // Warm-up until `warmup` batches are done and the budget is known (process() latches `measuring`). A budget
    // known from the start is enforced from batch `shedFrom` on, warm-up or not.
    const warm = !this.measuring;
    const enforcing = !warm || (this.budget?.ready === true && this.batchIndex >= this.shedFrom);
    this.gc.begin();
    // With the process CPU cost clock, every phase is also timed on the wall clock and costs the smaller of the
    // two: that clock also counts V8's concurrent GC and compiler threads and libuv's file reads, which run
    // beside the phase on another core and are not its work (the same rule as a query's cost). The thread clock
    // counts none of them and is not capped.
    const cross = this.opts.crossTimer;
    const capped = cross !== undefined;
    const t0 = timer();
    const w0 = cross ? cross() : 0n;
    const base = this.admitted(batch, lost);
    const feats = this.opts.features;
    feats.beginBatch(batch);
    // Without drops the admitted packets are the whole batch: the extractor's no-selection path is faster.
    this.full = feats.measure(lost === 0 ? undefined : base, this.full.length ? this.full : undefined);
    const tPred = timer();
    const wPred = cross ? cross() : 0n;
    for (let i = 0; i < n; i++) this.predFull[i] = q[i]!.predictor.predict(this.full);
    const shed = this.shed;
    shed.begin(batch, base, this.full, this.predFull);
    const tShed = timer();
    const wShed = cross ? cross() : 0n;
    let available = Infinity;
    let passes = 0;
    const ctl = this.ctl;
    if (ctl && enforcing) {
      // Overhead already spent on this batch + per-packet estimates of what is still to come. Before any
      // shedding was measured, assume re-extraction costs what the full extraction did.
      const preNs = Number(tShed - t0);
      const shedPer = this.shedPerPkt.initialized ? this.shedPerPkt.value : preNs / Math.max(1, base.length);
      const rest = (shedPer + this.postPerPkt.value) * base.length;
      available = Math.max(0, this.budgetNs - backlog - (this.coversTotal ? preNs + rest : 0));
      ctl.nextAvailableNs = available;
      this.plannedError = ctl.errorTerm;
      passes = shed.run(ctl);
    }
    const flowHash = shed.flowHashes(); // once per batch, when a flow query runs: part of the shedding phase
    // Without a controller nothing ran since tShed: one clock read less per batch (a CPU-clock read costs ~1-2 us).
    const tQueries = ctl ? timer() : tShed;
    const wQueries = cross && ctl ? cross() : wShed;
    if (passes > 0 && base.length > 0) this.shedPerPkt.update(Number(tQueries - tShed) / base.length);
    let tPost = tQueries;
    let wPost = wQueries;
    let queriesNs = 0;
    const watchFaults = this.faultFlag !== Infinity;
    const intervalStartNs = this.intervalStart!;
    for (let i = 0; i < n; i++) {
      const e = q[i]!;
      const rate = shed.rates[i]!;
      let c = 0;
      this.faultsOf[i] = 0;
      if (rate > 0) {
        const ctx = { rate, intervalStartNs, flowHash: e.method === 'flow' ? flowHash : undefined };
        const f0 = watchFaults ? this.faults() : 0;
        const w = cross ? cross() : 0n;
        const s = timer();
        e.query.process(batch, shed.sels[i]!, ctx);
        tPost = timer(); // the end of the last query run is the start of the post phase
        c = Number(tPost - s);
        if (cross) {
          wPost = cross();
          c = Math.min(c, Number(wPost - w));
        }
        if (watchFaults) this.faultsOf[i] = this.faults() - f0;
      }
      this.measured[i] = c;
      queriesNs += c;
      this.intRateMin[i] = Math.min(this.intRateMin[i]!, rate);
      this.intRateW[i]! += rate * base.length;
      this.intPackets[i]! += base.length;
    }
    const shedNs = phaseNs(capped, tShed, tQueries, wShed, wQueries);
    const win = this.gc.end(this.gcWin);
    const gc = win.major || win.pauseNs >= this.gcPauseFlagNs;
    const shadowNs = this.predictShadows();
    let alloc = false;
    for (let i = 0; i < n; i++) if (this.faultsOf[i]! >= this.faultFlag) alloc = true;
    this.learned.fill(0);
    if (!gc) {
      for (let i = 0; i < n; i++) {
        if (shed.rates[i]! <= 0 || this.faultsOf[i]! >= this.faultFlag) continue;
        this.learned[i] = 1;
        q[i]!.predictor.observe(shed.featOf[i]!, this.measured[i]!);
        shed.observeCost(i, this.measured[i]!);
        for (const s of this.opts.shadows?.get(i) ?? []) s.observe(shed.featOf[i]!, this.measured[i]!);
      }
    }
    feats.endBatch();
    const t3 = timer();
    const w3 = cross ? cross() : 0n;
    this.clockAtBatchEnd = t3;
    const totalNs = phaseNs(capped, t0, t3, w0, w3) - shadowNs;
    const overheadNs = Math.max(0, totalNs - queriesNs);
    const postNs = Math.max(0, phaseNs(capped, tPost, t3, wPost, w3) - shadowNs);
    if (base.length > 0) this.postPerPkt.update(postNs / base.length);
    // GC batches stay out of the error term and of an auto budget's warm-up median; idle warm-up batches too.
    // The error term learns only from batches the budget is enforced on (before, the predictors have too little
    // history to predict anything).
    const feed = !gc && !alloc && (base.length > 0 || this.budget?.ready !== false);
    const chargedOverhead = this.coversTotal ? overheadNs : 0;
    if (ctl && feed && enforcing) ctl.observe({ predictedNs: shed.pred, measuredNs: this.measured, overheadNs: chargedOverhead });
    else if (feed && this.budget && !this.budget.ready) this.budget.addWarmupCost(queriesNs + chargedOverhead);
    this.opts.cpu.charge(queriesNs + chargedOverhead, batch);
    const split: OverheadSplit = {
      featuresNs: phaseNs(capped, t0, tPred, w0, wPred),
      predictNs: phaseNs(capped, tPred, tShed, wPred, wShed),
      shedNs,
      postNs,
    };
    if (alloc) this.state.allocBatches++;
    return this.record(batch, lost, warm, gc, available, backlog, overheadNs, queriesNs, passes, split, alloc);
  }

  /** The packets that made it into the buffer: [lost, count). */
  private admitted(batch: PacketBatch, lost: number): Selection {
    if (this.baseBuf.length < batch.count) this.baseBuf = new Uint32Array(Math.max(batch.count, this.baseBuf.length * 2));
    const idx = this.baseBuf;
    let k = 0;
    for (let i = lost; i < batch.count; i++) idx[k++] = i;
    return { idx, length: k };
  }

  /**
   * Comparison predictors (experiments): predict on the same features the query processed, before anyone
   * observes this batch's cost. Their time is measured and left out of the overhead and of the CPU charge.
   */
  private predictShadows(): number {
    if (!this.opts.shadows?.size) return 0;
    const s0 = this.timer();
    const shadow: Record<string, Float64Array> = {};
    for (const [i, list] of this.opts.shadows) {
      for (const s of list) (shadow[s.kind] ??= new Float64Array(this.n).fill(NaN))[i] = s.predict(this.shed.featOf[i]!);
    }
    this.shadowPred = shadow;
    return Number(this.timer() - s0);
  }

  private record(
    batch: PacketBatch,
    lost: number,
    warm: boolean,
    gc: boolean,
    availableNs: number,
    backlogNs: number,
    overheadNs: number,
    queriesNs: number,
    shedPasses: number,
    split: OverheadSplit,
    alloc: boolean,
  ): BatchRecord {
    const st = this.state;
    const n = this.n;
    st.batches++;
    st.packets += batch.count;
    st.drops += lost;
    if (gc) st.gcBatches++;
    st.processingNs += overheadNs + queriesNs;
    st.overheadNs += overheadNs;
    st.split.featuresNs += split.featuresNs;
    st.split.predictNs += split.predictNs;
    st.split.shedNs += split.shedNs;
    st.split.postNs += split.postNs;
    const { rates, sels, pred } = this.shed;
    const processed = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      st.costNs[i]! += this.measured[i]!;
      processed[i] = rates[i]! > 0 ? sels[i]!.length : 0;
    }
    const shadow = this.shadowPred;
    this.shadowPred = undefined;
    const rec: BatchRecord = {
      budgetCoversTotal: this.coversTotal,
      index: this.batchIndex++,
      startNs: batch.startNs,
      packets: batch.count,
      drops: lost,
      warmup: warm,
      gc,
      alloc,
      pageFaults: this.faultFlag === Infinity ? undefined : this.faultsOf.slice(),
      budgetNs: this.budgetNs,
      availableNs,
      errorTerm: this.plannedError, // NaN until the controller plans a batch
      backlogNs,
      overheadNs,
      queriesNs,
      shedPasses,
      split,
      predictedFull: this.predFull.slice(),
      predicted: pred.slice(),
      measured: this.measured.slice(),
      learned: this.learned.slice(),
      rate: rates.slice(),
      processed,
      shadow,
    };
    if (this.opts.keepBatches) st.records.push(rec);
    this.opts.telemetry?.writeBatch(rec, this.full);
    return rec;
  }

  private rollInterval(startNs: bigint): void {
    const iv = this.intervalBig;
    let k = startNs / iv;
    if (startNs < 0n && k * iv !== startNs) k -= 1n;
    const start = k * iv;
    if (this.intervalStart === undefined) {
      this.intervalStart = start;
      return;
    }
    if (start === this.intervalStart) return;
    this.flush(this.intervalStart + iv);
    this.intervalStart = start;
  }

  private flush(endNs: bigint): void {
    const start = this.intervalStart!;
    const st = this.state;
    for (let i = 0; i < this.n; i++) {
      const e = this.q[i]!;
      const ctx: FlushContext = {
        intervalStartNs: start,
        intervalEndNs: endNs,
        finalRate: this.shed.finalRate(i),
      };
      // A flush is query work (e.g. ranking a million flow records): counted in the run's processing time and
      // the query's total cost, though in no batch's cost.
      const t = this.timer();
      const result: QueryResult = e.query.flush(ctx);
      const c = Number(this.timer() - t);
      st.flushNs += c;
      st.processingNs += c;
      st.costNs[i]! += c;
      const w = this.intPackets[i]!;
      const ir: IntervalResult = {
        result,
        engineRates: { min: this.intRateMin[i]!, mean: w > 0 ? this.intRateW[i]! / w : 1 },
      };
      this.state.results[i]!.push(ir);
      this.opts.results?.write(ir);
      this.intRateMin[i] = 1;
      this.intRateW[i] = 0;
      this.intPackets[i] = 0;
    }
    this.shed.startInterval();
  }

  /** Flushes the last (possibly partial) interval at `endNs` (default: its full end) and closes the sinks. */
  async finish(endNs?: bigint): Promise<EngineState> {
    if (this.intervalStart !== undefined) {
      const full = this.intervalStart + this.intervalBig;
      this.flush(endNs !== undefined && endNs < full && endNs > this.intervalStart ? endNs : full);
      this.intervalStart = undefined;
    }
    this.gc.close();
    await this.opts.telemetry?.close();
    await this.opts.results?.close();
    for (const e of this.q) await e.query.close?.();
    return this.state;
  }
}

/** A phase's cost: its cost-clock span [t0, t1], capped by its wall span [w0, w1] when `capped`. */
function phaseNs(capped: boolean, t0: bigint, t1: bigint, w0: bigint, w1: bigint): number {
  const c = Number(t1 - t0);
  return capped ? Math.min(c, Number(w1 - w0)) : c;
}
