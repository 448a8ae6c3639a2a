import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MultiResolutionBitmap, HyperLogLog, DEFAULT_MRB, FEATURE_MRB, FeatureExtractor, FEATURE_INDEX } from '../../src/features/index.ts';
import { Rng } from '../../src/random.ts';
import { mix32 } from '../../src/hash-mix.ts';
import { SketchEngine } from '../../src/features/sketch-engine.ts';
import { PacketBatch } from '../../src/capture/batch.ts';
import { fillFlood } from './helpers.ts';

const SIZES = [1, 10, 1e3, 1e5, 1e6, 2e6];
const keyHash = (k: number, seed: number): number => mix32(Math.imul(k, 0x9e3779b1) ^ seed);

for (const g of [DEFAULT_MRB, FEATURE_MRB]) {
  test(`MRB ${g.components}x2^${g.log2Bits}: within 2% at 1 .. 2M distinct keys, never saturated`, () => {
    for (const n of SIZES) {
      for (const seed of n >= 1e6 ? [11] : [11, 12, 13]) {
        const s = new MultiResolutionBitmap(g);
        for (let k = 0; k < n; k++) s.add(keyHash(k, seed));
        // duplicates change nothing
        for (let k = 0; k < Math.min(n, 1000); k++) assert.equal(s.add(keyHash(k, seed)), false);
        const err = Math.abs(s.estimate() - n) / n;
        assert.ok(err <= 0.02, `n=${n} seed=${seed} est=${s.estimate()} err=${err}`);
        assert.equal(s.saturated, false);
      }
    }
  });
}

test('MRB property: random sizes up to 300k within 2% (fast-check, fixed seed)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300_000 }), fc.integer(), (n, seed) => {
      const s = new MultiResolutionBitmap(FEATURE_MRB);
      for (let k = 0; k < n; k++) s.add(keyHash(k, seed));
      return Math.abs(s.estimate() - n) / n <= 0.02;
    }),
    { seed: 42, numRuns: 25 },
  );
});

test('MRB beyond its range: saturated flag and a positive lower bound, never 0', () => {
  const s = new MultiResolutionBitmap({ components: 2, log2Bits: 6, setmaxFill: 0.7 });
  for (let k = 0; k < 100_000; k++) s.add(keyHash(k, 5));
  assert.equal(s.saturated, true);
  assert.ok(s.estimate() >= 64 * Math.log(64) * 2, `estimate ${s.estimate()}`);
});

test('MRB merge is the union', () => {
  const a = new MultiResolutionBitmap(DEFAULT_MRB);
  const b = new MultiResolutionBitmap(DEFAULT_MRB);
  const u = new MultiResolutionBitmap(DEFAULT_MRB);
  for (let k = 0; k < 50_000; k++) (k % 2 ? a : b).add(keyHash(k, 1));
  for (let k = 0; k < 50_000; k++) u.add(keyHash(k, 1));
  a.merge(b);
  assert.deepEqual(a.bits, u.bits);
  assert.deepEqual(a.zeros, u.zeros);
});

test('HLL p=14 within 3% from 1 to 2M, merge = union', () => {
  for (const n of SIZES) {
    const h = new HyperLogLog(14);
    for (let k = 0; k < n; k++) h.add(keyHash(k, 3));
    assert.ok(Math.abs(h.estimate() - n) / n <= 0.03, `n=${n} est=${h.estimate()}`);
  }
  const a = new HyperLogLog(12);
  const b = new HyperLogLog(12);
  for (let k = 0; k < 20_000; k++) (k < 12_000 ? a : b).add(keyHash(k, 9));
  a.merge(b);
  assert.ok(Math.abs(a.estimate() - 20_000) / 20_000 < 0.05);
  assert.throws(() => new HyperLogLog(3), RangeError);
});

test('sketch engine out of range reports saturation and never returns 0', () => {
  const eng = new SketchEngine(1, { components: 2, log2Bits: 6, setmaxFill: 0.7 }, 16);
  const b = new PacketBatch(1024);
  fillFlood(b, 0n, 50_000, 1, 2654435761);
  const u = new Float64Array(13);
  const f = new Float64Array(13);
  eng.load(b);
  const sat1 = eng.measure(b, null, u, f);
  assert.ok(sat1 > 0);
  assert.ok(u[0]! > 0 && f[0]! > 0);
  eng.commit(b);
  fillFlood(b, 100_000_000n, 50_000, 50_001, 2654435761);
  eng.load(b);
  const sat2 = eng.measure(b, null, u, f);
  assert.ok(sat2 > 0);
  assert.ok(u[0]! > 0, 'unique stays positive when saturated');
});

/**
 * Bitmap path with repeated measures: measure(sample) before measure() must not leak into the interval state
 * (the engine undoes the sample's interval bits), and committing after only a sampled measure must commit the
 * whole batch. Three extractors with the same seed must therefore agree exactly on every full measure.
 */
test('bitmap path: repeated and sampled measures leave the interval state as a single full measure does', () => {
  const plain = new FeatureExtractor({ intervalNs: 5e8, seed: 3, sparseLimit: 0 });
  const twice = new FeatureExtractor({ intervalNs: 5e8, seed: 3, sparseLimit: 0 });
  const sampledOnly = new FeatureExtractor({ intervalNs: 5e8, seed: 3, sparseLimit: 0 });
  const b = new PacketBatch(1024);
  const rng = new Rng(17);
  for (let j = 0; j < 12; j++) {
    const n = 20_000 + rng.int(20_000);
    fillFlood(b, BigInt(j) * 100_000_000n, n, 1 + rng.int(60_000), 2654435761);
    const sel = { idx: new Uint32Array(n), length: 0 };
    for (let i = 0; i < n; i++) if (rng.int(4) === 0) sel.idx[sel.length++] = i;
    plain.beginBatch(b);
    twice.beginBatch(b);
    sampledOnly.beginBatch(b);
    const p = plain.measure();
    const s1 = twice.measure(sel);
    const t = twice.measure();
    const s2 = twice.measure(sel);
    assert.deepEqual(Array.from(t), Array.from(p), `batch ${j}: full measure after a sampled one`);
    assert.deepEqual(Array.from(s2), Array.from(s1), `batch ${j}: sampled measure is repeatable`);
    const src = FEATURE_INDEX['src_ip.new']!;
    assert.ok(s1[src]! <= p[src]!, 'a sample has no more new sources than the batch');
    if (j > 0) assert.deepEqual(Array.from(sampledOnly.measure()), Array.from(p), `batch ${j}: previous batch committed in full`);
    else sampledOnly.measure();
    sampledOnly.measure(sel);
    plain.endBatch();
    twice.endBatch();
    sampledOnly.endBatch();
  }
});
