/**
 * Sampled selections measured from the whole batch's kept sort order (DenseSketches.fillFiltered, used once
 * the previous batch had sampled measures) must give exactly the features of the ordinary count (hash, sort,
 * set and undo the selection's interval bits): checked against an extractor in lock step with filtering off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeatureExtractor } from '../../src/features/index.ts';
import { DenseSketches } from '../../src/features/dense-sketches.ts';
import { PacketBatch } from '../../src/capture/index.ts';
import { Rng } from '../../src/random.ts';
import { setIPv4Packet } from '../helpers/batch.ts';
import { sample } from './helpers.ts';

/**
 * 12k packets per batch from a pool of 10k sources that moves by 8k per batch: repeats within the batch
 * (not consecutive) and across batches, dense after a few batches, two 1 s intervals.
 */
function* batches(): Generator<PacketBatch> {
  const b = new PacketBatch(12_000);
  for (let j = 0; j < 14; j++) {
    b.reset(BigInt(j) * 100_000_000n, 1e8);
    for (let k = 0; k < 12_000; k++) {
      const s = j * 8_000 + ((Math.imul(k + 1, 0x9e3779b1) >>> 0) % 10_000);
      setIPv4Packet(b, k, Math.imul(s + 1, 0x85ebca6b) >>> 0, 0x0a000001 + (k % 3), 6, s & 0xffff, 80);
    }
    b.count = 12_000;
    yield b;
  }
}

for (const [name, opts] of [
  ['default', { seed: 3 }],
  ['bitmaps only', { seed: 4, sparseLimit: 0 }],
] as const) {
  test(`filtered sampled measures = ordinary sampled measures (${name})`, () => {
    const proto = DenseSketches.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const filter = proto['fillFiltered']!;
    let filtered = 0;
    proto['fillFiltered'] = function (this: unknown, ...a: unknown[]) {
      filtered++;
      return filter.apply(this, a);
    };
    try {
      const fx = new FeatureExtractor(opts); // filters from the second batch on
      const ref = new FeatureExtractor(opts);
      // The reference never filters (private field, reached for the test only).
      (ref as unknown as { engine: { sk: { canFilter: () => boolean } } }).engine.sk.canFilter = () => false;
      const rng = new Rng(11);
      let j = 0;
      for (const b of batches()) {
        // 50 % packets (filtered), 30 % flows (<= 4,096 packets: the exact path sets the batch aside), 70 %.
        const sels = [sample(b, rng, 0.5, false), sample(b, rng, 0.3, true), sample(b, rng, 0.7, false)];
        const before = filtered;
        ref.beginBatch(b);
        const wantAll = ref.measure();
        const want = sels.map((s) => ref.measure(s).slice());
        ref.endBatch();
        assert.equal(filtered, before, 'the reference must not filter');
        fx.beginBatch(b);
        assert.deepEqual(fx.measure(), wantAll, `batch ${j}: whole batch`);
        sels.forEach((s, k) => assert.deepEqual(fx.measure(s), want[k], `batch ${j}: selection ${k}`));
        fx.endBatch();
        j++;
      }
      assert.ok(filtered >= 8 * 10, `fillFiltered ran ${filtered} times`);
      // The interval state after the batches is the same: the next batch's features agree.
      const b = batches().next().value as PacketBatch;
      b.reset(14n * 100_000_000n, 1e8);
      for (const x of [fx, ref]) x.beginBatch(b);
      assert.deepEqual(fx.measure(), ref.measure());
    } finally {
      proto['fillFiltered'] = filter;
    }
  });
}
