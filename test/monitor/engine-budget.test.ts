/**
 * Engine budget and clock rules with fake parts and a fake clock (engine-harness.ts): when the budget is enforced
 * (warm-up, auto budget), the starvation guard, the wall-clock cap, backlog clearing, flush accounting and clock
 * reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketBatch } from '../../src/capture/batch.ts';
import { MonitorEngine } from '../../src/monitor/engine.ts';
import { EngineController } from '../../src/monitor/controller.ts';
import { EmulatedClock } from '../../src/monitor/clock.ts';
import { Budget } from '../../src/shed/index.ts';
import type { CostPredictor } from '../../src/predict/predictor.ts';
import { SummaryAccumulator } from '../../src/monitor/summary.ts';
import type { BatchRecord } from '../../src/monitor/records.ts';
import { BURST, FakeFeatures, FakePredictor, FakeQuery, NORMAL, fake, makeBatch, run, timer } from './engine-harness.ts';

test('a budget known from the start is enforced inside the warm-up, from batch shedFrom on (default 1)', async () => {
  // Warm-up of 30 batches; the burst starts at batch 12, inside it.
  const sizes = [...NORMAL.slice(0, 12), ...BURST, ...NORMAL];
  const r = await run({ shed: true, budget: { kind: 'absolute', ns: 500_000 }, sizes, warmup: 30 });
  const burst = r.records.slice(12, 12 + BURST.length);
  assert.ok(burst.every((x) => x.warmup), 'the burst falls in the warm-up');
  assert.ok(burst.every((x) => x.rate[0]! < 1), 'the burst is shed although the warm-up is not over');
  for (const x of burst) assert.ok(x.queriesNs + x.overheadNs <= 1.05 * 500_000, `batch ${x.index}: ${x.queriesNs + x.overheadNs} ns over budget`);
  assert.equal(r.engine.state.drops, 0);
  // Unshed: the same burst fills the 200 ms buffer (4x the budget for 15 batches) and drops.
  const unshed = await run({ shed: false, budget: { kind: 'absolute', ns: 500_000 }, sizes, warmup: 30 });
  assert.ok(unshed.engine.state.drops > 0, 'without shedding the burst drops');
  // A burst from batch 1 on is shed at once (batch 0 has no prediction); with shedFromBatch 10 nothing is shed
  // before batch 10, even over budget, and the burst overruns the buffer.
  const sizes2 = [NORMAL[0]!, ...BURST];
  const early = await run({ shed: true, budget: { kind: 'absolute', ns: 500_000 }, sizes: sizes2, warmup: 30 });
  assert.equal(early.records[0]!.rate[0], 1);
  assert.ok(early.records.slice(1).every((x) => x.rate[0]! < 1), 'shed from batch 1');
  assert.equal(early.engine.state.drops, 0);
  const late = await run({ shed: true, budget: { kind: 'absolute', ns: 500_000 }, sizes: sizes2, warmup: 30, shedFromBatch: 10 });
  assert.ok(late.records.slice(0, 10).every((x) => x.rate[0] === 1));
  assert.ok(late.records.slice(10).every((x) => x.rate[0]! < 1));
  assert.ok(late.engine.state.drops > 0, 'unshed early batches overrun the buffer');
});

test('auto budget = factor x median warm-up cost; share budget = share of the batch period', async () => {
  const r = await run({ shed: true, budget: { kind: 'auto', factor: 1.2, batches: 9 }, sizes: [...NORMAL, ...BURST], warmup: 5 });
  const warmTotals = r.records.slice(0, 9).map((x) => x.queriesNs + x.overheadNs).sort((a, b) => a - b);
  assert.equal(r.engine.budgetNs, 1.2 * warmTotals[4]!);
  assert.ok(r.records.slice(0, 9).every((x) => x.warmup && x.rate[0] === 1), 'nothing shed while the budget is measured');
  assert.ok(r.records.slice(20).some((x) => x.rate[0]! < 1), 'the burst is shed against the auto budget');
  const s = await run({ shed: true, budget: { kind: 'share', share: 0.001 }, sizes: NORMAL });
  assert.equal(s.engine.budgetNs, 100_000);
});

test('starvation guard: a query the shedder keeps disabling is probed once every 10 batches', async () => {
  fake.now = 0n;
  const q = new FakeQuery('q', 'packet', 300);
  /** Learns nothing and always predicts a fixed 2 ms: with a minimum rate of 0.5 it never fits 0.5 ms. */
  const stuck: CostPredictor = { kind: 'stuck', selected: [], observations: 0, predict: () => 2_000_000, observe() {} };
  const budget = Budget.absolute(500_000);
  const engine = new MonitorEngine({
    queries: [{ query: q, predictor: stuck, method: 'packet' }],
    features: new FakeFeatures(),
    budget,
    controller: new EngineController({ queries: 1, budget, minRates: [0.5] }),
    cpu: new EmulatedClock(budget, 2e8),
    warmupBatches: 5,
    timer,
    gc: { begin() {}, end: (w = { major: false, pauseNs: 0 }) => w, close() {} },
  });
  const b = new PacketBatch(16);
  let t = 1_700_000_000_000_000_000n;
  const rates: number[] = [];
  for (let k = 0; k < 45; k++) {
    const rec = await engine.process(makeBatch(b, t, 1000, 100));
    if (!rec.warmup) rates.push(rec.rate[0]!);
    t += 100_000_000n;
  }
  await engine.finish(t);
  const ran = rates.filter((r) => r > 0).length;
  assert.equal(engine.probes, 4); // 40 post-warm-up batches: probes at the 10th, 20th, 30th, 40th disabled one
  assert.equal(ran, 4);
  for (let k = 0; k + 10 < rates.length; k++) assert.ok(rates.slice(k, k + 11).some((r) => r > 0), 'never disabled 11 batches in a row');
});

test('crossTimer: the cost of a query and of each overhead phase is the smaller of the two clocks (CPU of other threads, or preemption, left out)', async () => {
  const q = new FakeQuery('q0', 'packet', 100);
  const p = new FakePredictor();
  // The wall clock sees only half of what the primary clock sees during process(): cost = min = half.
  const engine = new MonitorEngine({
    queries: [{ query: q, predictor: p, method: 'packet' }],
    features: new FakeFeatures(),
    cpu: new EmulatedClock(undefined, 2e8),
    warmupBatches: 0,
    keepBatches: true,
    timer,
    crossTimer: () => fake.now / 2n,
    gc: { begin: () => {}, end: (w = { major: false, pauseNs: 0 }) => w, close: () => {} },
  });
  const b = new PacketBatch(16);
  const rec = await engine.process(makeBatch(b, 1_700_000_000_000_000_000n, 1000, 10));
  await engine.finish();
  assert.equal(rec.measured[0], 50_000); // 1000 x 100 ns on the primary clock, 50 us on the other
  // The overhead phases are capped the same way: features cost 10 ns per packet on the primary clock.
  assert.equal(rec.split!.featuresNs, 5_000);
  assert.equal(rec.overheadNs, 5_000);
});

test('clearBacklogAfterWarmup: the backlog left by the unshed warm-up does not reach the measured batches', async () => {
  for (const clear of [false, true]) {
    const budget = Budget.absolute(100_000);
    const clock = new EmulatedClock(budget, 2e8);
    const q = new FakeQuery('q0', 'packet', 100);
    const engine = new MonitorEngine({
      queries: [{ query: q, predictor: new FakePredictor(), method: 'packet' }],
      features: new FakeFeatures(),
      budget,
      cpu: clock,
      warmupBatches: 3,
      keepBatches: true,
      timer,
      clearBacklogAfterWarmup: clear,
      gc: { begin: () => {}, end: (w = { major: false, pauseNs: 0 }) => w, close: () => {} },
    });
    const b = new PacketBatch(16);
    let t = 1_700_000_000_000_000_000n;
    const recs: BatchRecord[] = [];
    // 3 warm-up batches at 3x the budget, then light ones.
    for (const n of [3000, 3000, 3000, 10, 10]) {
      recs.push(await engine.process(makeBatch(b, t, n, 10)));
      t += 100_000_000n;
    }
    await engine.finish(t);
    assert.ok(recs[2]!.backlogNs > 0, 'the warm-up built a backlog');
    if (clear) assert.equal(recs[3]!.backlogNs, 0);
    else assert.ok(recs[3]!.backlogNs > 0);
  }
});

test('a CPU model that reports more lost packets than the batch holds is refused with what it returned', async () => {
  fake.now = 0n;
  const q = new FakeQuery('q0', 'packet', 100);
  const engine = new MonitorEngine({
    queries: [{ query: q, predictor: new FakePredictor(), method: 'packet' }],
    features: new FakeFeatures(),
    cpu: { admit: () => 11, charge: () => {}, backlogNs: 0, drops: 0 },
    timer,
    gc: { begin: () => {}, end: (w = { major: false, pauseNs: 0 }) => w, close: () => {} },
  });
  await assert.rejects(engine.process(makeBatch(new PacketBatch(), 0n, 10, 2)), /admit\(\) returned 11 lost packets for a batch of 10/);
  assert.equal(q.processed, 0, 'the batch is refused before any query runs');
});

test('interval flushes are query work: counted in processing time and each query\'s cost, in no batch', async () => {
  fake.flushCostNs = 70_000n;
  try {
    const r = await run({ shed: false, budget: { kind: 'none' }, sizes: NORMAL });
    const flushes = r.queries[0]!.flushes.length;
    assert.equal(flushes, 2); // 20 batches of 100 ms
    const st = r.engine.state;
    assert.equal(st.flushNs, 2 * flushes * 70_000); // two queries
    let batchNs = 0;
    for (const x of r.records) {
      batchNs += x.queriesNs + x.overheadNs;
      // Fake costs: 1000 packets x 100 (q0) and 200 (q1) ns per packet, never a flush.
      assert.deepEqual([...x.measured], [100_000, 200_000]);
    }
    assert.equal(st.processingNs, batchNs + st.flushNs);
    assert.equal(st.costNs[0], 20 * 100_000 + flushes * 70_000);
    const sum = new SummaryAccumulator(['q0', 'q1']).finish({ ...st, budgetNs: Infinity, wallSeconds: 1 });
    assert.equal(sum.timeSplit.flushS, st.flushNs / 1e9);
    assert.equal(sum.timeSplit.queriesS, (st.processingNs - st.overheadNs) / 1e9);
  } finally {
    fake.flushCostNs = 0n;
  }
});

test('without a controller a batch reads the cost clock 4 + 2 per query times, and the split still adds up', async () => {
  fake.reads = 0;
  const r = await run({ shed: false, budget: { kind: 'none' }, sizes: [1000, 1000, 1000] });
  // Per batch: start, features end, predictions end, 2 per query, end; + 2 per query per interval flush.
  assert.equal(fake.reads, 3 * (4 + 2 * 2) + 2 * 2);
  for (const x of r.records) {
    const sp = x.split!;
    assert.equal(sp.featuresNs + sp.predictNs + sp.shedNs + sp.postNs, x.overheadNs, `batch ${x.index}`);
    assert.equal(sp.featuresNs, 10 * 1000);
  }
});
