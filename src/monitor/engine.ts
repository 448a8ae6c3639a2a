/**
 * The monitor engine: one 100 ms batch at a time, capture -> features -> predict -> shed -> queries -> measure
 * -> history (seed 004, Fig. 2 and section V.A).
 *
 * Per batch:
 *  1. The CPU model admits the batch (the first packets are lost when the capture buffer is full).
 *  2. Features of the admitted packets; every query's predictor predicts its cost.
 *  3. Unless shedding is off or still warming up, the src/shed controller plans per-query rates (max-min fair,
 *     error term applied); the batch is sampled (packet or flow, per query), the features of each distinct
 *     sampled selection are re-extracted and the queries re-predicted, and the plan refined, until it fits.
 *  4. Each query's process() call is timed individually (process.hrtime.bigint()).
 *  5. History: each predictor observes (features of what its query really processed, measured ns) unless a
 *     major GC ran during the batch (or GC pauses added up to >= 1 ms); the controller observes predicted vs measured; features commit the batch.
 * At every interval end (epoch-aligned, like the feature extractor's) the queries are flushed and the
 * flow-sampling thresholds released.
 *
 * Available time: the controller's default is budget - EWMA(overhead) - backlog. The engine knows better for
 * the batch at hand: the overhead already spent on it (features of the full batch, predictions) is measured,
 * and the rest (shedding phase, feature commit, history) is estimated per packet, so a sudden flood does not
 * overrun the budget while an EWMA of past batches catches up. {@link EngineController} plugs that in.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { type FlushContext, type QueryResult, flowThreshold } from '../queries/index.ts';
import { type Budget, FlowSampler, PacketSampler, type ShedPlan } from '../shed/index.ts';
import { type EngineController, sameRates } from './controller.ts';
import type { EngineQuery } from './components.ts';
import { CostFloor } from './cost-floor.ts';
import { GcWatch, type GcWindow } from './gc-watch.ts';
import type { BatchRecord, IntervalResult, OverheadSplit } from './records.ts';
import type { EngineOptions, EngineState } from './engine-options.ts';

const NO_SEL: Selection = { idx: new Uint32Array(1), length: 0 };

export class MonitorEngine {
  readonly state: EngineState;
  private readonly q: readonly EngineQuery[];
  private readonly n: number;
  private readonly intervalBig: bigint;
  private readonly warmup: number;
  private readonly ewmaW: number;
  private readonly timer: () => bigint;
  private readonly gc: Pick<GcWatch, 'begin' | 'end' | 'close'>;
  private readonly packetSampler: PacketSampler;
  private readonly flowSampler: FlowSampler;
  private readonly anyFlow: boolean;
  private readonly ctl: EngineController | undefined;
  private readonly budget: Budget | undefined;
  private readonly coversTotal: boolean;
  private readonly gcPauseFlagNs: number;
  private readonly faultFlag: number;
  private readonly faults: () => number;
  /** Per query: minor page faults during its process() call this batch. */
  private readonly faultsOf: Float64Array;
  // per-batch scratch, per query
  private readonly predFull: Float64Array;
  private readonly pred: Float64Array;
  private readonly rates: Float64Array;
  private readonly measured: Float64Array;
  private readonly flowMin: Float64Array;
  private readonly sels: Selection[];
  private readonly selBufs: Uint32Array[];
  private readonly featOf: Float64Array[];
  private readonly groupFeat: Float64Array[] = [];
  private readonly guard: Float64Array;
  private readonly floor: CostFloor;
  private readonly groupKey: number[] = [];
  private readonly groupFirst: number[] = [];
  private baseBuf = new Uint32Array(4096);
  private full: Float64Array = new Float64Array(0);
  private readonly gcWin: GcWindow = { major: false, pauseNs: 0 };
  // interval accounting
  private intervalStart: bigint | undefined;
  private readonly intRateMin: Float64Array;
  private readonly intRateW: Float64Array;
  private readonly intPackets: Float64Array;
  /** EWMA of the shedding phase's cost per admitted packet (sampling, re-extraction, re-prediction). */
  private shedPerPkt = NaN;
  /** EWMA of the post-query overhead per admitted packet (feature commit, history update). */
  private postPerPkt = 0;
  private batchIndex = 0;
  /** Consecutive batches each query was disabled, and the starvation-guard threshold. */
  private readonly starved: Uint32Array;
  private readonly probeAfter: number;
  /** Starvation-guard runs so far. */
  probes = 0;
  private shadowPred: Record<string, Float64Array> | undefined;
  private plannedError = NaN;
  private measuring = false;
  /** The cost clock's reading at the end of the last batch (callers measure capture time from it). */
  clockAtBatchEnd = 0n;

  constructor(private readonly opts: EngineOptions) {
    this.q = opts.queries;
    const n = (this.n = opts.queries.length);
    this.intervalBig = BigInt(Math.round(opts.intervalNs ?? 1e9));
    this.warmup = opts.warmupBatches ?? 60;
    this.ewmaW = opts.overheadWeight ?? 0.9;
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
    const seed = opts.seed ?? 1;
    this.packetSampler = new PacketSampler(seed ^ 0x5a5a5a5a);
    this.flowSampler = new FlowSampler(seed ^ 0x0f0f0f0f);
    this.anyFlow = !!opts.controller && opts.queries.some((e) => e.method === 'flow');
    this.predFull = new Float64Array(n);
    this.pred = new Float64Array(n);
    this.rates = new Float64Array(n);
    this.measured = new Float64Array(n);
    this.flowMin = new Float64Array(n).fill(1);
    this.sels = new Array<Selection>(n).fill(NO_SEL);
    this.selBufs = Array.from({ length: n }, () => new Uint32Array(4096));
    this.featOf = new Array<Float64Array>(n);
    this.intRateMin = new Float64Array(n).fill(1);
    this.intRateW = new Float64Array(n);
    this.intPackets = new Float64Array(n);
    this.starved = new Uint32Array(n);
    this.guard = new Float64Array(n);
    this.floor = new CostFloor(n, 60);
    this.probeAfter = opts.probeAfter ?? 10;
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
    // Warm-up until `warmup` batches are done and the budget is known (process() latches `measuring`).
    const warm = !this.measuring;
    this.gc.begin();
    const t0 = timer();
    const base = this.admitted(batch, lost);
    const feats = this.opts.features;
    feats.beginBatch(batch);
    // Without drops the admitted packets are the whole batch: the extractor's no-selection path is faster.
    this.full = feats.measure(lost === 0 ? undefined : base, this.full.length ? this.full : undefined);
    const tPred = timer();
    for (let i = 0; i < n; i++) {
      const p = q[i]!.predictor.predict(this.full);
      this.predFull[i] = p;
      this.pred[i] = p;
      this.rates[i] = 1;
      this.sels[i] = base;
      this.featOf[i] = this.full;
    }
    const tShed = timer();
    let available = Infinity;
    let passes = 0;
    const ctl = this.ctl;
    if (ctl && !warm) {
      // Overhead already spent on this batch + per-packet estimates of what is still to come. Before any
      // shedding was measured, assume re-extraction costs what the full extraction did.
      const preNs = Number(tShed - t0);
      const shedPer = Number.isNaN(this.shedPerPkt) ? preNs / Math.max(1, base.length) : this.shedPerPkt;
      const rest = (shedPer + this.postPerPkt) * base.length;
      available = Math.max(0, this.budgetNs - backlog - (this.coversTotal ? preNs + rest : 0));
      ctl.nextAvailableNs = available;
      this.plannedError = ctl.errorTerm;
      let plan: ShedPlan = ctl.plan(this.floored(this.predFull, null, base.length));
      const first = plan.rates.slice();
      const clamped = this.anyFlow && this.flowClamped();
      if (plan.shedding || clamped) {
        for (;;) {
          this.applySampling(batch, base, plan.rates);
          passes++;
          if (plan.done || !plan.shedding) break;
          const re = this.floored(this.pred, this.sels, 0);
          const next = ctl.refine(re, plan);
          if (sameRates(next.rates, plan.rates)) break;
          plan = next;
        }
        if (this.probeStarved(first)) {
          this.applySampling(batch, base, this.rates);
          passes++;
        }
      } else this.starved.fill(0);
      if (passes > 0 && base.length > 0) {
        const per = Number(timer() - tShed) / base.length;
        this.shedPerPkt = Number.isNaN(this.shedPerPkt) ? per : this.ewmaW * this.shedPerPkt + (1 - this.ewmaW) * per;
      }
    }
    if (this.anyFlow && passes === 0) this.flowSampler.sample(batch, base, 1); // hashes for the flow queries
    // Without a controller nothing ran since tShed: one clock read less per batch (a CPU-clock read costs ~1-2 us).
    const tQueries = ctl ? timer() : tShed;
    let tPost = tQueries;
    let queriesNs = 0;
    const watchFaults = this.faultFlag !== Infinity;
    const flowHash = this.anyFlow ? this.flowSampler.hashes : undefined;
    const intervalStartNs = this.intervalStart!;
    for (let i = 0; i < n; i++) {
      const e = q[i]!;
      const rate = this.rates[i]!;
      let c = 0;
      this.faultsOf[i] = 0;
      if (rate > 0) {
        const ctx = { rate, intervalStartNs, flowHash: e.method === 'flow' ? flowHash : undefined };
        const f0 = watchFaults ? this.faults() : 0;
        const cross = this.opts.crossTimer;
        const w = cross ? cross() : 0n;
        const s = timer();
        e.query.process(batch, this.sels[i]!, ctx);
        tPost = timer(); // the end of the last query run is the start of the post phase
        c = Number(tPost - s);
        if (cross) c = Math.min(c, Number(cross() - w));
        if (watchFaults) this.faultsOf[i] = this.faults() - f0;
      } else {
        this.sels[i] = NO_SEL;
        this.pred[i] = 0;
      }
      this.measured[i] = c;
      queriesNs += c;
      this.intRateMin[i] = Math.min(this.intRateMin[i]!, rate);
      this.intRateW[i]! += rate * base.length;
      this.intPackets[i]! += base.length;
    }
    const shedNs = Number(tQueries - tShed);
    const win = this.gc.end(this.gcWin);
    const gc = win.major || win.pauseNs >= this.gcPauseFlagNs;
    const shadowNs = this.predictShadows();
    let alloc = false;
    for (let i = 0; i < n; i++) if (this.faultsOf[i]! >= this.faultFlag) alloc = true;
    if (!gc) {
      for (let i = 0; i < n; i++) {
        if (this.rates[i]! <= 0 || this.faultsOf[i]! >= this.faultFlag) continue;
        q[i]!.predictor.observe(this.featOf[i]!, this.measured[i]!);
        this.floor.observe(i, this.measured[i]!, this.sels[i]!.length);
        for (const s of this.opts.shadows?.get(i) ?? []) s.observe(this.featOf[i]!, this.measured[i]!);
      }
    }
    feats.endBatch();
    const t3 = timer();
    this.clockAtBatchEnd = t3;
    const totalNs = Number(t3 - t0) - shadowNs;
    const overheadNs = Math.max(0, totalNs - queriesNs);
    if (base.length > 0) {
      const per = (Number(t3 - tPost) - shadowNs) / base.length;
      this.postPerPkt = this.batchIndex === 0 ? per : this.ewmaW * this.postPerPkt + (1 - this.ewmaW) * per;
    }
    // GC batches stay out of the error term and of an auto budget's warm-up median; idle warm-up batches too.
    // The error term learns only from post-warm-up predictions (a predictor with no history predicts nothing).
    const feed = !gc && !alloc && (base.length > 0 || this.budget?.ready !== false);
    const chargedOverhead = this.coversTotal ? overheadNs : 0;
    if (ctl && feed && !warm) ctl.observe({ predictedNs: this.pred, measuredNs: this.measured, overheadNs: chargedOverhead });
    else if (feed && this.budget && !this.budget.ready) this.budget.addWarmupCost(queriesNs + chargedOverhead);
    this.opts.cpu.charge(queriesNs + chargedOverhead, batch);
    const split: OverheadSplit = {
      featuresNs: Number(tPred - t0),
      predictNs: Number(tShed - tPred),
      shedNs,
      postNs: Math.max(0, Number(t3 - tPost) - shadowNs),
    };
    if (alloc) this.state.allocBatches++;
    return this.record(batch, lost, warm, gc, available, backlog, overheadNs, queriesNs, passes, split, alloc);
  }

  /**
   * Starvation guard. A query the shedder disables (rate 0) is not run, so its predictor gets no new
   * observation and its error cannot shrink: a model that over-predicts small samples (e.g. an intercept
   * extrapolated from full batches only) would keep it disabled for ever. After `probeAfter` consecutive
   * disabled batches the query is run once at the rate of the batch's first plan (at least 1%), which gives
   * its predictor a low-rate observation. Returns true when some rate was raised (the caller re-samples).
   */
  private probeStarved(first: Float64Array): boolean {
    let raised = false;
    for (let i = 0; i < this.n; i++) {
      if (this.rates[i]! > 0) {
        this.starved[i] = 0;
        continue;
      }
      if (++this.starved[i]! < this.probeAfter) continue;
      this.starved[i] = 0;
      this.rates[i] = Math.min(1, Math.max(0.01, first[i]!));
      this.probes++;
      raised = true;
    }
    return raised;
  }

  /**
   * What the controller plans with: each prediction, but never below packets x the query's 10th-percentile
   * cost per packet in its recent history ({@link CostFloor}). A regression fitted on noisy costs of similar
   * batches can come out nearly flat and then predict a 10x larger batch (a flood's first batch) at normal
   * cost; the floor bounds that extrapolation error. Recorded predictions and error statistics stay raw.
   */
  private floored(pred: Float64Array, sels: Selection[] | null, packets: number): Float64Array {
    const out = this.guard;
    for (let i = 0; i < this.n; i++) out[i] = Math.max(pred[i]!, this.floor.min(i, sels ? sels[i]!.length : packets));
    return out;
  }

  private flowClamped(): boolean {
    for (let i = 0; i < this.n; i++) if (this.flowMin[i]! < 1 && this.q[i]!.method === 'flow') return true;
    return false;
  }

  /** Samples every query at its planned rate and re-predicts on the features of what it would process. */
  private applySampling(batch: PacketBatch, base: Selection, planRates: Float64Array): void {
    const { q, n } = this;
    let hashed = false;
    this.groupKey.length = 0;
    this.groupFirst.length = 0;
    for (let i = 0; i < n; i++) {
      const e = q[i]!;
      let r = Math.min(1, Math.max(0, planRates[i]!));
      if (e.method === 'flow') {
        if (!hashed) {
          this.flowSampler.sample(batch, base, 1); // this interval's flow hashes for the whole batch
          hashed = true;
        }
        if (r > 0) {
          r = Math.min(r, this.flowMin[i]!);
          this.flowMin[i] = r;
        }
      }
      planRates[i] = r; // the effective rate is what the refinement must reason about
      this.rates[i] = r;
      // Queries with the same method and rate share one selection and one feature vector.
      const key = e.method === 'flow' ? -1 - r : r;
      const g = this.groupKey.indexOf(key);
      if (g >= 0) {
        const j = this.groupFirst[g]!;
        this.sels[i] = this.sels[j]!;
        this.featOf[i] = this.featOf[j]!;
      } else {
        const gi = this.groupKey.length;
        this.groupKey.push(key);
        this.groupFirst.push(i);
        if (r >= 1) {
          this.sels[i] = base;
          this.featOf[i] = this.full;
        } else if (r <= 0) {
          this.sels[i] = NO_SEL;
          this.featOf[i] = this.full;
        } else {
          this.sels[i] = this.sample(i, batch, base, r, e.method === 'flow');
          const out = (this.groupFeat[gi] ??= new Float64Array(this.full.length));
          this.featOf[i] = this.opts.features.measure(this.sels[i], out);
        }
      }
      this.pred[i] = r <= 0 ? 0 : e.predictor.predict(this.featOf[i]!);
    }
  }

  private sample(i: number, batch: PacketBatch, base: Selection, rate: number, flow: boolean): Selection {
    if (this.selBufs[i]!.length < base.length) this.selBufs[i] = new Uint32Array(Math.max(base.length, this.selBufs[i]!.length * 2));
    const out = this.selBufs[i]!;
    if (!flow) return this.packetSampler.sample(batch, base, rate, out);
    const h = this.flowSampler.hashes;
    const thr = flowThreshold(rate);
    let k = 0;
    for (let j = 0; j < base.length; j++) {
      const p = base.idx[j]!;
      if (h[p]! <= thr) out[k++] = p;
    }
    return { idx: out, length: k };
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
      for (const s of list) (shadow[s.kind] ??= new Float64Array(this.n).fill(NaN))[i] = s.predict(this.featOf[i]!);
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
    const processed = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      st.costNs[i]! += this.measured[i]!;
      processed[i] = this.rates[i]! > 0 ? this.sels[i]!.length : 0;
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
      predicted: this.pred.slice(),
      measured: this.measured.slice(),
      rate: this.rates.slice(),
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
        finalRate: e.method === 'flow' && this.ctl ? this.flowMin[i]! : 1,
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
      this.flowMin[i] = 1;
    }
    if (this.anyFlow) this.flowSampler.startInterval();
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
