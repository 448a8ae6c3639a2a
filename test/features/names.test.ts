import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FEATURE_NAMES, FEATURE_INDEX, FEATURE_COUNT, AGGREGATES, FeatureExtractor } from '../../src/features/index.ts';
import { makeBatch, type Pkt } from './helpers.ts';

test('55 distinct names, index order matches the names', () => {
  assert.equal(FEATURE_COUNT, 55);
  assert.equal(FEATURE_NAMES.length, 55);
  assert.equal(new Set(FEATURE_NAMES).size, 55);
  FEATURE_NAMES.forEach((n, i) => assert.equal(FEATURE_INDEX[n], i));
  assert.deepEqual(FEATURE_NAMES.slice(0, 3), ['packets', 'bytes', 'new_interval']);
  assert.equal(FEATURE_INDEX['src_ip.unique'], 3);
  assert.equal(FEATURE_INDEX['src_dst_net.interval_repeated'], 54);
});

const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const V6A = [0x20010db8, 0x00010002, 0, 1];
const V6B = [0x20010db8, 0x0001ffff, 0, 2]; // same /48 as V6A, different /64
const V6C = [0x20010db8, 0x00020000, 0, 1]; // other /48

// Every aggregate gets a different, hand-computed count in batch 2, so a mislabelled index cannot pass.
const batch1: Pkt[] = [
  { src: ip(10, 0, 0, 1), dst: ip(192, 168, 1, 1), proto: 6, sport: 1000, dport: 80, capLen: 100 },
  { src: ip(10, 0, 0, 2), dst: ip(192, 168, 1, 1), proto: 6, sport: 1001, dport: 80, capLen: 100 },
];
const batch2: Pkt[] = [
  // repeats of batch 1's first packet
  { src: ip(10, 0, 0, 1), dst: ip(192, 168, 1, 1), proto: 6, sport: 1000, dport: 80, capLen: 60 },
  { src: ip(10, 0, 0, 1), dst: ip(192, 168, 1, 1), proto: 6, sport: 1000, dport: 80, capLen: 60 },
  { src: ip(10, 0, 0, 3), dst: ip(192, 168, 1, 1), proto: 6, sport: 1000, dport: 443, capLen: 70 },
  { src: ip(10, 0, 1, 3), dst: ip(192, 168, 2, 9), proto: 17, sport: 53, dport: 53, capLen: 80 },
  { src: V6A, dst: V6C, proto: 17, sport: 53, dport: 5353, capLen: 90 },
  { src: V6B, dst: V6C, proto: 17, sport: 53, dport: 5353, capLen: 90 },
];

/** Naive reference with string keys (test only). */
function expected(prev: Pkt[], cur: Pkt[]): Record<string, number> {
  const a = (x: number | readonly number[]): string => (typeof x === 'number' ? `4:${x}` : `6:${x.join(',')}`);
  const net = (x: number | readonly number[]): string =>
    typeof x === 'number' ? `4:${x >>> 8}` : `6:${x[0]},${(x[1]! >>> 16)}`;
  const keyOf: Record<string, (p: Pkt) => string> = {
    src_ip: (p) => a(p.src),
    dst_ip: (p) => a(p.dst),
    proto: (p) => `${p.proto}`,
    src_dst_ip: (p) => `${a(p.src)}|${a(p.dst)}`,
    proto_src_port: (p) => `${p.proto}|${p.sport}`,
    proto_dst_port: (p) => `${p.proto}|${p.dport}`,
    proto_src_ip_src_port: (p) => `${p.proto}|${a(p.src)}|${p.sport}`,
    proto_dst_ip_dst_port: (p) => `${p.proto}|${a(p.dst)}|${p.dport}`,
    proto_src_port_dst_port: (p) => `${p.proto}|${p.sport}|${p.dport}`,
    five_tuple: (p) => `${p.proto}|${a(p.src)}|${a(p.dst)}|${p.sport}|${p.dport}`,
    src_net: (p) => net(p.src),
    dst_net: (p) => net(p.dst),
    src_dst_net: (p) => `${net(p.src)}|${net(p.dst)}`,
  };
  const r: Record<string, number> = {
    packets: cur.length,
    bytes: cur.reduce((s, p) => s + (p.capLen ?? 60), 0),
    new_interval: 0,
  };
  for (const agg of AGGREGATES) {
    const f = keyOf[agg]!;
    const before = new Set(prev.map(f));
    const now = new Set(cur.map(f));
    const fresh = [...now].filter((k) => !before.has(k)).length;
    r[`${agg}.unique`] = now.size;
    r[`${agg}.new`] = fresh;
    r[`${agg}.batch_repeated`] = cur.length - now.size;
    r[`${agg}.interval_repeated`] = cur.length - fresh;
  }
  return r;
}

for (const [label, exact, sparseLimit] of [
  ['sketch', false, undefined],
  ['sketch, bitmaps only', false, 0],
  ['sketch, switch to bitmaps mid-interval', false, 4],
  ['exact', true, undefined],
] as const) {
  test(`each feature is what its name says (${label})`, () => {
    const fx = new FeatureExtractor({ exact, seed: 7, sparseLimit });
    const b1 = makeBatch(1_000_000_000n, batch1);
    fx.beginBatch(b1);
    const f1 = fx.measure();
    fx.endBatch();
    assert.equal(f1[FEATURE_INDEX.new_interval!], 1);
    const b2 = makeBatch(1_100_000_000n, batch2);
    fx.beginBatch(b2);
    const f2 = fx.measure();
    const want = expected(batch1, batch2);
    // the hand computation itself: spot-check a few values so the reference cannot be silently wrong
    assert.equal(want['src_ip.unique'], 5);
    assert.equal(want['src_ip.new'], 4);
    assert.equal(want['src_net.unique'], 3); // 10.0.0/24, 10.0.1/24, 2001:db8:1::/48
    assert.equal(want['dst_net.new'], 2);
    for (const [name, v] of Object.entries(want)) assert.equal(f2[FEATURE_INDEX[name]!], v, name);
    // measure() is repeatable and does not change interval state
    assert.deepEqual(fx.measure(), f2);
    fx.endBatch();
  });
}

for (const sparseLimit of [undefined, 0]) test(`measure(selection) measures only the selection against the pre-batch interval; endBatch commits all (sparseLimit ${sparseLimit})`, () => {
  const fx = new FeatureExtractor({ seed: 3, sparseLimit });
  const b1 = makeBatch(0n, batch1);
  fx.beginBatch(b1);
  fx.measure();
  fx.endBatch();
  const b2 = makeBatch(100_000_000n, batch2);
  fx.beginBatch(b2);
  const sel = { idx: Uint32Array.of(0, 2), length: 2 };
  const f = fx.measure(sel);
  assert.equal(f[FEATURE_INDEX.packets!], 2);
  assert.equal(f[FEATURE_INDEX.bytes!], 130);
  assert.equal(f[FEATURE_INDEX['src_ip.unique']!], 2);
  assert.equal(f[FEATURE_INDEX['src_ip.new']!], 1);
  fx.endBatch(); // commits all 6 packets although only 2 were measured
  // next batch in the same interval: all of batch2's sources are old now
  const b3 = makeBatch(200_000_000n, batch2.slice(3));
  fx.beginBatch(b3);
  const g = fx.measure();
  assert.equal(g[FEATURE_INDEX.new_interval!], 0);
  assert.equal(g[FEATURE_INDEX['src_ip.new']!], 0);
  assert.equal(g[FEATURE_INDEX['src_ip.interval_repeated']!], 3);
  fx.endBatch();
  // a batch in the next 1 s interval starts fresh
  fx.beginBatch(makeBatch(1_000_000_000n, batch2.slice(3)));
  const h = fx.measure();
  assert.equal(h[FEATURE_INDEX.new_interval!], 1);
  assert.equal(h[FEATURE_INDEX['src_ip.new']!], 3);
  fx.endBatch();
});

test('empty batch gives zeros; out array is filled in place', () => {
  const fx = new FeatureExtractor();
  fx.beginBatch(makeBatch(0n, []));
  const out = new Float64Array(55).fill(9);
  const r = fx.measure(undefined, out);
  assert.equal(r, out);
  assert.equal(out[FEATURE_INDEX.new_interval!], 1);
  for (let i = 0; i < 55; i++) if (i !== FEATURE_INDEX.new_interval) assert.equal(out[i], 0, FEATURE_NAMES[i]);
  fx.endBatch();
});
