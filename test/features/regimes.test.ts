/**
 * The counting shortcuts of the sketch engine against the exact engine: aggregates counted over their parents'
 * distinct representatives, uncommitted batches rolled back, exact per-batch counts in bitmap mode for small
 * selections, and the density carry-over between intervals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PacketBatch, type Selection } from '../../src/capture/index.ts';
import { AGGREGATES, FEATURE_INDEX, FeatureExtractor, SPARSE_LIMIT } from '../../src/features/index.ts';
import { UserError } from '../../src/errors.ts';
import { Rng } from '../../src/random.ts';
import { setIPv4Packet } from '../helpers/batch.ts';
import { fillFlood } from './helpers.ts';

/**
 * Packets drawn from a small pool of flows (few hosts, /24s, protocols and ports, so every aggregate has many
 * repeats and each parent has far fewer distinct keys than packets), in runs of the same flow.
 */
function fillPool(b: PacketBatch, startNs: bigint, n: number, pool: number, rng: Rng): void {
  b.ensureCapacity(n, 16);
  b.reset(startNs, 1e8);
  let k = 0;
  while (k < n) {
    const f = rng.int(pool);
    const run = 1 + rng.int(3);
    for (let r = 0; r < run && k < n; r++, k++) {
      const src = 0x0a000000 | ((f % 7) << 8) | (f % 13);
      const dst = 0xc0a80000 | ((f % 5) << 8) | (f % 3);
      setIPv4Packet(b, k, src, dst, f % 4 === 0 ? 17 : 6, 1024 + (f % 37), f % 2 === 0 ? 80 : 443 + (f % 11));
    }
  }
  b.count = n;
}

function sample(b: PacketBatch, rng: Rng, p: number): Selection {
  const idx = new Uint32Array(Math.max(1, b.count));
  let m = 0;
  for (let i = 0; i < b.count; i++) if (rng.next() < p) idx[m++] = i;
  return { idx, length: m };
}

/**
 * Sketch and exact features agree to within one key per value: sparse counts are exact up to 32-bit hash
 * collisions (about n^2 / 2^33 colliding pairs, ~1e-3 per run here; seen once in 30 runs with another seed).
 * A wrong representative list or a wrong commit would be off by far more.
 */
function close(e: Float64Array, x: Float64Array, what: string): void {
  for (let i = 0; i < e.length; i++) assert.ok(Math.abs(e[i]! - x[i]!) <= 1, `${what}: feature ${i} is ${e[i]}, exact ${x[i]}`);
}

test('sparse mode equals exact counting feature by feature (representatives, selections, uncommitted batches)', () => {
  let exactValues = 0;
  let values = 0;
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 2, max: 20 }), fc.integer(), (pool, nb, seed) => {
      const est = new FeatureExtractor({ intervalNs: 3e8, seed });
      const ref = new FeatureExtractor({ intervalNs: 3e8, exact: true });
      const rng = new Rng(seed);
      const b = new PacketBatch(64);
      for (let j = 0; j < nb; j++) {
        fillPool(b, BigInt(j) * 100_000_000n, 1 + rng.int(3000), pool, rng);
        est.beginBatch(b);
        ref.beginBatch(b);
        const sels = [sample(b, rng, 0.5), sample(b, rng, 0.1)];
        const pairs: [Float64Array, Float64Array, string][] = [];
        if (j % 3 === 1) pairs.push([est.measure(sels[1]), ref.measure(sels[1]), `batch ${j}: selection before the batch`]);
        pairs.push([est.measure(), ref.measure(), `batch ${j}: whole batch`]);
        for (const s of sels) pairs.push([est.measure(s), ref.measure(s), `batch ${j}: selection`]);
        for (const [e, x, what] of pairs) {
          close(e, x, what);
          for (let i = 0; i < e.length; i++) exactValues += e[i] === x[i] ? 1 : 0;
          values += e.length;
        }
        if (j % 4 !== 3) {
          // every 4th batch is measured but never committed: its keys must not count as seen
          est.endBatch();
          ref.endBatch();
        }
      }
    }),
    { seed: 777, numRuns: 30 },
  );
  assert.ok(exactValues >= values - 20, `${values - exactValues} of ${values} values differ from exact`);
});

test('bitmap mode: selections of up to 4,096 packets get exact unique counts, new within the bitmap error', () => {
  const est = new FeatureExtractor({ intervalNs: 5e8, seed: 11, sparseLimit: 0 });
  const ref = new FeatureExtractor({ intervalNs: 5e8, exact: true });
  const rng = new Rng(11);
  const b = new PacketBatch(64);
  let checked = 0;
  for (let j = 0; j < 12; j++) {
    fillPool(b, BigInt(j) * 100_000_000n, 500 + rng.int(3500), 2500, rng);
    est.beginBatch(b);
    ref.beginBatch(b);
    for (const s of [undefined, sample(b, rng, 0.3)]) {
      const e = est.measure(s);
      const x = ref.measure(s);
      for (const agg of AGGREGATES) {
        const u = FEATURE_INDEX[`${agg}.unique`]!;
        const f = FEATURE_INDEX[`${agg}.new`]!;
        assert.equal(e[u], x[u], `batch ${j} ${agg}.unique`);
        assert.ok(Math.abs(e[f]! - x[f]!) <= Math.max(0.02 * x[f]!, 3), `batch ${j} ${agg}.new ${e[f]} vs ${x[f]}`);
        checked++;
      }
    }
    est.endBatch();
    ref.endBatch();
  }
  assert.equal(checked, 12 * 2 * 13);
});

/** The sketch engine's per-aggregate regime flags (private; read for the test only). */
function denseFlags(fx: FeatureExtractor): Uint8Array {
  return ((fx as unknown as { engine: Record<string, unknown> }).engine['dense'] as Uint8Array).slice();
}

test('density carry-over: a flooded interval starts the next one in bitmaps; a quiet one goes back to exact', () => {
  const est = new FeatureExtractor({ seed: 5 });
  const ref = new FeatureExtractor({ exact: true });
  const b = new PacketBatch(1024);
  const rng = new Rng(5);
  const src = AGGREGATES.indexOf('src_ip');
  const proto = AGGREGATES.indexOf('proto');
  const newSrc = FEATURE_INDEX['src_ip.new']!;
  const uniqueSrc = FEATURE_INDEX['src_ip.unique']!;
  let t = 0;
  const step = (fill: () => void, check: (e: Float64Array, x: Float64Array) => void): void => {
    fill();
    est.beginBatch(b);
    ref.beginBatch(b);
    check(est.measure(), ref.measure());
    est.endBatch();
    ref.endBatch();
    t++;
  };
  // Interval 0: 10 batches of 6,000 new sources (60,000 > SPARSE_LIMIT): src_ip ends dense.
  assert.ok(6000 * 10 > SPARSE_LIMIT);
  for (let j = 0; j < 10; j++) step(() => fillFlood(b, BigInt(t) * 100_000_000n, 6000, 1 + t * 6000, 0x9e3779b1), () => {});
  assert.equal(denseFlags(est)[src], 1);
  // Interval 1 starts dense (no sparse refill), and its estimates stay within the bitmap error.
  step(
    () => fillFlood(b, BigInt(t) * 100_000_000n, 6000, 1 + t * 6000, 0x9e3779b1),
    (e, x) => {
      assert.equal(denseFlags(est)[src], 1, 'carried over');
      assert.equal(denseFlags(est)[proto], 0, 'one-key aggregate stays exact');
      assert.ok(Math.abs(e[newSrc]! - x[newSrc]!) <= 0.02 * x[newSrc]!, `new ${e[newSrc]} vs ${x[newSrc]}`);
      assert.ok(Math.abs(e[uniqueSrc]! - x[uniqueSrc]!) <= 0.02 * x[uniqueSrc]!);
    },
  );
  // The rest of interval 1 is quiet (a few hundred keys): interval 2 is back to exact counts.
  for (let j = 1; j < 10; j++) step(() => fillPool(b, BigInt(t) * 100_000_000n, 200, 50, rng), () => {});
  step(
    () => fillPool(b, BigInt(t) * 100_000_000n, 300, 80, rng),
    (e, x) => {
      assert.equal(denseFlags(est)[src], 0, 'back to sparse');
      assert.deepEqual(e, x);
    },
  );
});

test('a sparse limit out of 0..65,536 is a user error', () => {
  assert.throws(() => new FeatureExtractor({ sparseLimit: 70_000 }), UserError);
  assert.throws(() => new FeatureExtractor({ sparseLimit: 70_000 }), /option sparseLimit must be a whole number in 0\.\.65536, got 70000/);
  assert.throws(() => new FeatureExtractor({ sparseLimit: -1 }), UserError);
  assert.throws(() => new FeatureExtractor({ sparseLimit: 1.5 }), UserError);
  assert.doesNotThrow(() => new FeatureExtractor({ sparseLimit: 65_536 }));
});
