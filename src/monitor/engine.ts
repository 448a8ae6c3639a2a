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
import type { PacketBatch, Selection } from '../capture/batch.ts';
import type { FlushContext, QueryResult } from '../queries/query.ts';
import type { CostPredictor } from '../predict/predictor.ts';
import type { Budget } from '../shed/budget.ts';
import { ShedController, type ShedControllerOptions, type ShedPlan } from '../shed/controller.ts';
import { FlowSampler, flowThreshold } from '../shed/flow-sampler.ts';
import { PacketSampler } from '../shed/packet-sampler.ts';
import type { CpuModel, EngineQuery, FeatureSource } from './components.ts';
import { GcWatch, type GcWindow } from './gc-watch.ts';
import type { BatchRecord, IntervalResult, ResultSink, TelemetrySink } from './records.ts';

/** The src/shed controller with the available time supplied by the engine for the batch at hand. */
export class EngineController extends ShedController {
  /** Set by the engine before each plan(); NaN = the controller's own estimate. */
  nextAvailableNs = NaN;
  constructor(opts: ShedControllerOptions) {
    super(opts);
  }
  override availableNs(): number {
    return Number.isNaN(this.nextAvailableNs) ? super.availableNs() : this.nextAvailableNs;
  }
}

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
  /** Batches processed unshed while the predictors learn (CoMo: 60). Default 60. */
  readonly warmupBatches?: number;
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
  /** Clock for cost measurement (default process.hrtime.bigint); tests inject a fake one. */
  readonly timer?: () => bigint;
  /** GC detector (default a real {@link GcWatch}); tests inject a fake one. */
  readonly gc?: Pick<GcWatch, 'begin' | 'end' | 'close'>;
}

/** What a run accumulated. */
export interface EngineState {
  batches: number;
  packets: number;
  drops: number;
  gcBatches: number;
  /** Total processing time (queries + overhead) in ns. */
  processingNs: number;
  overheadNs: number;
  readonly costNs: Float64Array;
  readonly records: BatchRecord[];
  readonly results: IntervalResult[][];
}

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
  private shadowPred: Record<string, Float64Array> | undefined;

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
    if (opts.controller && opts.budget && opts.controller.budget !== opts.budget) throw new Error('MonitorEngine: the controller must share the engine budget');
    if (opts.controller && opts.controller.queries !== n) throw new Error('MonitorEngine: controller sized for another query count');
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
    this.state = {
      batches: 0,
      packets: 0,
      drops: 0,
      gcBatches: 0,
      processingNs: 0,
      overheadNs: 0,
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
    const backlog = this.opts.cpu.backlogNs;
    const lost = await this.opts.cpu.admit(batch);
    return this.runBatch(batch, lost, backlog);
  }

  private runBatch(batch: PacketBatch, lost: number, backlog: number): BatchRecord {
    const { q, n, timer } = this;
    const warm = this.batchIndex < this.warmup || (this.budget !== undefined && !this.budget.ready);
    this.gc.begin();
    const t0 = timer();
    const base = this.admitted(batch, lost);
    const feats = this.opts.features;
    feats.beginBatch(batch);
    this.full = feats.measure(base, this.full.length ? this.full : undefined);
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
      let plan: ShedPlan = ctl.plan(this.predFull);
      const clamped = this.anyFlow && this.flowClamped();
      if (plan.shedding || clamped) {
        for (;;) {
          this.applySampling(batch, base, plan.rates);
          passes++;
          if (plan.done || !plan.shedding) break;
          const next = ctl.refine(this.pred, plan);
          if (sameRates(next.rates, plan.rates)) break;
          plan = next;
        }
      }
      if (passes > 0 && base.length > 0) {
        const per = Number(timer() - tShed) / base.length;
        this.shedPerPkt = Number.isNaN(this.shedPerPkt) ? per : this.ewmaW * this.shedPerPkt + (1 - this.ewmaW) * per;
      }
    }
    if (this.anyFlow && passes === 0) this.flowSampler.sample(batch, base, 1); // hashes for the flow queries
    let queriesNs = 0;
    const flowHash = this.anyFlow ? this.flowSampler.hashes : undefined;
    const intervalStartNs = this.intervalStart!;
    for (let i = 0; i < n; i++) {
      const e = q[i]!;
      const rate = this.rates[i]!;
      let c = 0;
      if (rate > 0) {
        const ctx = { rate, intervalStartNs, flowHash: e.method === 'flow' ? flowHash : undefined };
        const s = timer();
        e.query.process(batch, this.sels[i]!, ctx);
        c = Number(timer() - s);
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
    const tPost = timer();
    const win = this.gc.end(this.gcWin);
    const gc = win.major || win.pauseNs >= this.gcPauseFlagNs;
    const shadowNs = this.predictShadows();
    if (!gc) {
      for (let i = 0; i < n; i++) {
        if (this.rates[i]! <= 0) continue;
        q[i]!.predictor.observe(this.featOf[i]!, this.measured[i]!);
        for (const s of this.opts.shadows?.get(i) ?? []) s.observe(this.featOf[i]!, this.measured[i]!);
      }
    }
    feats.endBatch();
    const t3 = timer();
    const totalNs = Number(t3 - t0) - shadowNs;
    const overheadNs = Math.max(0, totalNs - queriesNs);
    if (base.length > 0) {
      const per = (Number(t3 - tPost) - shadowNs) / base.length;
      this.postPerPkt = this.batchIndex === 0 ? per : this.ewmaW * this.postPerPkt + (1 - this.ewmaW) * per;
    }
    // GC batches stay out of the error term and of an auto budget's warm-up median; idle warm-up batches too.
    // The error term learns only from post-warm-up predictions (a predictor with no history predicts nothing).
    const feed = !gc && (base.length > 0 || this.budget?.ready !== false);
    const chargedOverhead = this.coversTotal ? overheadNs : 0;
    if (ctl && feed && !warm) ctl.observe({ predictedNs: this.pred, measuredNs: this.measured, overheadNs: chargedOverhead });
    else if (feed && this.budget && !this.budget.ready) this.budget.addWarmupCost(queriesNs + chargedOverhead);
    this.opts.cpu.charge(queriesNs + chargedOverhead, batch);
    return this.record(batch, base.length, lost, warm, gc, available, backlog, overheadNs, queriesNs, passes);
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
    admitted: number,
    lost: number,
    warm: boolean,
    gc: boolean,
    availableNs: number,
    backlogNs: number,
    overheadNs: number,
    queriesNs: number,
    shedPasses: number,
  ): BatchRecord {
    const st = this.state;
    const n = this.n;
    st.batches++;
    st.packets += batch.count;
    st.drops += lost;
    if (gc) st.gcBatches++;
    st.processingNs += overheadNs + queriesNs;
    st.overheadNs += overheadNs;
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
      budgetNs: this.budgetNs,
      availableNs,
      backlogNs,
      overheadNs,
      queriesNs,
      shedPasses,
      predictedFull: this.predFull.slice(),
      predicted: this.pred.slice(),
      measured: this.measured.slice(),
      rate: this.rates.slice(),
      processed,
      shadow,
    };
    if (admitted + lost !== batch.count) throw new Error('MonitorEngine: admitted + lost != packets');
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
    for (let i = 0; i < this.n; i++) {
      const e = this.q[i]!;
      const ctx: FlushContext = {
        intervalStartNs: start,
        intervalEndNs: endNs,
        finalRate: e.method === 'flow' && this.ctl ? this.flowMin[i]! : 1,
      };
      const result: QueryResult = e.query.flush(ctx);
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

function sameRates(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
