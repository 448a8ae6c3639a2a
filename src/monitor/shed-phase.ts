/**
 * The engine's shedding phase for one batch (seed 004 section V.C, step 3 of engine.ts): plan per-query rates
 * with the controller, sample the batch per query (packet or flow), re-extract the features of each distinct
 * sampled selection and re-predict, refine the plan until it fits, and run the starvation guard.
 *
 * It owns what a query processes in the batch: its rate, its selection, the features its predictor saw and
 * the prediction on them; the engine reads them ({@link rates}, {@link sels}, {@link featOf}, {@link pred}).
 *
 * Cost (the phase runs on every overloaded batch, so its time is overhead the budget pays for):
 * - flow hashes of the batch are computed once per batch (the hash tables change only at interval ends), and
 *   only when some flow query samples or runs;
 * - queries with the same method and rate share one selection and one feature re-extraction;
 * - the flow-sampling filter is branchless (the keep/drop decision at rate ~0.5 is a coin flip per packet,
 *   which a branch mispredicts half the time).
 *
 * Flow-sampling rates are planned afresh every batch and may rise again after a dip inside a measurement
 * interval: the flow queries count a flow where it is first seen against the interval's running-minimum rate
 * (src/queries/flow-count.ts), which is unbiased under any schedule. Only a batch's refinements lower a flow
 * query's rate (the controller's monotone flag), so the selection it is finally run on is the refined one.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { FlowSampler, PacketSampler, type ShedPlan } from '../shed/index.ts';
import type { EngineQuery, FeatureSource } from './components.ts';
import { type EngineController, sameRates } from './controller.ts';
import { CostFloor } from './cost-floor.ts';
import { SizeNovelty } from './size-novelty.ts';

/** A batch of unseen size is planned at this many times the 90th-percentile cost per packet of its query. */
const NOVEL_COST = 2;

/** The empty selection (a disabled query). */
const NO_SEL: Selection = { idx: new Uint32Array(1), length: 0 };

export class ShedPhase {
  /** Per query: the rate applied this batch (1 = unsampled, 0 = disabled). */
  readonly rates: Float64Array;
  /** Per query: the prediction for the selection it processes (0 when disabled). */
  readonly pred: Float64Array;
  /** Per query: the packets it processes. */
  readonly sels: Selection[];
  /** Per query: the features of {@link sels} (the full batch's when unsampled or disabled). */
  readonly featOf: Float64Array[];
  /** Starvation-guard runs so far. */
  probes = 0;

  private readonly n: number;
  private readonly anyFlow: boolean;
  private readonly packetSampler: PacketSampler;
  private readonly flowSampler: FlowSampler;
  /** Per flow query: the interval's lowest rate it was run at so far (the flush's finalRate). */
  private readonly flowMin: Float64Array;
  private readonly selBufs: Uint32Array[];
  private readonly groupFeat: Float64Array[] = [];
  private readonly groupKey: number[] = [];
  private readonly groupFirst: number[] = [];
  private readonly guard: Float64Array;
  private readonly floor: CostFloor;
  /** Batch sizes seen (the novelty guard, {@link floored}). */
  readonly sizes = new SizeNovelty();
  private novel = false;
  /** Consecutive batches each query was disabled. */
  private readonly starved: Uint32Array;
  private hashed = false;
  // the batch at hand
  private batch: PacketBatch | undefined;
  private base: Selection = NO_SEL;
  private full: Float64Array = new Float64Array(0);
  private predFull: Float64Array = new Float64Array(0);

  constructor(
    private readonly q: readonly EngineQuery[],
    private readonly features: FeatureSource,
    /** Whether a controller sheds at all (without one, flow queries get no hashes, as they are never sampled). */
    shedding: boolean,
    seed: number,
    /** Starvation guard: run a query disabled this many batches in a row once at a low rate. */
    private readonly probeAfter: number,
  ) {
    const n = (this.n = q.length);
    this.anyFlow = shedding && q.some((e) => e.method === 'flow');
    this.packetSampler = new PacketSampler(seed ^ 0x5a5a5a5a);
    this.flowSampler = new FlowSampler(seed ^ 0x0f0f0f0f);
    this.rates = new Float64Array(n);
    this.pred = new Float64Array(n);
    this.sels = new Array<Selection>(n).fill(NO_SEL);
    this.featOf = new Array<Float64Array>(n);
    this.flowMin = new Float64Array(n).fill(1);
    this.selBufs = Array.from({ length: n }, () => new Uint32Array(4096));
    this.guard = new Float64Array(n);
    this.floor = new CostFloor(n, 60);
    this.starved = new Uint32Array(n);
  }

  /**
   * Starts a batch: every query unsampled, on the admitted packets `base` with features `full` and full-batch
   * predictions `predFull` (all three held, not copied: the caller leaves them unchanged until {@link run}).
   */
  begin(batch: PacketBatch, base: Selection, full: Float64Array, predFull: Float64Array): void {
    this.batch = batch;
    this.base = base;
    this.novel = this.sizes.check(base.length);
    this.full = full;
    this.hashed = false;
    this.predFull = predFull;
    this.pred.set(predFull);
    this.rates.fill(1);
    this.sels.fill(base);
    this.featOf.fill(full);
  }

  /**
   * Plans, samples, re-predicts and refines until the plan fits or stops changing, then runs the starvation
   * guard. Returns the sampling passes made (0 when nothing was shed).
   */
  run(ctl: EngineController): number {
    let plan: ShedPlan = ctl.plan(this.floored(this.predFull, false));
    if (!plan.shedding) {
      this.starved.fill(0);
      return 0;
    }
    let passes = 0;
    for (;;) {
      this.applySampling(plan.rates);
      passes++;
      if (plan.done || !plan.shedding) break;
      const next = ctl.refine(this.floored(this.pred, true), plan);
      if (sameRates(next.rates, plan.rates)) break;
      plan = next;
    }
    if (this.probeStarved(plan.firstRates)) {
      this.applySampling(this.rates);
      passes++;
    }
    if (this.anyFlow) this.recordFlowMin();
    return passes;
  }

  /**
   * The batch's flow hashes (indexed like the batch) for the flow queries' `BatchContext.flowHash`: computed at
   * most once per batch; undefined when no query is flow-sampled or no flow query runs this batch.
   */
  flowHashes(): Uint32Array | undefined {
    if (!this.anyFlow) return undefined;
    if (!this.hashed) {
      let runs = false;
      for (let i = 0; i < this.n; i++) if (this.q[i]!.method === 'flow' && this.rates[i]! > 0) runs = true;
      if (!runs) return undefined;
      this.hashFlows();
    }
    return this.flowSampler.hashes;
  }

  /** Records query i's measured cost on its selection (the planning floor's history). */
  observeCost(i: number, costNs: number): void {
    this.floor.observe(i, costNs, this.sels[i]!.length);
  }

  /**
   * The flush's finalRate of query i: for a flow query the lowest rate it ran at in the interval (flows with a
   * hash under its threshold were kept in every batch), else 1.
   */
  finalRate(i: number): number {
    return this.anyFlow && this.q[i]!.method === 'flow' ? this.flowMin[i]! : 1;
  }

  /** Ends a measurement interval: flow thresholds back to 1, new flow hash tables. */
  startInterval(): void {
    this.flowMin.fill(1);
    if (this.anyFlow) this.flowSampler.startInterval();
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
   *
   * Novelty guard: a batch more than twice the size of any in the last 60 ({@link SizeNovelty}) is planned at
   * `NOVEL_COST` x the query's 90th-percentile cost per packet instead, on the packets each query would
   * process. Its sample then runs at a rate the budget covers even if the new kind of traffic costs twice the
   * usual per packet, and the predictor learns from a sample of useful size (a guard that planned with the
   * worst case shed the first flood batch to 0.2-1% and taught the model nothing).
   */
  private floored(pred: Float64Array, sampled: boolean): Float64Array {
    const out = this.guard;
    const packets = this.base.length;
    for (let i = 0; i < this.n; i++) {
      const p = sampled ? this.sels[i]!.length : packets;
      out[i] = Math.max(pred[i]!, this.novel ? NOVEL_COST * this.floor.high(i, p) : this.floor.min(i, p));
    }
    return out;
  }

  /** Lowers each flow query's interval minimum to the rate it runs at this batch (disabled batches excluded). */
  private recordFlowMin(): void {
    for (let i = 0; i < this.n; i++) {
      const r = this.rates[i]!;
      if (r > 0 && r < this.flowMin[i]! && this.q[i]!.method === 'flow') this.flowMin[i] = r;
    }
  }

  /** Samples every query at its planned rate and re-predicts on the features of what it would process. */
  private applySampling(planRates: Float64Array): void {
    const { q, n } = this;
    this.groupKey.length = 0;
    this.groupFirst.length = 0;
    for (let i = 0; i < n; i++) {
      const e = q[i]!;
      const r = Math.min(1, Math.max(0, planRates[i]!));
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
          this.sels[i] = this.base;
          this.featOf[i] = this.full;
        } else if (r <= 0) {
          this.sels[i] = NO_SEL;
          this.featOf[i] = this.full;
        } else {
          this.sels[i] = e.method === 'flow' ? this.sampleFlows(i, r) : this.samplePackets(i, r);
          const out = (this.groupFeat[gi] ??= new Float64Array(this.full.length));
          this.featOf[i] = this.features.measure(this.sels[i], out);
        }
      }
      this.pred[i] = r <= 0 ? 0 : e.predictor.predict(this.featOf[i]!);
    }
  }

  /** Query i's selection buffer, grown to hold the admitted packets. */
  private selBuf(i: number): Uint32Array {
    const len = this.base.length;
    if (this.selBufs[i]!.length < len) this.selBufs[i] = new Uint32Array(Math.max(len, this.selBufs[i]!.length * 2));
    return this.selBufs[i]!;
  }

  private samplePackets(i: number, rate: number): Selection {
    return this.packetSampler.sample(this.batch!, this.base, rate, this.selBuf(i));
  }

  /** The admitted packets whose flow hash is <= the rate's threshold ({@link FlowSampler.filter}, branchless). */
  private sampleFlows(i: number, rate: number): Selection {
    if (!this.hashed) this.hashFlows();
    return this.flowSampler.filter(this.base, rate, this.selBuf(i));
  }

  /** Hashes the admitted packets with the interval's tables (once per batch). */
  private hashFlows(): void {
    this.flowSampler.hash(this.batch!, this.base);
    this.hashed = true;
  }
}
