/**
 * Engine wiring with fake parts and a fake clock (engine-harness.ts): shedding within budget, drops, GC and
 * page-fault flags, the overhead split, intervals, and the real parts under the fake clock. Every assertion is
 * deterministic and no wall time is asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketBatch } from '../../src/capture/batch.ts';
import { MonitorEngine } from '../../src/monitor/engine.ts';
import { EngineController } from '../../src/monitor/controller.ts';
import { EmulatedClock } from '../../src/monitor/clock.ts';
import { Budget } from '../../src/shed/index.ts';
import { SummaryAccumulator } from '../../src/monitor/summary.ts';
import type { Query } from '../../src/queries/query.ts';
import type { EngineQuery } from '../../src/monitor/components.ts';
import { BURST, NORMAL, fake, makeBatch, run, timer } from './engine-harness.ts';


test('shedding keeps every post-warm-up batch within budget, with no uncontrolled drops', async () => {
  // Normal cost: 1000 pkts x (100 + 200) ns = 300 us + features; budget 500 us; the burst needs 4x that.
  const r = await run({ shed: true, budget: { kind: 'absolute', ns: 500_000 }, sizes: [...NORMAL, ...BURST, ...NORMAL] });
  const post = r.records.filter((x) => !x.warmup);
  assert.ok(post.some((x) => x.rate[0]! < 1), 'the burst was shed');
  for (const x of post) assert.ok(x.queriesNs + x.overheadNs <= 1.05 * 500_000, `batch ${x.index}: ${x.queriesNs + x.overheadNs} ns over budget`);
  assert.equal(r.engine.state.drops, 0);
  assert.ok(r.records.filter((x) => x.index < 20).every((x) => x.rate[0] === 1), 'no shedding before the burst');
  const s = new SummaryAccumulator(['q0', 'q1']);
  for (const x of r.records) s.add(x);
  const sum = s.finish({ ...r.engine.state, budgetNs: r.engine.budgetNs, wallSeconds: 1 });
  assert.equal(sum.withinBudgetShare, 1);
  assert.ok(sum.queries.q0!.rate.min < 0.6);
  const total = r.queries[0]!.flushes.length;
  assert.equal(total, 6); // 55 batches of 100 ms = 5.5 intervals
  // HT-corrected packet counts stay close to the truth under packet sampling.
  const truth = [...NORMAL, ...BURST, ...NORMAL].reduce((a, b) => a + b, 0);
  const estimate = r.engine.state.results[0]!.reduce((a, x) => a + (x.result.value as number), 0);
  assert.ok(Math.abs(estimate - truth) / truth < 0.02, `estimate ${estimate} vs ${truth} packets`);
});

test('without shedding an overload fills the buffer and the tail of batches is dropped and counted', async () => {
  const r = await run({ shed: false, budget: { kind: 'absolute', ns: 500_000 }, sizes: [...NORMAL, ...BURST, ...NORMAL] });
  const drops = r.records.reduce((a, x) => a + x.drops, 0);
  assert.ok(drops > 0, 'drops happen');
  assert.equal(drops, r.engine.state.drops);
  for (const x of r.records) {
    assert.equal(x.rate[0], 1, 'never sampled');
    assert.equal(x.processed[0]! + x.drops, x.packets, 'every packet is processed or counted as dropped');
  }
  assert.ok(r.records.slice(0, 20).every((x) => x.drops === 0), 'no drops before the burst');
  // 4000-packet batches cost ~4x the budget: only a part of each burst batch gets through once the buffer is full.
  const last = r.records[34]!;
  assert.ok(last.drops > 2000, `late burst batch dropped ${last.drops}`);
});

test('infinite CPU (no budget) never drops', async () => {
  const r = await run({ shed: false, budget: { kind: 'none' }, sizes: [...NORMAL, ...BURST] });
  assert.equal(r.engine.state.drops, 0);
  assert.equal(r.engine.state.packets, 20 * 1000 + 15 * 4000);
});

test('batches flagged for a major GC stay out of the history', async () => {
  const gcAt = new Set([3, 7, 8]);
  const r = await run({ shed: false, budget: { kind: 'none' }, sizes: NORMAL, gcAt });
  for (const p of r.predictors) assert.equal(p.observations, NORMAL.length - gcAt.size);
  assert.deepEqual(r.records.filter((x) => x.gc).map((x) => x.index), [3, 7, 8]);
  assert.equal(r.engine.state.gcBatches, 3);
  const s = new SummaryAccumulator(['q0', 'q1']);
  for (const x of r.records) s.add(x);
  const sum = s.finish({ ...r.engine.state, budgetNs: r.engine.budgetNs, wallSeconds: 1 });
  // 20 batches - 5 warm-up - 2 GC batches after warm-up = 13 scored.
  assert.equal(sum.queries.q0!.predError.batches, 13);
  assert.equal(sum.queries.q0!.predError.mean, 0); // the fake predictor is exact
});

test('memory-growth guard: a query call with >= 256 page faults stays out of that query\'s history, still scored', async () => {
  // Batch 8: q0 takes 5,000 faults (a table doubling) and a 50 ms spike; q1 takes 100 (under the threshold).
  const faults = new Map([['8:q0', 5000], ['8:q1', 100], ['12:q1', 300]]);
  const r = await run({ shed: false, budget: { kind: 'none' }, sizes: NORMAL, faults });
  assert.equal(r.predictors[0]!.observations, NORMAL.length - 1);
  assert.equal(r.predictors[1]!.observations, NORMAL.length - 1);
  assert.ok(!r.predictors[0]!.observed.some((c) => c > 40e6), 'the spike never reaches q0\'s history');
  assert.ok(r.predictors[1]!.observed.some((c) => c > 40e6), 'q1 saw the spike batch 8 (100 faults < 256) but not batch 12');
  assert.deepEqual(r.records.filter((x) => x.alloc).map((x) => x.index), [8, 12]);
  assert.equal(r.records[8]!.pageFaults![0], 5000);
  assert.equal(r.engine.state.allocBatches, 2);
  const s = new SummaryAccumulator(['q0', 'q1']);
  for (const x of r.records) s.add(x);
  const sum = s.finish({ ...r.engine.state, budgetNs: r.engine.budgetNs, wallSeconds: 1 });
  assert.equal(sum.allocBatches, 2);
  // Still scored: 20 - 5 warm-up = 15 batches, and q0's error on batch 8 is large (the spike was not predicted).
  assert.equal(sum.queries.q0!.predError.batches, 15);
  assert.ok(sum.queries.q0!.predError.mean > 0.5 / 15);
  // Without the guard the spike enters the history.
  const plain = await run({ shed: false, budget: { kind: 'none' }, sizes: NORMAL });
  assert.equal(plain.predictors[0]!.observations, NORMAL.length);
});

test('overhead split: features, prediction, shedding and post phases add up to the overhead', async () => {
  const r = await run({ shed: true, budget: { kind: 'absolute', ns: 300_000 }, sizes: [...NORMAL, ...BURST] });
  let feat = 0;
  for (const x of r.records) {
    const sp = x.split!;
    assert.equal(sp.featuresNs + sp.predictNs + sp.shedNs + sp.postNs, x.overheadNs, `batch ${x.index}`);
    feat += sp.featuresNs;
  }
  // Fake features cost 10 ns per packet measured: the first measure of every batch is in featuresNs.
  const packets = [...NORMAL, ...BURST].reduce((a, b) => a + b, 0);
  assert.equal(feat, 10 * packets);
  assert.equal(r.engine.state.split.featuresNs, feat);
  assert.ok(r.engine.state.split.shedNs > 0, 'the burst was shed: re-extraction time is in shedNs');
});

test('intervals flush every second with the right bounds; flow rates recover within an interval', async () => {
  const sizes = [...NORMAL, 4000, 1000, 1000, 1000, 1000, ...NORMAL];
  const r = await run({ shed: true, budget: { kind: 'absolute', ns: 500_000 }, sizes, methods: ['flow', 'packet'] });
  const fq = r.queries[0]!;
  assert.equal(fq.flushes.length, Math.ceil(sizes.length / 10));
  for (let k = 1; k < fq.flushes.length - 1; k++) {
    assert.equal(fq.flushes[k]!.intervalStartNs, fq.flushes[k - 1]!.intervalEndNs);
    assert.equal(fq.flushes[k]!.intervalEndNs - fq.flushes[k]!.intervalStartNs, 1_000_000_000n);
  }
  // The burst is batch 20 = the first of interval 2: the flow query is sampled there, runs unsampled again once
  // the burst is over (inside the same interval), and the interval's finalRate is its lowest rate.
  const burstRate = fq.rates[20]!;
  assert.ok(burstRate < 1);
  assert.equal(fq.rates[29], 1, 'recovered within the interval');
  const run2 = fq.rates.slice(20, 30).filter((x) => x > 0);
  assert.equal(fq.flushes[2]!.finalRate, Math.min(...run2));
  assert.equal(fq.flushes[3]!.finalRate, 1);
  // Packet-sampled queries go back to 1 right after the burst.
  assert.equal(r.queries[1]!.rates[21], 1);
});

test('real query, features, predictor and samplers under a deterministic clock: flow-sampled counts are unbiased', async () => {
  const { createActiveFlows, createCounter } = await import('../../src/queries/index.ts');
  const { FeatureExtractor, FEATURE_NAMES } = await import('../../src/features/index.ts');
  const { createPredictor } = await import('../../src/predict/index.ts');
  fake.now = 0n;
  /** Real queries whose cost on the fake clock is 300 ns per processed packet. */
  const timed = <T extends { process: Query['process'] }>(q: T): T => {
    const inner = q.process.bind(q);
    q.process = (b, sel, ctx) => {
      fake.now += BigInt(300 * sel.length);
      inner(b, sel, ctx);
    };
    return q;
  };
  const queries = [timed(createActiveFlows()), timed(createCounter())];
  const eq: EngineQuery[] = queries.map((q) => ({ query: q, predictor: createPredictor('mlr', { featureNames: FEATURE_NAMES }), method: q.sampling }));
  const budget = Budget.absolute(500_000); // batches cost 2 x n x 300 ns: 300 us, then 1.2 ms
  const engine = new MonitorEngine({
    queries: eq,
    features: new FeatureExtractor({}),
    budget,
    controller: new EngineController({ queries: 2, budget }),
    cpu: new EmulatedClock(budget, 2e8),
    warmupBatches: 20,
    keepBatches: true,
    timer,
    gc: { begin() {}, end: (w = { major: false, pauseNs: 0 }) => w, close() {} },
  });
  const b = new PacketBatch(16);
  let t = 1_700_000_000_000_000_000n;
  for (let k = 0; k < 80; k++) {
    // 4000 flows per interval (batch j of an interval uses flows 400j..400j+n-1, mod 4000); 500 packets per
    // batch while learning (within budget), 2000 after (4x over it).
    const n = k < 20 ? 500 : 2000;
    makeBatch(b, t, n, n);
    const shift = (k % 10) * 400;
    for (let i = 0; i < n; i++) {
      b.src[4 * i + 3] = 0x0a000000 + ((i + shift) % 4000);
      b.srcPort[i] = 1024 + ((i + shift) % 4000);
    }
    await engine.process(b);
    t += 100_000_000n;
  }
  const st = await engine.finish(t);
  const post = st.records.filter((x) => !x.warmup);
  // A history of identical batches cannot foresee the first 4x batch; after it, every batch is shed.
  assert.ok(post.slice(2).every((x) => x.rate[0]! < 1), 'post-warm-up batches are shed');
  const errors = st.results[0]!.slice(3).map((x) => Math.abs((x.result.value as { flows: number }).flows - 4000) / 4000);
  const meanErr = errors.reduce((a, e) => a + e, 0) / errors.length;
  assert.ok(meanErr < 0.05, `active-flows mean error ${meanErr}`);
  const counts = st.results[1]!.slice(3).map((x) => (x.result.value as { packets: number }).packets);
  for (const c of counts) assert.ok(Math.abs(c - 20_000) / 20_000 < 0.1, `counter ${c}`);
  // Cost stays within the budget once learnt (the fake cost is exactly linear in packets).
  const over = post.filter((x) => x.queriesNs > 1.05 * 500_000).length;
  assert.ok(over <= 2, `${over} batches over budget`);
  assert.equal(st.drops, 0);
});
