/**
 * The engine test harness: fake queries, features and predictor on a fake clock (queries "cost" a fixed number of
 * ns per packet; the clock advances, nothing sleeps), and `run()`, which drives an engine over batch sizes.
 */
import assert from 'node:assert/strict';
import { PacketBatch, type Selection } from '../../src/capture/batch.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from '../../src/queries/query.ts';
import type { CostPredictor } from '../../src/predict/predictor.ts';
import { MonitorEngine } from '../../src/monitor/engine.ts';
import { EngineController } from '../../src/monitor/controller.ts';
import { EmulatedClock } from '../../src/monitor/clock.ts';
import type { EngineQuery, FeatureSource } from '../../src/monitor/components.ts';
import { Budget } from '../../src/shed/index.ts';
import type { BatchRecord } from '../../src/monitor/records.ts';

/** The fake clock and counters every fake reads and writes (tests reset them). */
export const fake = {
  now: 0n,
  /** Cost-clock reads so far (a CPU-clock read costs ~1-2 us: the engine keeps them few). */
  reads: 0,
  /** Fake cost of every FakeQuery.flush() call. */
  flushCostNs: 0n,
  /** Fake minor page-fault counter and the faults each (batch, query) takes (memory-growth guard tests). */
  faults: 0,
  batchNo: -1,
  /** Key `${batch}:${query}`. */
  faultPlan: undefined as Map<string, number> | undefined,
};
export const timer = (): bigint => (fake.reads++, fake.now);

/** Batch of `n` packets spread evenly over 100 ms, `flows` distinct 5-tuples. */
export function makeBatch(b: PacketBatch, startNs: bigint, n: number, flows: number): PacketBatch {
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

/** Costs `nsPerPacket` per processed packet; counts packets x 1/p (Horvitz-Thompson). */
export class FakeQuery implements Query<number> {
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
    fake.now += BigInt(Math.round(this.nsPerPacket * sel.length));
    const f = fake.faultPlan?.get(`${fake.batchNo}:${this.name}`) ?? 0;
    fake.faults += f;
    if (f > 0) fake.now += 50_000_000n; // a one-off 50 ms spike
    this.processed += sel.length;
    if (ctx.rate > 0) this.estimate += sel.length / ctx.rate;
    this.rates.push(ctx.rate);
    if (this.sampling === 'flow') assert.ok(ctx.flowHash, 'flow queries get the flow hashes');
  }
  flush(ctx: FlushContext): QueryResult<number> {
    fake.now += fake.flushCostNs;
    this.flushes.push(ctx);
    const v = this.estimate;
    this.estimate = 0;
    return { query: this.name, intervalStartNs: ctx.intervalStartNs, intervalEndNs: ctx.intervalEndNs, value: v, correction: this.correction, rates: { min: 1, max: 1, mean: 1 }, coverage: 1 };
  }
}

/** Features: [packets]. Costs 10 ns per measured packet on the fake clock (overhead). */
export class FakeFeatures implements FeatureSource {
  ended = 0;
  private batch: PacketBatch | undefined;
  beginBatch(b: PacketBatch): void {
    this.batch = b;
  }
  measure(sel?: Selection, out = new Float64Array(1)): Float64Array {
    const n = sel ? sel.length : this.batch!.count;
    fake.now += BigInt(10 * n);
    out[0] = n;
    return out;
  }
  endBatch(): void {
    this.ended++;
  }
}

/** Knows the cost per packet exactly after one observation. */
export class FakePredictor implements CostPredictor {
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

export interface Run {
  records: BatchRecord[];
  engine: MonitorEngine;
  queries: FakeQuery[];
  predictors: FakePredictor[];
  clock: EmulatedClock;
}

export type BudgetSpec = { kind: 'none' } | { kind: 'absolute'; ns: number } | { kind: 'auto'; factor: number; batches: number } | { kind: 'share'; share: number };

export function makeBudget(b: BudgetSpec): Budget | undefined {
  if (b.kind === 'absolute') return Budget.absolute(b.ns);
  if (b.kind === 'share') return Budget.share(b.share);
  if (b.kind === 'auto') return Budget.auto(b.factor, b.batches);
  return undefined;
}

export async function run(opts: {
  shed: boolean;
  budget: BudgetSpec;
  sizes: number[];
  methods?: ('packet' | 'flow')[];
  gcAt?: Set<number>;
  bufferNs?: number;
  warmup?: number;
  shedFromBatch?: number;
  faults?: Map<string, number>;
}): Promise<Run> {
  fake.now = 0n;
  fake.faults = 0;
  fake.faultPlan = opts.faults;
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
    shedFromBatch: opts.shedFromBatch,
    keepBatches: true,
    timer,
    ...(opts.faults ? { faultFlagPages: 256, pageFaults: () => fake.faults } : {}),
    gc: {
      begin: () => void (current = gcIndex++),
      end: (w = { major: false, pauseNs: 0 }) => ((w.major = opts.gcAt?.has(current) ?? false), w),
      close: () => {},
    },
  });
  const b = new PacketBatch(16);
  const records: BatchRecord[] = [];
  let t = 1_700_000_000_000_000_000n;
  fake.batchNo = -1;
  for (const n of opts.sizes) {
    fake.batchNo++;
    records.push(await engine.process(makeBatch(b, t, n, Math.max(1, n >> 2))));
    t += 100_000_000n;
  }
  await engine.finish(t);
  return { records, engine, queries, predictors, clock };
}

export const NORMAL = Array.from({ length: 20 }, () => 1000);
export const BURST = Array.from({ length: 15 }, () => 4000);
