/**
 * The shedding controller (seed 004 section V.A; CoMo `compute_srate` + `assign_srates`), driven by the monitor
 * loop once per batch:
 *
 * ```
 * const plan0 = controller.plan(predictions);            // per-query predicted ns at rate 1
 * let plan = plan0;
 * while (!plan.done) {                                    // at most maxRefinements times
 *   // sample each query's batch at plan.rates[q], re-extract its features, re-predict:
 *   plan = controller.refine(rePredictions, plan);
 * }
 * // run the queries at plan.rates (rate 0 / frozen: not at all), time them, then:
 * controller.observe({ predictedNs: controller.expectedCosts(plan), measuredNs, overheadNs });
 * // and, for every query that ran and whose batch was not hit by GC: predictor.observe(sampledFeatures, ns)
 * ```
 *
 * Budget accounting (all in ns per batch):
 * - available = max(0, budget − overhead − backlog), where
 *   - overhead = EWMA(weight 0.9 on the old value, CoMo AVAIL_CYCLES_EWMA) of the measured engine time that is
 *     not query time (capture, feature extraction, prediction, sampling);
 *   - backlog (the buffer correction) = how far the monitor is behind its budget:
 *     backlog_t = max(0, backlog_{t−1} + spent_t − budget), spent = Σ measured query ns + overhead ns of batch t.
 *     It is the backlog of an emulated CPU that gets `budget` ns per batch (with budget = the batch interval it
 *     is exactly the real lag); an overrun is paid back by shrinking the next batches' available time.
 * - error term ê, from P = Σ predicted ns for what actually ran (the prediction on the sampled batch, or rate ×
 *   full prediction) and M = Σ measured ns of the queries that ran, per batch:
 *   - `errorModel: 'tail'` (default): ê = max(0, (1 − s)-quantile of M/P − 1) over the last 60 batches, s =
 *     `overrunShare` (0.05): one-sided, as large as the recent under-predictions require (./error-bound.ts
 *     explains why the mean absolute error is the wrong measure for a budget);
 *   - `errorModel: 'mean'`: CoMo's EWMA (weight 0.9 on the old value, PERROR_EWMA_WEIGHT) of |1 − P/M|, each
 *     sample capped at `maxError` (10).
 * - global rate = available / (Σ predicted × (1 + ê)), clamped to [0, 1]. The error term IS applied (CoMo 2.0
 *   cancelled it: `1 + (perror − perror)`): per-query rates come from the max-min fair allocation of
 *   `available` over the inflated costs c_q·(1 + ê).
 * - refine: given predictions on the sampled batches, if Σ·(1 + ê) <= available the plan stands. Otherwise each
 *   query's predicted cost is modelled as affine in its rate, cost_q(r) = a_q + b_q·r, through its last two
 *   evaluated points (the full-rate prediction at r = 1 is the first; secant method; a_q clamped to
 *   [0, prediction] and b_q > 0, else the line through the origin), and the max-min fair allocation is redone on
 *   the slopes b_q·(1 + ê) with available − Σ a_q·(1 + ê). Sampling rarely cuts cost linearly (per-flow or
 *   per-batch fixed costs), which is why the seed re-predicts; the secant step makes an affine cost converge in
 *   one refinement. Rates only go down within a batch's refinements, except
 *   for queries marked non-monotone (packet sampling): when the re-predicted plan uses less than `raiseBelow`
 *   (0.9) of the available time, their rates are raised (up to 1) in proportion to available / (sampled-batch
 *   prediction x (1 + ê)), so that a full-batch prediction far above the truth (a regression extrapolating on
 *   a flood) does not shed for nothing; the next refinement checks the raise on the re-sampled batch.
 * - Only the first plan disables queries (when even the minimum rates do not fit). A refinement can reach rate
 *   0 for a query when its affine model's intercept alone exceeds the available time; that intercept is an
 *   extrapolation of the regression below the batch sizes it was fitted on (the true cost of an empty sample
 *   is ~0), and the seed never disables a query that way: it scales the rate by available / predicted (section
 *   V.A). Such a query gets that proportional step instead (at least {@link MIN_REFINED_RATE}).
 */
import { allocateRates } from './allocate.ts';
import type { Budget } from './budget.ts';
import { TailErrorBound } from './error-bound.ts';
import { Smoothed } from './smoothing.ts';

/** Lowest rate a refinement gives a query instead of disabling it. */
const MIN_REFINED_RATE = 1e-3;

export interface ShedControllerOptions {
  /** Number of queries (predictions and rates are indexed 0..queries-1). */
  queries: number;
  budget: Budget;
  /** Minimum sampling rate per query (default 0 for every query). */
  minRates?: ArrayLike<number>;
  /** How the error term is estimated: `tail` (default, quantile of M/P) or `mean` (CoMo's EWMA of |1 − P/M|). */
  errorModel?: 'tail' | 'mean';
  /** `tail`: share of batches allowed to overrun their available time (0.05). */
  overrunShare?: number;
  /** `tail`: batches the quantile is taken over (60). */
  errorWindow?: number;
  /** `mean`: EWMA weight on the old value for the prediction error (0.9). */
  errorWeight?: number;
  /** EWMA weight on the old value for the overhead (0.9). */
  overheadWeight?: number;
  /** Refinement rounds after the first plan (3). */
  maxRefinements?: number;
  /** Cap on one batch's relative prediction error sample (10; for `tail`, on M/P − 1). */
  maxError?: number;
  /**
   * Per query: 1 (default) when its rate may only fall during one batch's refinements (flow-sampled queries),
   * 0 when the refinement may also raise it (packet sampling). Across batches any rate may rise again.
   */
  monotone?: ArrayLike<number>;
  /**
   * A refinement raises the non-monotone queries' rates when the re-predicted cost of the plan, inflated by the
   * error term, is below this share of the available time (0.9). The first plan scales the full-batch
   * prediction, which a regression fitted on sampled batches can overshoot by several times on a flood; the
   * prediction on the sampled batch is the better estimate, and with packet sampling nothing forbids using it.
   */
  raiseBelow?: number;
}

export interface ShedPlan {
  /** Sampling rate per query in [0, 1] (0 = frozen: do not run the query this batch). */
  rates: Float64Array;
  /** 1 = frozen (disabled for this batch because even its minimum rate did not fit). */
  frozen: Uint8Array;
  /** Budget per batch (ns); +Infinity during an auto-budget warm-up. */
  budgetNs: number;
  /** budget − overhead − backlog, >= 0. */
  availableNs: number;
  /** The error term ê applied to this plan. */
  errorTerm: number;
  /** Σ predictions the plan was computed from (full-rate for the first plan, on the sampled batches after). */
  predictedNs: number;
  /** Expected cost of the plan: Σ rate_q × (estimated full-rate cost_q), before the error inflation. */
  plannedNs: number;
  /** available / (Σ full-rate predictions × (1 + ê)), clamped to [0, 1]. */
  globalRate: number;
  /** plannedNs × (1 + ê) <= availableNs. */
  withinBudget: boolean;
  /** Some rate below 1. */
  shedding: boolean;
  /** Per query: the rate and predicted cost of the point before the current one (secant state for refine). */
  prevRates: Float64Array;
  prevCostsNs: Float64Array;
  /** Per query: the predicted cost at {@link rates} when known (the full-rate predictions for a first plan at rate 1). */
  costsNs: Float64Array;
  /** The rates of the batch's first plan (carried through the refinements). */
  firstRates: Float64Array;
  /** 0 for {@link ShedController.plan}, then 1, 2, ... per refinement. */
  iteration: number;
  /** Nothing more to refine: within budget, not shedding, or out of refinement rounds. */
  done: boolean;
  /** True while an auto budget is warming up (no shedding). */
  warmingUp: boolean;
}

/** What ran in one batch, for {@link ShedController.observe}. */
export interface ShedObservation {
  /** Per query: the prediction for what actually ran (0 for queries that did not run). */
  predictedNs: ArrayLike<number>;
  /** Per query: measured ns (0 for queries that did not run). */
  measuredNs: ArrayLike<number>;
  /** Measured engine ns outside the queries for this batch (capture, features, prediction, sampling). */
  overheadNs: number;
}

export class ShedController {
  readonly queries: number;
  readonly budget: Budget;
  readonly minRates: Float64Array;
  readonly maxRefinements: number;
  readonly maxError: number;
  readonly monotone: Uint8Array;
  readonly raiseBelow: number;
  readonly errorModel: 'tail' | 'mean';
  private readonly error: Smoothed;
  private readonly tail: TailErrorBound;
  private readonly overhead: Smoothed;
  private backlog = 0;
  private lastSpent = 0;

  constructor(opts: ShedControllerOptions) {
    if (!Number.isInteger(opts.queries) || opts.queries < 0) throw new RangeError(`queries must be an integer >= 0, got ${opts.queries}`);
    this.queries = opts.queries;
    this.budget = opts.budget;
    this.minRates = new Float64Array(opts.queries);
    if (opts.minRates) {
      if (opts.minRates.length !== opts.queries) throw new RangeError(`minRates has ${opts.minRates.length} entries for ${opts.queries} queries`);
      for (let q = 0; q < opts.queries; q++) {
        const v = opts.minRates[q]!;
        if (!(v >= 0 && v <= 1)) throw new RangeError(`minimum rate of query ${q} must be in [0, 1], got ${v}`);
        this.minRates[q] = v;
      }
    }
    this.error = new Smoothed(opts.errorWeight ?? 0.9);
    this.overhead = new Smoothed(opts.overheadWeight ?? 0.9);
    this.maxRefinements = opts.maxRefinements ?? 3;
    this.maxError = opts.maxError ?? 10;
    this.errorModel = opts.errorModel ?? 'tail';
    if (this.errorModel !== 'tail' && this.errorModel !== 'mean') throw new RangeError(`errorModel must be 'tail' or 'mean', got ${String(opts.errorModel)}`);
    this.tail = new TailErrorBound(opts.errorWindow ?? 60, opts.overrunShare ?? 0.05, this.maxError);
    this.monotone = new Uint8Array(opts.queries).fill(1);
    if (opts.monotone) {
      if (opts.monotone.length !== opts.queries) throw new RangeError(`monotone has ${opts.monotone.length} entries for ${opts.queries} queries`);
      for (let q = 0; q < opts.queries; q++) this.monotone[q] = opts.monotone[q] ? 1 : 0;
    }
    this.raiseBelow = opts.raiseBelow ?? 0.9;
  }

  /** Current error term ê (0 before any observation). */
  get errorTerm(): number {
    return this.errorModel === 'tail' ? this.tail.value : this.error.value;
  }

  /** Smoothed overhead per batch (ns). */
  get overheadNs(): number {
    return this.overhead.value;
  }

  /** Current backlog (ns) carried from earlier overruns. */
  get backlogNs(): number {
    return this.backlog;
  }

  /** Total ns (queries + overhead) of the last observed batch. */
  get lastSpentNs(): number {
    return this.lastSpent;
  }

  /** Available ns for the queries of the next batch: max(0, budget − overhead − backlog). */
  availableNs(): number {
    const b = this.budget.ns;
    if (!Number.isFinite(b)) return b;
    return Math.max(0, b - this.overhead.value - this.backlog);
  }

  /** First plan of a batch from each query's predicted cost at rate 1. */
  plan(predictions: ArrayLike<number>): ShedPlan {
    this.checkLength(predictions, 'predictions');
    const n = this.queries;
    const e = this.errorTerm;
    let total = 0;
    for (let q = 0; q < n; q++) total += checkNs(predictions[q]!, q);
    const ones = new Float64Array(n).fill(1);
    const preds = Float64Array.from(predictions);
    if (!this.budget.ready) {
      return this.result(ones, new Uint8Array(n), Number.POSITIVE_INFINITY, total, total, 1, 0, true, ones, preds, preds, ones);
    }
    const avail = this.availableNs();
    const inflated = total * (1 + e);
    const globalRate = inflated > 0 ? Math.min(1, Math.max(0, avail / inflated)) : 1;
    if (inflated <= avail) {
      return this.result(ones, new Uint8Array(n), avail, total, total, globalRate, 0, false, ones, preds, preds, ones);
    }
    const costs = new Float64Array(n);
    for (let q = 0; q < n; q++) costs[q] = predictions[q]! * (1 + e);
    const a = allocateRates(costs, this.minRates, avail);
    let planned = 0;
    for (let q = 0; q < n; q++) planned += a.rates[q]! * predictions[q]!;
    // The cost at the planned rates is unknown until re-predicted: mark it NaN.
    return this.result(a.rates, a.frozen, avail, total, planned, globalRate, 0, false, ones, preds, new Float64Array(n).fill(NaN), a.rates.slice());
  }

  /**
   * Next plan from the predictions on the sampled batches (`rePredictions[q]` = predicted ns of query q on its
   * batch sampled at `prev.rates[q]`; ignored for frozen queries).
   */
  refine(rePredictions: ArrayLike<number>, prev: ShedPlan): ShedPlan {
    this.checkLength(rePredictions, 'rePredictions');
    const n = this.queries;
    const e = prev.errorTerm;
    const avail = prev.availableNs;
    let sum = 0;
    for (let q = 0; q < n; q++) if (prev.rates[q]! > 0) sum += checkNs(rePredictions[q]!, q);
    const iteration = prev.iteration + 1;
    const cur = new Float64Array(n);
    for (let q = 0; q < n; q++) cur[q] = prev.rates[q]! > 0 ? rePredictions[q]! : 0;
    let raisable = false;
    for (let q = 0; q < n; q++) if (!this.monotone[q] && !prev.frozen[q] && prev.rates[q]! > 0 && prev.rates[q]! < 1) raisable = true;
    const fits = sum * (1 + e) <= avail;
    const raise = raisable && sum * (1 + e) < this.raiseBelow * avail;
    if (prev.warmingUp || (fits && !raise) || prev.iteration >= this.maxRefinements) {
      const out = this.result(prev.rates.slice(), prev.frozen.slice(), avail, sum, sum, prev.globalRate, iteration, prev.warmingUp, prev.prevRates, prev.prevCostsNs, cur, prev.firstRates);
      out.done = true;
      return out;
    }
    // Affine model per query through (prevRate, prevCost) and (rate, rePrediction).
    const slope = new Float64Array(n);
    const fixed = new Float64Array(n);
    let fixedTotal = 0;
    for (let q = 0; q < n; q++) {
      const r2 = prev.rates[q]!;
      if (!(r2 > 0)) continue;
      const c2 = cur[q]!;
      const r1 = prev.prevRates[q]!;
      const c1 = prev.prevCostsNs[q]!;
      let b = r1 !== r2 && Number.isFinite(c1) ? (c1 - c2) / (r1 - r2) : NaN;
      let a = c2 - b * r2;
      // Raising: scale the sampled batch's prediction proportionally (the seed's available / predicted rule),
      // not along a secant through the distrusted full-batch point. With a positive fixed cost the true cost
      // at the raised rate is then below the estimate: the raise is conservative.
      if (raise && !this.monotone[q]) b = NaN;
      if (!(b > 0) || !(a >= 0) || a > c2) {
        b = c2 / r2;
        a = 0;
      }
      slope[q] = b * (1 + e);
      fixed[q] = a;
      fixedTotal += a * (1 + e);
    }
    const alloc = allocateRates(slope, this.minRates, avail - fixedTotal);
    const rates = new Float64Array(n);
    const frozen = new Uint8Array(n);
    // Proportional step (the seed's available / predicted rule) for queries the refinement alone would disable.
    const step = sum > 0 ? Math.min(1, avail / (sum * (1 + e))) : 1;
    let planned = 0;
    for (let q = 0; q < n; q++) {
      frozen[q] = prev.frozen[q]! | alloc.frozen[q]!;
      // A monotone query's rate only falls; a raise (packet sampling, plan well under budget) stays <= 1.
      rates[q] = frozen[q] ? 0 : this.monotone[q] || !raise ? Math.min(prev.rates[q]!, alloc.rates[q]!) : Math.min(1, alloc.rates[q]!);
      if (rates[q] === 0 && prev.firstRates[q]! > 0 && prev.rates[q]! > 0) {
        // Never disabled by a refinement (see the class comment): scaled instead.
        rates[q] = Math.max(MIN_REFINED_RATE, prev.rates[q]! * step);
        frozen[q] = 0;
      }
      if (rates[q]! > 0) planned += fixed[q]! + (rates[q]! * slope[q]!) / (1 + e);
    }
    return this.result(rates, frozen, avail, sum, planned, prev.globalRate, iteration, false, prev.rates, cur, new Float64Array(n).fill(NaN), prev.firstRates);
  }

  /**
   * Per query, the predicted cost of what the plan will run: the re-prediction at the plan's rates when known
   * (`costsNs`), otherwise the last known prediction scaled linearly to the plan's rate (0 for frozen queries).
   * Pass this (or fresher predictions on the sampled batches) as `predictedNs` to {@link observe}.
   */
  expectedCosts(plan: ShedPlan): Float64Array {
    const n = plan.rates.length;
    const out = new Float64Array(n);
    for (let q = 0; q < n; q++) {
      const r = plan.rates[q]!;
      if (!(r > 0)) continue;
      const known = plan.costsNs[q]!;
      const pr = plan.prevRates[q]!;
      out[q] = Number.isFinite(known) ? known : pr > 0 ? (plan.prevCostsNs[q]! * r) / pr : 0;
    }
    return out;
  }

  /** Feeds back what ran: updates the error term, the overhead, the backlog and an auto budget's warm-up. */
  observe(o: ShedObservation): void {
    this.checkLength(o.predictedNs, 'predictedNs');
    this.checkLength(o.measuredNs, 'measuredNs');
    if (!(o.overheadNs >= 0) || !Number.isFinite(o.overheadNs)) throw new RangeError(`overheadNs must be finite and >= 0, got ${o.overheadNs}`);
    let p = 0;
    let m = 0;
    for (let q = 0; q < this.queries; q++) {
      p += checkNs(o.predictedNs[q]!, q);
      m += checkNs(o.measuredNs[q]!, q);
    }
    if (m > 0) this.error.update(Math.min(this.maxError, Math.abs(1 - p / m)));
    this.tail.observe(p, m);
    this.overhead.update(o.overheadNs);
    const spent = m + o.overheadNs;
    this.lastSpent = spent;
    if (!this.budget.ready) {
      this.budget.addWarmupCost(spent);
      return;
    }
    this.backlog = Math.max(0, this.backlog + spent - this.budget.ns);
  }

  private result(
    rates: Float64Array,
    frozen: Uint8Array,
    avail: number,
    predicted: number,
    planned: number,
    globalRate: number,
    iteration: number,
    warmingUp: boolean,
    prevRates: Float64Array,
    prevCostsNs: Float64Array,
    costsNs: Float64Array,
    firstRates: Float64Array,
  ): ShedPlan {
    const e = warmingUp ? 0 : this.errorTerm;
    let shedding = false;
    for (let q = 0; q < rates.length; q++) if (rates[q]! < 1) shedding = true;
    const withinBudget = planned * (1 + e) <= avail;
    return {
      rates,
      frozen,
      budgetNs: this.budget.ns,
      availableNs: avail,
      errorTerm: e,
      predictedNs: predicted,
      plannedNs: planned,
      globalRate,
      withinBudget,
      shedding,
      prevRates,
      prevCostsNs,
      costsNs,
      firstRates,
      iteration,
      done: warmingUp || !shedding || iteration >= this.maxRefinements,
      warmingUp,
    };
  }

  private checkLength(a: ArrayLike<number>, what: string): void {
    if (a.length !== this.queries) throw new RangeError(`${what} has ${a.length} entries for ${this.queries} queries`);
  }
}

function checkNs(v: number, q: number): number {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`cost of query ${q} must be finite and >= 0 ns, got ${v}`);
  return v;
}
