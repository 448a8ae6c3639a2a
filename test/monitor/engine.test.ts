/**
 * Engine wiring with fake parts and a fake clock: queries "cost" a fixed number of ns per packet (the fake
 * clock advances, nothing sleeps), so every assertion is deterministic and no wall time is asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketBatch, type Selection } from '../../src/capture/batch.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from '../../src/queries/query.ts';
import type { CostPredictor } from '../../src/predict/predictor.ts';
import { MonitorEngine } from '../../src/monitor/engine.ts';
import { EngineController } from '../../src/monitor/controller.ts';
import { EmulatedClock } from '../../src/monitor/clock.ts';
import type { EngineQuery, FeatureSource } from '../../src/monitor/components.ts';
import { Budget } from '../../src/shed/index.ts';
import { SummaryAccumulator } from '../../src/monitor/summary.ts';
import type { BatchRecord } from '../../src/monitor/records.ts';

let fakeNow = 0n;
/** Cost-clock reads so far (a CPU-clock read costs ~1-2 us: the engine keeps them few). */
let timerReads = 0;
const timer = (): bigint => (timerReads++, fakeNow);
/** Fake cost of every FakeQuery.flush() call. */
let flushCostNs = 0n;

/** Batch of `n` packets spread evenly over 100 ms, `flows` distinct 5-tuples. */
function makeBatch(b: PacketBatch, startNs: bigint, n: number, flows: number): PacketBatch {
  b.reset(startNs, 1e8);
  b.ensureCapacity(n, 0);
  for (let i = 0; i < n; i++) {
    b.offsetNs[i] = (i * 1e8) / Math.max(1, n);
    b.ipVersion[i] = 4;
    b.proto[i] = 6;
    const f = i % flows;
    b.src[4 * i + 2] = 0xffff;
    b.src[4 * i + 3] = 0x0a000000 + f;
    b.dst[4 * i + 2] = 0xffff;
    b.dst[4 * i + 3] = 0xc0a80001;
    b.srcPort[i] = 1024 + (f & 0x7fff);
    b.dstPort[i] = 80;
    b.wireLen[i] = b.capLen[i] = 100;
  }
  b.count = n;
  return b;
}

/** Fake minor page-fault counter and the faults each (batch, query) takes (memory-growth guard tests). */
let fakeFaults = 0;
let batchNo = -1;
let faultPlan: Map<string, number> | undefined; // key `${batch}:${query}`

/** Costs `nsPerPacket` per processed packet; counts packets x 1/p (Horvitz-Thompson). */
class FakeQuery implements Query<number> {
  readonly correction = 'horvitz-thompson' as const;
  processed = 0;
  estimate = 0;
  flushes: FlushContext[] = [];
  rates: number[] = [];
  constructor(
    readonly name: string,
    readonly sampling: 'packet' | 'flow',
    private readonly nsPerPacket: number,
  ) {}
  process(_b: PacketBatch, sel: Selection, ctx: BatchContext): void {
    fakeNow += BigInt(Math.round(this.nsPerPacket * sel.length));
    const f = faultPlan?.get(`${batchNo}:${this.name}`) ?? 0;
    fakeFaults += f;
    if (f > 0) fakeNow += 50_000_000n; // a one-off 50 ms spike
    this.processed += sel.length;
    if (ctx.rate > 0) this.estimate += sel.length / ctx.rate;
    this.rates.push(ctx.rate);
    if (this.sampling === 'flow') assert.ok(ctx.flowHash, 'flow queries get the flow hashes');
  }
  flush(ctx: FlushContext): QueryResult<number> {
    fakeNow += flushCostNs;
    this.flushes.push(ctx);
    const v = this.estimate;
    this.estimate = 0;
    return { query: this.name, intervalStartNs: ctx.intervalStartNs, intervalEndNs: ctx.intervalEndNs, value: v, correction: this.correction, rates: { min: 1, max: 1, mean: 1 }, coverage: 1 };
  }
}

/** Features: [packets]. Costs 10 ns per measured packet on the fake clock (overhead). */
class FakeFeatures implements FeatureSource {
  ended = 0;
  private batch: PacketBatch | undefined;
  beginBatch(b: PacketBatch): void {
    this.batch = b;
  }
  measure(sel?: Selection, out = new Float64Array(1)): Float64Array {
    const n = sel ? sel.length : this.batch!.count;
    fakeNow += BigInt(10 * n);
    out[0] = n;
    return out;
  }
  endBatch(): void {
    this.ended++;
  }
}

/** Knows the cost per packet exactly after one observation. */
class FakePredictor implements CostPredictor {
  readonly kind = 'fake';
  readonly selected = ['packets'];
  observations = 0;
  observed: number[] = [];
  private perPacket = 0;
  predict(f: Float64Array): number {
    return this.perPacket * f[0]!;
  }
  observe(f: Float64Array, cost: number): void {
    this.observations++;
    this.observed.push(cost);
    if (f[0]! > 0) this.perPacket = cost / f[0]!;
  }
}

interface Run {
  records: BatchRecord[];
  engine: MonitorEngine;
  queries: FakeQuery[];
  predictors: FakePredictor[];
  clock: EmulatedClock;
}

type BudgetSpec = { kind: 'none' } | { kind: 'absolute'; ns: number } | { kind: 'auto'; factor: number; batches: number } | { kind: 'share'; share: number };

function makeBudget(b: BudgetSpec): Budget | undefined {
  if (b.kind === 'absolute') return Budget.absolute(b.ns);
  if (b.kind === 'share') return Budget.share(b.share);
  if (b.kind === 'auto') return Budget.auto(b.factor, b.batches);
  return undefined;
}

async function run(opts: {
  shed: boolean;
  budget: BudgetSpec;
  sizes: number[];
  methods?: ('packet' | 'flow')[];
  gcAt?: Set<number>;
  bufferNs?: number;
  warmup?: number;
  faults?: Map<string, number>;
}): Promise<Run> {
  fakeNow = 0n;
  fakeFaults = 0;
  faultPlan = opts.faults;
  const methods = opts.methods ?? ['packet', 'packet'];
  const queries = methods.map((m, i) => new FakeQuery(`q${i}`, m, 100 * (i + 1)));
  const predictors = queries.map(() => new FakePredictor());
  const eq: EngineQuery[] = queries.map((q, i) => ({ query: q, predictor: predictors[i]!, method: q.sampling }));
  const budget = makeBudget(opts.budget);
  const clock = new EmulatedClock(budget, opts.bufferNs ?? 2e8);
  let gcIndex = 0;
  let current = -1;
  const engine = new MonitorEngine({
    queries: eq,
    features: new FakeFeatures(),
    budget,
    controller: opts.shed && budget ? new EngineController({ queries: eq.length, budget }) : undefined,
    cpu: clock,
    warmupBatches: opts.warmup ?? 5,
    keepBatches: true,
    timer,
    ...(opts.faults ? { faultFlagPages: 256, pageFaults: () => fakeFaults } : {}),
    gc: {
      begin: () => void (current = gcIndex++),
      end: (w = { major: false, pauseNs: 0 }) => ((w.major = opts.gcAt?.has(current) ?? false), w),
      close: () => {},
    },
  });
  const b = new PacketBatch(16);
  const records: BatchRecord[] = [];
  let t = 1_700_000_000_000_000_000n;
  batchNo = -1;
  for (const n of opts.sizes) {
    batchNo++;
    records.push(await engine.process(makeBatch(b, t, n, Math.max(1, n >> 2))));
    t += 100_000_000n;
  }
  await engine.finish(t);
  return { records, engine, queries, predictors, clock };
}

const NORMAL = Array.from({ length: 20 }, () => 1000);
const BURST = Array.from({ length: 15 }, () => 4000);

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
  // HT-corrected packet counts stay close to the truth under packet sampling.
  const total = r.queries[0]!.flushes.length;
  assert.equal(total, 6); // 55 batches of 100 ms = 5.5 intervals
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

test('a budget known from the start is enforced inside the warm-up, from batch shedFrom (10) on', async () => {
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
  // Before batch 10 nothing is shed, even over budget: the predictors have seen too little.
  const early = await run({ shed: true, budget: { kind: 'absolute', ns: 500_000 }, sizes: [...NORMAL.slice(0, 3), ...BURST], warmup: 30 });
  assert.ok(early.records.slice(0, 10).every((x) => x.rate[0] === 1));
  assert.ok(early.records.slice(10).every((x) => x.rate[0]! < 1));
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

test('real query, features, predictor and samplers under a deterministic clock: flow-sampled counts are unbiased', async () => {
  const { createActiveFlows, createCounter } = await import('../../src/queries/index.ts');
  const { FeatureExtractor, FEATURE_NAMES } = await import('../../src/features/index.ts');
  const { createPredictor } = await import('../../src/predict/index.ts');
  fakeNow = 0n;
  /** Real queries whose cost on the fake clock is 300 ns per processed packet. */
  const timed = <T extends { process: Query['process'] }>(q: T): T => {
    const inner = q.process.bind(q);
    q.process = (b, sel, ctx) => {
      fakeNow += BigInt(300 * sel.length);
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

test('starvation guard: a query the shedder keeps disabling is probed once every 10 batches', async () => {
  fakeNow = 0n;
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
    crossTimer: () => fakeNow / 2n,
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
  fakeNow = 0n;
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
  flushCostNs = 70_000n;
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
    flushCostNs = 0n;
  }
});

test('without a controller a batch reads the cost clock 4 + 2 per query times, and the split still adds up', async () => {
  timerReads = 0;
  const r = await run({ shed: false, budget: { kind: 'none' }, sizes: [1000, 1000, 1000] });
  // Per batch: start, features end, predictions end, 2 per query, end; + 2 per query per interval flush.
  assert.equal(timerReads, 3 * (4 + 2 * 2) + 2 * 2);
  for (const x of r.records) {
    const sp = x.split!;
    assert.equal(sp.featuresNs + sp.predictNs + sp.shedNs + sp.postNs, x.overheadNs, `batch ${x.index}`);
    assert.equal(sp.featuresNs, 10 * 1000);
  }
});
