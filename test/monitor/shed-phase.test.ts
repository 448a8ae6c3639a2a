/**
 * The engine's shedding phase on its own: selections, flow hashes computed once per batch, grouping of queries
 * by method and rate, the interval's flow-rate ceiling. A scripted controller stands in for src/shed's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PacketBatch, type Selection } from '../../src/capture/batch.ts';
import { flowThreshold, type Query } from '../../src/queries/index.ts';
import type { CostPredictor } from '../../src/predict/predictor.ts';
import { FlowSampler, type ShedPlan } from '../../src/shed/index.ts';
import type { EngineController } from '../../src/monitor/controller.ts';
import type { EngineQuery, FeatureSource } from '../../src/monitor/components.ts';
import { ShedPhase } from '../../src/monitor/shed-phase.ts';
import { Rng } from '../../src/random.ts';

/** `n` IPv4 packets over `flows` 5-tuples (seeded), packets [0, lost) dropped by the buffer. */
function makeBatch(n: number, flows: number, seed: number): PacketBatch {
  const b = new PacketBatch(Math.max(1, n));
  const rng = new Rng(seed);
  const keys = Array.from({ length: flows }, () => [rng.nextU32(), rng.nextU32(), rng.nextU32() & 0xffff]);
  for (let i = 0; i < n; i++) {
    const [s, d, p] = keys[rng.nextU32() % flows]!;
    b.ipVersion[i] = 4;
    b.proto[i] = 6;
    b.src[4 * i + 2] = b.dst[4 * i + 2] = 0xffff;
    b.src[4 * i + 3] = s!;
    b.dst[4 * i + 3] = d!;
    b.srcPort[i] = p!;
    b.dstPort[i] = 443;
  }
  b.count = n;
  return b;
}

function range(from: number, to: number): Selection {
  const idx = new Uint32Array(Math.max(1, to - from));
  for (let i = from; i < to; i++) idx[i - from] = i;
  return { idx, length: to - from };
}

/** Features: [packets]; counts its calls. */
class CountingFeatures implements FeatureSource {
  calls = 0;
  beginBatch(): void {}
  endBatch(): void {}
  measure(sel?: Selection, out = new Float64Array(1)): Float64Array {
    this.calls++;
    out[0] = sel ? sel.length : NaN;
    return out;
  }
}

const perPacket: CostPredictor = { kind: 'fake', selected: ['packets'], predict: (f: Float64Array) => 100 * f[0]!, observe: () => {}, observations: 0 } as unknown as CostPredictor;

function queries(methods: ('packet' | 'flow')[]): EngineQuery[] {
  return methods.map((m, i) => ({ query: { name: `q${i}`, sampling: m } as unknown as Query, predictor: perPacket, method: m }));
}

/** A controller whose plans are scripted: the first plan, then one refinement per entry of `refine`. */
function scripted(first: number[], refine: number[][] = []): EngineController & { refinedWith: number[][] } {
  let k = 0;
  const mk = (rates: number[], done: boolean): ShedPlan => ({ rates: Float64Array.from(rates), firstRates: Float64Array.from(first), done, shedding: true }) as unknown as ShedPlan;
  const refinedWith: number[][] = [];
  return {
    refinedWith,
    plan: () => mk(first, refine.length === 0),
    refine: (re: Float64Array) => {
      refinedWith.push([...re]);
      const r = refine[k++]!;
      return mk(r, k >= refine.length);
    },
  } as unknown as EngineController & { refinedWith: number[][] };
}

function start(phase: ShedPhase, batch: PacketBatch, base: Selection, n: number): void {
  phase.begin(batch, base, Float64Array.of(base.length), new Float64Array(n).fill(100 * base.length));
}

test('flow sampling keeps exactly the admitted packets whose flow hash is <= the threshold', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 1, max: 50 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (n, flows, rate, seed) => {
      const batch = makeBatch(n, flows, seed);
      const lost = n >> 3;
      const base = range(lost, n);
      const phase = new ShedPhase(queries(['flow']), new CountingFeatures(), true, seed, 10);
      start(phase, batch, base, 1);
      assert.equal(phase.run(scripted([rate])), 1);
      const h = phase.flowHashes()!;
      const thr = flowThreshold(rate);
      const want: number[] = [];
      for (let i = lost; i < n; i++) if (h[i]! <= thr) want.push(i);
      const sel = phase.sels[0]!;
      assert.deepEqual([...sel.idx.subarray(0, sel.length)], want);
      assert.equal(phase.rates[0], rate);
      assert.equal(phase.pred[0], 100 * want.length);
    }),
    { seed: 81, numRuns: 60 },
  );
});

test('the flow hashes are the FlowSampler\'s and are computed once per batch however many passes run', () => {
  const batch = makeBatch(2000, 300, 7);
  const base = range(0, 2000);
  const phase = new ShedPhase(queries(['flow', 'packet', 'flow']), new CountingFeatures(), true, 1, 10);
  const proto = FlowSampler.prototype as unknown as { hash: (...a: unknown[]) => Uint32Array };
  const orig = proto.hash;
  let hashes = 0;
  proto.hash = function (this: FlowSampler, ...a: unknown[]) {
    hashes++;
    return orig.apply(this, a);
  };
  try {
    start(phase, batch, base, 3);
    const passes = phase.run(scripted([0.8, 0.5, 0.6], [[0.6, 0.4, 0.5], [0.5, 0.3, 0.4]]));
    assert.equal(passes, 3);
    const h = phase.flowHashes()!.slice(0, 2000);
    assert.equal(hashes, 1);
    // A new batch hashes again (once).
    start(phase, batch, base, 3);
    phase.run(scripted([0.5, 0.5, 0.5]));
    phase.flowHashes();
    assert.equal(hashes, 2);
    proto.hash = orig;
    // Same seed derivation as the engine had (seed ^ 0x0f0f0f0f): the hashes of a fresh sampler's first interval.
    const ref = new FlowSampler(1 ^ 0x0f0f0f0f);
    ref.sample(batch, base, 1);
    assert.deepEqual(h, ref.hashes.slice(0, 2000));
  } finally {
    proto.hash = orig;
  }
});

test('no flow hashes when no flow query runs, or when nothing sheds', () => {
  const batch = makeBatch(500, 50, 3);
  const base = range(0, 500);
  const phase = new ShedPhase(queries(['flow', 'packet']), new CountingFeatures(), true, 1, 10);
  start(phase, batch, base, 2);
  phase.run(scripted([0, 0.5]));
  assert.equal(phase.flowHashes(), undefined, 'the only flow query is disabled');
  start(phase, batch, base, 2);
  assert.ok(phase.flowHashes(), 'unsampled flow queries still get their hashes');
  const off = new ShedPhase(queries(['flow']), new CountingFeatures(), false, 1, 10);
  start(off, batch, base, 1);
  assert.equal(off.flowHashes(), undefined, 'without a controller flow queries get none (they are never sampled)');
});

test('queries with the same method and rate share one selection and one re-extraction', () => {
  const batch = makeBatch(3000, 400, 11);
  const base = range(100, 3000);
  const feats = new CountingFeatures();
  const phase = new ShedPhase(queries(['packet', 'packet', 'flow', 'flow', 'packet']), feats, true, 5, 10);
  start(phase, batch, base, 5);
  phase.run(scripted([0.5, 0.5, 0.5, 0.5, 1]));
  assert.equal(feats.calls, 2, 'one packet group and one flow group at rate 0.5; rate 1 reuses the full features');
  assert.equal(phase.sels[0], phase.sels[1]);
  assert.equal(phase.sels[2], phase.sels[3]);
  assert.notEqual(phase.sels[0], phase.sels[2]);
  assert.equal(phase.sels[4], base);
  assert.equal(phase.featOf[0], phase.featOf[1]);
  const pk = phase.sels[0]!.length;
  assert.ok(pk > 1200 && pk < 1700, `packet sample of 2900 at 0.5: ${pk}`);
});

test('refinement re-predicts on the sampled selections; a flow rate may rise again within an interval', () => {
  const batch = makeBatch(1000, 200, 13);
  const base = range(0, 1000);
  const phase = new ShedPhase(queries(['flow']), new CountingFeatures(), true, 2, 10);
  start(phase, batch, base, 1);
  const ctl = scripted([0.6], [[0.3]]);
  assert.equal(phase.run(ctl), 2);
  const firstSample = ctl.refinedWith[0]![0]!;
  assert.ok(firstSample > 0 && firstSample < 100 * 1000, 're-prediction on the 0.6 sample');
  assert.equal(phase.rates[0], 0.3);
  assert.equal(phase.finalRate(0), 0.3);
  // Next batch of the interval: a plan of 0.9 is applied (the rate recovers), with its larger selection; the
  // interval's minimum (the flush's finalRate) stays 0.3.
  const low = phase.sels[0]!.length;
  start(phase, batch, base, 1);
  phase.run(scripted([0.9]));
  assert.equal(phase.rates[0], 0.9);
  assert.ok(phase.sels[0]!.length > low, `0.9 keeps more than 0.3: ${phase.sels[0]!.length} vs ${low}`);
  assert.equal(phase.finalRate(0), 0.3);
  // A batch without shedding runs the flow query unsampled.
  start(phase, batch, base, 1);
  const calm = { plan: () => ({ rates: Float64Array.of(1), done: true, shedding: false }) } as unknown as EngineController;
  assert.equal(phase.run(calm), 0);
  assert.equal(phase.rates[0], 1);
  assert.equal(phase.sels[0], base);
  assert.equal(phase.finalRate(0), 0.3);
  phase.startInterval();
  assert.equal(phase.finalRate(0), 1);
  start(phase, batch, base, 1);
  phase.run(scripted([0.9]));
  assert.equal(phase.rates[0], 0.9);
  assert.equal(phase.finalRate(0), 0.9);
});

test('novelty guard: the first three batches over twice the recent ones are planned at 2x the 90th-percentile cost per packet', () => {
  const phase = new ShedPhase(queries(['packet']), new CountingFeatures(), true, 1, 10);
  const planned: number[] = [];
  const ctl = {
    plan: (p: Float64Array): ShedPlan => {
      planned.push(p[0]!);
      return { rates: Float64Array.of(1), done: true, shedding: false } as unknown as ShedPlan;
    },
  } as unknown as EngineController;
  // History: 1000-packet batches costing 100..119 ns per packet (the predictor says 100).
  for (let k = 0; k < 20; k++) {
    const b = makeBatch(1000, 50, k);
    start(phase, b, range(0, 1000), 1);
    phase.run(ctl);
    phase.observeCost(0, (100 + k) * 1000);
  }
  const big = makeBatch(7000, 50, 99);
  start(phase, big, range(0, 7000), 1); // 7x: novel
  phase.run(ctl);
  assert.equal(planned.at(-1), 2 * 117 * 7000, 'planned at 2 x q90 (117 ns: index floor(19 x 0.9) of the 20 sorted) per packet');
  for (let k = 0; k < 2; k++) {
    start(phase, big, range(0, 7000), 1); // the second and third of the size: still guarded
    phase.run(ctl);
    assert.equal(planned.at(-1), 2 * 117 * 7000);
  }
  start(phase, big, range(0, 7000), 1); // the fourth: no longer novel
  phase.run(ctl);
  assert.equal(planned.at(-1), 101 * 7000, 'max(prediction, the 10th-percentile floor: 101 ns) again');
  const mid = makeBatch(1500, 50, 7);
  start(phase, mid, range(0, 1500), 1);
  phase.run(ctl);
  assert.equal(planned.at(-1), Math.max(100 * 1500, 101 * 1500));
  assert.equal(phase.sizes.flagged, 3);
});

test('starvation guard: a query disabled probeAfter batches in a row runs once at its first plan\'s rate', () => {
  const batch = makeBatch(1000, 100, 17);
  const base = range(0, 1000);
  const feats = new CountingFeatures();
  const phase = new ShedPhase(queries(['packet']), feats, true, 3, 2);
  start(phase, batch, base, 1);
  assert.equal(phase.run(scripted([0.3], [[0]])), 2);
  assert.equal(phase.rates[0], 0, 'the refinement disabled it');
  assert.equal(phase.probes, 0);
  start(phase, batch, base, 1);
  assert.equal(phase.run(scripted([0.3], [[0]])), 3, 'a third pass re-samples at the probe rate');
  assert.equal(phase.probes, 1);
  assert.equal(phase.rates[0], 0.3, 'the first plan\'s rate (not the refined 0, not the 1% minimum)');
  assert.ok(phase.sels[0]!.length > 200 && phase.sels[0]!.length < 400, `sample of 1000 at 0.3: ${phase.sels[0]!.length}`);
  assert.equal(phase.pred[0], 100 * phase.sels[0]!.length);
});
