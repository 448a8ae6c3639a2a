/**
 * Committing a batch after sampled re-extractions (the monitor's shedding pattern: measure() of the whole
 * batch, measure(sel) of sampled selections, endBatch()): the interval state and every later feature must be
 * bit-identical to committing after the whole-batch measure alone, and the commit must not count the batch
 * again (checked by counting the counting calls, never by wall time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { FeatureExtractor, type FeatureExtractorOptions } from '../../src/features/index.ts';
import { SketchEngine } from '../../src/features/sketch-engine.ts';
import { SparseKeyTable } from '../../src/features/sparse-table.ts';
import { PacketBatch, readBatches } from '../../src/capture/index.ts';
import { Rng } from '../../src/random.ts';
import { fillFlood, sample } from './helpers.ts';

const DIR = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));

/** Copies of the sketch engine's interval state (private fields, read for the test only). */
function intervalState(fx: FeatureExtractor): Record<string, unknown> {
  const e = (fx as unknown as { engine: Record<string, unknown> }).engine;
  if (!(e instanceof SketchEngine)) return {};
  const tables = (e as unknown as { tables: SparseKeyTable[] }).tables;
  const scratch = new Int32Array(1 << 17);
  const dense = (e['dense'] as Uint8Array).slice();
  const sk = e['sk'] as { iBits: Int32Array; iZeros: Int32Array };
  return {
    iBits: sk.iBits.slice(),
    iZeros: sk.iZeros.slice(),
    dense,
    // A dense aggregate's table is dead until the next interval (it may hold a failed count's keys). Key sets
    // are compared sorted: a selection measured first inserts its keys first (same set, other order).
    tables: tables.map((t, a) => (dense[a] === 1 ? [] : scratch.slice(0, t.keys(scratch)).sort())),
  };
}

/**
 * Runs two extractors in lock step over the batches: the reference measures the whole batch only, the other
 * also measures sampled selections (after, and once before, the whole batch). Asserts identical features
 * and interval state after every batch; returns the number of batches.
 */
async function compare(batches: AsyncIterable<PacketBatch> | Iterable<PacketBatch>, opts: FeatureExtractorOptions): Promise<number> {
  const ref = new FeatureExtractor(opts);
  const fx = new FeatureExtractor(opts);
  const rng = new Rng(7);
  let j = 0;
  for await (const b of batches) {
    ref.beginBatch(b);
    const want = ref.measure();
    ref.endBatch();
    fx.beginBatch(b);
    if (j % 3 === 2) fx.measure(sample(b, rng, 0.5, false)); // a selection before the whole batch
    const got = fx.measure();
    assert.deepEqual(got, want, `batch ${j}: whole-batch features`);
    for (let r = 0; r < 2; r++) fx.measure(sample(b, rng, 0.3, j % 2 === 1));
    fx.endBatch();
    assert.deepEqual(intervalState(fx), intervalState(ref), `batch ${j}: interval state`);
    j++;
  }
  return j;
}

function* flood(): Generator<PacketBatch> {
  const b = new PacketBatch(40_000);
  for (let j = 0; j < 14; j++) {
    // 40k new sources per batch (dense after two batches), a few repeats of the previous batch's sources,
    // and two intervals (1 s = 10 batches).
    fillFlood(b, BigInt(j) * 100_000_000n, 40_000, j * 36_000 + 1, 0x9e3779b1);
    yield b;
  }
}

test('commit after sampled measures = commit after the whole batch (generated flood, dense)', async () => {
  assert.equal(await compare(flood(), { seed: 3 }), 14);
});

test('commit after sampled measures = commit after the whole batch (bitmaps only, small intervals)', async () => {
  assert.ok((await compare(flood(), { seed: 4, sparseLimit: 0, intervalNs: 3e8 })) > 0);
});

for (const [file, sparseLimit] of [
  ['stopddos__pkt.TCP.synflood.spoofed.pcap', undefined],
  ['cicddos2019__CIC-DDoS-2019-SynFlood.pcap', undefined],
  ['ndpi__gnutella.pcap', 0],
] as const) {
  test(`commit after sampled measures = commit after the whole batch (${file}, sparseLimit ${sparseLimit ?? 'default'})`, async () => {
    assert.ok((await compare(readBatches(DIR + file), { seed: 5, sparseLimit })) > 5);
  });
}

test('commit after sampled measures = commit after the whole batch (exact counting)', async () => {
  assert.ok((await compare(readBatches(DIR + 'ndpi__gnutella.pcap'), { exact: true })) > 5);
});

test('endBatch after sampled measures does not count the batch again', () => {
  const proto = SketchEngine.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const tproto = SparseKeyTable.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const fill = proto['fillDense']!;
  const count = tproto['count']!;
  let calls = 0;
  proto['fillDense'] = function (this: unknown, ...a: unknown[]) {
    calls++;
    return fill.apply(this, a);
  };
  tproto['count'] = function (this: unknown, ...a: unknown[]) {
    calls++;
    return count.apply(this, a);
  };
  try {
    const fx = new FeatureExtractor({ seed: 9 });
    const rng = new Rng(1);
    let commits = 0;
    for (const b of flood()) {
      fx.beginBatch(b);
      fx.measure();
      fx.measure(sample(b, rng, 0.3, false));
      fx.measure(sample(b, rng, 0.3, true));
      const before = calls;
      assert.ok(before > 0);
      fx.endBatch();
      assert.equal(calls, before, 'endBatch counted keys again');
      commits++;
    }
    assert.equal(commits, 14);
    // Without a whole-batch measure the commit must count (the check above can fail).
    const b = flood().next().value as PacketBatch;
    const g = new FeatureExtractor({ seed: 9 });
    g.beginBatch(b);
    g.measure(sample(b, rng, 0.3, false));
    const before = calls;
    g.endBatch();
    assert.ok(calls > before);
  } finally {
    proto['fillDense'] = fill;
    tproto['count'] = count;
  }
});
