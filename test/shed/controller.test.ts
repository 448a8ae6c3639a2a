import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MlrPredictor } from '../../src/predict/index.ts';
import { Rng } from '../../src/random.ts';
import { Budget, ShedController, type ShedPlan } from '../../src/shed/index.ts';

const MS = 1e6;

test('under budget: no shedding; over budget: rates scale to the available time', () => {
  const c = new ShedController({ queries: 2, budget: Budget.absolute(10 * MS) });
  const p = c.plan([3 * MS, 4 * MS]);
  assert.deepEqual(Array.from(p.rates), [1, 1]);
  assert.equal(p.shedding, false);
  assert.equal(p.done, true);
  assert.equal(p.globalRate, 1);
  const q = c.plan([12 * MS, 8 * MS]);
  assert.ok(Math.abs(q.rates[0]! - 0.5) < 1e-12 && Math.abs(q.rates[1]! - 0.5) < 1e-12);
  assert.equal(q.globalRate, 0.5);
  assert.ok(q.plannedNs <= q.availableNs);
  assert.equal(q.shedding, true);
  assert.deepEqual(Array.from(c.expectedCosts(q)), [6 * MS, 4 * MS]); // linear until re-predicted
  assert.deepEqual(Array.from(c.expectedCosts(p)), [3 * MS, 4 * MS]);
  const r = c.refine([5 * MS, 3 * MS], q); // fits: the plan stands with the re-predictions
  assert.equal(r.done, true);
  assert.deepEqual(Array.from(c.expectedCosts(r)), [5 * MS, 3 * MS]);
  assert.equal(q.done, false); // the monitor should re-extract features and refine
});

test('the prediction-error term is applied (CoMo cancelled it): planned cost = available / (1 + e)', () => {
  const c = new ShedController({ queries: 1, budget: Budget.absolute(10 * MS), errorModel: 'mean' });
  // Predictions were half of the measured cost: |1 - P/M| = 0.5 each batch.
  for (let t = 0; t < 5; t++) c.observe({ predictedNs: [2 * MS], measuredNs: [4 * MS], overheadNs: 0 });
  assert.ok(Math.abs(c.errorTerm - 0.5) < 1e-12);
  const p = c.plan([20 * MS]);
  assert.ok(Math.abs(p.globalRate - 10 / (20 * 1.5)) < 1e-12, String(p.globalRate));
  assert.ok(Math.abs(p.rates[0]! - 1 / 3) < 1e-12, String(p.rates[0]));
  // With the error term cancelled the rate would be 0.5 and the planned cost the whole 10 ms.
  assert.ok(p.plannedNs < 0.7 * p.availableNs, `${p.plannedNs} vs ${p.availableNs}`);
  assert.ok(Math.abs(p.plannedNs * (1 + p.errorTerm) - p.availableNs) < 1e-3);
  // A prediction that only fits thanks to e = 0 is shed once e > 0.
  assert.ok(c.plan([9 * MS]).shedding);
});

test('error EWMA (errorModel mean): weight 0.9 on the old value, first sample initialises', () => {
  const c = new ShedController({ queries: 2, budget: Budget.absolute(10 * MS), errorModel: 'mean' });
  c.observe({ predictedNs: [1 * MS, 1 * MS], measuredNs: [1 * MS, 3 * MS], overheadNs: 0 }); // |1 - 2/4| = 0.5
  assert.equal(c.errorTerm, 0.5);
  c.observe({ predictedNs: [1 * MS, 1 * MS], measuredNs: [1 * MS, 1 * MS], overheadNs: 0 }); // 0
  assert.ok(Math.abs(c.errorTerm - 0.45) < 1e-12);
  c.observe({ predictedNs: [0, 0], measuredNs: [0, 0], overheadNs: 0 }); // nothing ran: no sample
  assert.ok(Math.abs(c.errorTerm - 0.45) < 1e-12);
  c.observe({ predictedNs: [1e9, 0], measuredNs: [1, 0], overheadNs: 0 }); // capped at 10
  assert.ok(Math.abs(c.errorTerm - (0.9 * 0.45 + 0.1 * 10)) < 1e-9);
});

test('overhead (EWMA 0.9) and backlog from overruns reduce the available time', () => {
  const c = new ShedController({ queries: 1, budget: Budget.absolute(10 * MS) });
  assert.equal(c.availableNs(), 10 * MS);
  c.observe({ predictedNs: [9 * MS], measuredNs: [9 * MS], overheadNs: 1 * MS }); // spent 10: no backlog
  assert.equal(c.backlogNs, 0);
  assert.equal(c.availableNs(), 9 * MS);
  c.observe({ predictedNs: [12 * MS], measuredNs: [12 * MS], overheadNs: 2 * MS }); // spent 14: backlog 4
  assert.ok(Math.abs(c.overheadNs - 1.1 * MS) < 1e-6);
  assert.ok(Math.abs(c.backlogNs - 4 * MS) < 1e-6);
  assert.ok(Math.abs(c.availableNs() - (10 - 1.1 - 4) * MS) < 1e-6);
  c.observe({ predictedNs: [1 * MS], measuredNs: [1 * MS], overheadNs: 1 * MS }); // spent 2: repays 8 of backlog
  assert.equal(c.backlogNs, 0);
  c.observe({ predictedNs: [0], measuredNs: [30 * MS], overheadNs: 0 });
  assert.equal(c.plan([1 * MS]).availableNs, Math.max(0, 10 * MS - c.overheadNs - 20 * MS));
});

test('refine lowers rates until the re-predicted cost fits, within the round limit, rates never rise', () => {
  // Each query's true cost is not linear in its rate (a fixed per-flow part that packet sampling barely
  // reduces): cost(r) = 2 ms + 8 ms * r. The first plan assumes linearity and overshoots.
  const costAt = (r: number): number => (r > 0 ? 2 * MS + 8 * MS * r : 0);
  const c = new ShedController({ queries: 2, budget: Budget.absolute(10 * MS) });
  let plan: ShedPlan = c.plan([costAt(1), costAt(1)]);
  assert.equal(plan.done, false);
  const history: Float64Array[] = [plan.rates];
  while (!plan.done) {
    const next = c.refine([costAt(plan.rates[0]!), costAt(plan.rates[1]!)], plan);
    for (let q = 0; q < 2; q++) assert.ok(next.rates[q]! <= plan.rates[q]! + 1e-15);
    plan = next;
    history.push(plan.rates);
  }
  assert.ok(plan.iteration <= 3);
  assert.ok(costAt(plan.rates[0]!) + costAt(plan.rates[1]!) <= 10 * MS * 1.001, `${plan.rates}`);
  assert.ok(history.length >= 3, 'needed at least two refinements');
});

test('minimum rates freeze the costliest query when they cannot all fit', () => {
  const c = new ShedController({ queries: 3, budget: Budget.absolute(6 * MS), minRates: [0.5, 0.5, 0] });
  const p = c.plan([10 * MS, 4 * MS, 2 * MS]);
  assert.deepEqual(Array.from(p.frozen), [1, 0, 0]);
  assert.equal(p.rates[0], 0);
  assert.ok(p.rates[1]! >= 0.5);
  assert.ok(p.plannedNs <= 6 * MS + 1e-6);
});

test('auto budget: no shedding during warm-up, then 1.2 x the median total cost', () => {
  const c = new ShedController({ queries: 1, budget: Budget.auto(1.2, 3) });
  const p = c.plan([1e12]);
  assert.equal(p.warmingUp, true);
  assert.deepEqual(Array.from(p.rates), [1]);
  for (const ms of [9, 19, 29]) c.observe({ predictedNs: [0], measuredNs: [ms * MS], overheadNs: 1 * MS });
  assert.equal(c.budget.ready, true);
  assert.ok(Math.abs(c.budget.ns - 24 * MS) < 1e-6);
  assert.equal(c.plan([100 * MS]).shedding, true);
});

test('closed loop with MLR under an on/off load: cost stays near the budget, error term keeps overruns rare', () => {
  // One query; cost = 100 ns/packet + 2 µs per new flow, with an attack doubling new flows every other second.
  // Packet sampling at rate r scales both features by r (what the re-extraction would see).
  const names = ['packets', 'new_flows', 'noise'];
  const run = (maxError: number, errorModel: 'tail' | 'mean' = 'tail'): { over: number; meanRatio: number } => {
    const rng = new Rng(12);
    const pred = new MlrPredictor({ featureNames: names });
    const c = new ShedController({ queries: 1, budget: Budget.absolute(8 * MS), maxError, errorModel });
    let over = 0;
    let sum = 0;
    let n = 0;
    for (let t = 0; t < 600; t++) {
      const attack = Math.floor(t / 10) % 2 === 1;
      const full = Float64Array.of(40000 + 5000 * rng.normal(), (attack ? 4000 : 500) * (1 + 0.1 * rng.normal()), rng.next());
      const sampled = (r: number): Float64Array => Float64Array.of(full[0]! * r, full[1]! * r, full[2]!);
      const trueCost = (f: Float64Array): number => Math.max(0, 100 * f[0]! + 2000 * f[1]! + 3e5 * rng.normal());
      let plan = c.plan([pred.predict(full)]);
      while (!plan.done) plan = c.refine([pred.predict(sampled(plan.rates[0]!))], plan);
      const f = sampled(plan.rates[0]!);
      const predicted = pred.predict(f);
      const cost = trueCost(f);
      pred.observe(f, cost);
      c.observe({ predictedNs: [predicted], measuredNs: [cost], overheadNs: 0 });
      if (t >= 100) {
        if (cost > 8 * MS) over++;
        sum += cost / (8 * MS);
        n++;
      }
    }
    return { over: over / n, meanRatio: sum / n };
  };
  const cancelled = run(0); // maxError 0 = the error term pinned at 0, as in CoMo 2.0
  const mean = run(10, 'mean');
  assert.ok(mean.over < 0.1, `mean: over budget in ${mean.over} of batches`);
  assert.ok(mean.meanRatio > 0.7 && mean.meanRatio <= 1, `mean: mean cost/budget ${mean.meanRatio}`);
  assert.ok(cancelled.over > 2 * mean.over, `mean: without the error term ${cancelled.over} vs ${mean.over}`);
  // The tail term pays for its bound here: every attack onset is a batch the model under-predicts ~2x, one in
  // ten batches, so the 95th percentile of M/P stays high and every batch is shed harder (utilisation ~0.6).
  const tail = run(10, 'tail');
  assert.ok(tail.over <= 0.05, `tail: over budget in ${tail.over} of batches`);
  assert.ok(tail.meanRatio > 0.5 && tail.meanRatio < mean.meanRatio, `tail: mean cost/budget ${tail.meanRatio}`);
});

test('refine raises non-monotone (packet-sampled) rates when the sampled-batch prediction leaves room; monotone ones only fall', () => {
  // The full-batch prediction (100 ms) is far above what the sampled batch is predicted to cost (2 ms at 0.1).
  for (const monotone of [0, 1]) {
    const c = new ShedController({ queries: 1, budget: Budget.absolute(10 * MS), monotone: [monotone] });
    const p = c.plan([100 * MS]);
    assert.ok(Math.abs(p.rates[0]! - 0.1) < 1e-12);
    const r = c.refine([2 * MS], p);
    if (monotone) {
      assert.equal(r.rates[0], 0.1, 'a flow-sampled rate never rises');
      assert.equal(r.done, true);
    } else {
      assert.ok(r.rates[0]! > 0.1 && r.rates[0]! <= 1, `raised to ${r.rates[0]}`);
      // Proportional to the sampled prediction: 0.1 x 10 / 2 = 0.5, planned cost = the available time.
      assert.ok(Math.abs(r.rates[0]! - 0.5) < 1e-12, `raised to ${r.rates[0]}`);
      assert.ok(Math.abs(r.plannedNs - 10 * MS) < 1e-3 * MS, `planned ${r.plannedNs}`);
    }
  }
  // Within raiseBelow of the available time: the plan stands.
  const c = new ShedController({ queries: 1, budget: Budget.absolute(10 * MS), monotone: [0] });
  const p = c.plan([100 * MS]);
  const r = c.refine([9.5 * MS], p);
  assert.equal(r.rates[0], 0.1);
  assert.equal(r.done, true);
});

test('a refinement never disables a query the first plan ran: an intercept above the available time gets the proportional step', () => {
  const c = new ShedController({ queries: 2, budget: Budget.absolute(10 * MS) });
  const q = c.plan([12 * MS, 8 * MS]); // rates 0.5, 0.5
  assert.deepEqual(Array.from(q.firstRates), Array.from(q.rates));
  // Query 0 barely got cheaper at half rate: the secant through (1, 12 ms) and (0.5, 11.5 ms) has an intercept of
  // 11 ms, more than the whole 10 ms available, so the affine allocation alone would give it nothing.
  const r = c.refine([11.5 * MS, 4 * MS], q);
  const step = 10 / (11.5 + 4);
  assert.equal(r.frozen[0], 0);
  assert.ok(Math.abs(r.rates[0]! - 0.5 * step) < 1e-12, String(r.rates[0]));
  assert.ok(r.rates[1]! > 0 && r.rates[1]! <= 0.5);
  assert.deepEqual(Array.from(r.firstRates), Array.from(q.firstRates)); // carried through refinements
  // A query the first plan froze (minimum rates do not fit) stays frozen.
  const m = new ShedController({ queries: 2, budget: Budget.absolute(12 * MS), minRates: [0.5, 0.5] });
  const f = m.plan([10 * MS, 20 * MS]);
  assert.deepEqual(Array.from(f.frozen), [0, 1]);
  assert.equal(m.refine([9 * MS, 0], f).rates[1], 0);
});

test('tail error term: a systematic under-prediction of 25% gives e = 0.25, over-predictions give 0', () => {
  const under = new ShedController({ queries: 1, budget: Budget.absolute(10 * MS) });
  assert.equal(under.errorModel, 'tail');
  assert.equal(under.errorTerm, 0);
  for (let t = 0; t < 30; t++) under.observe({ predictedNs: [4 * MS], measuredNs: [5 * MS], overheadNs: 0 });
  assert.ok(Math.abs(under.errorTerm - 0.25) < 1e-12, String(under.errorTerm));
  const p = under.plan([20 * MS]);
  assert.ok(Math.abs(p.rates[0]! - 10 / (20 * 1.25)) < 1e-12, String(p.rates[0]));
  // The same |error| the other way round costs nothing under 'tail', 1/3 of inflation under 'mean'.
  for (const model of ['tail', 'mean'] as const) {
    const over = new ShedController({ queries: 1, budget: Budget.absolute(10 * MS), errorModel: model });
    for (let t = 0; t < 30; t++) over.observe({ predictedNs: [6 * MS], measuredNs: [4 * MS], overheadNs: 0 });
    if (model === 'tail') assert.equal(over.errorTerm, 0);
    else assert.ok(Math.abs(over.errorTerm - 0.5) < 1e-12, String(over.errorTerm));
  }
});

test('tail vs mean error term on a cost with a heavy right tail: the tail model keeps overruns near its share', () => {
  // Predictions are right on average (|error| ~ 0.1), but one batch in ten costs 1.5x its prediction (the
  // flood batches whose features leave the regression's range, in the shedding experiment).
  const run = (errorModel: 'tail' | 'mean'): { over: number; meanRatio: number } => {
    const rng = new Rng(5);
    const c = new ShedController({ queries: 1, budget: Budget.absolute(8 * MS), errorModel });
    let over = 0;
    let sum = 0;
    let n = 0;
    for (let t = 0; t < 2000; t++) {
      const full = 40 * MS * (1 + 0.2 * rng.next());
      const plan = c.plan([full]);
      const predicted = plan.rates[0]! * full;
      const factor = rng.next() < 0.1 ? 1.5 : 0.95 + 0.1 * rng.next();
      const cost = predicted * factor;
      c.observe({ predictedNs: [predicted], measuredNs: [cost], overheadNs: 0 });
      if (t >= 100) {
        if (cost > 1.05 * 8 * MS) over++;
        sum += cost / (8 * MS);
        n++;
      }
    }
    return { over: over / n, meanRatio: sum / n };
  };
  const tail = run('tail');
  const mean = run('mean');
  assert.ok(mean.over > 0.08, `mean model: ${mean.over} over`); // the 1.5x batches all overrun
  assert.ok(tail.over < 0.05, `tail model: ${tail.over} over`);
  assert.ok(tail.meanRatio > 0.6, `tail model: mean cost/budget ${tail.meanRatio}`);
});
