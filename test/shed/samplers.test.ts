import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { selectAll } from '../../src/capture/batch.ts';
import { Rng } from '../../src/random.ts';
import { flowHash, hashBatch, newFlowHashTables } from '../../src/shed/flow-hash.ts';
import { flowThreshold } from '../../src/queries/flow-count.ts';
import { FlowSampler } from '../../src/shed/flow-sampler.ts';
import { PacketSampler } from '../../src/shed/packet-sampler.ts';
import { makeBatch, type Pkt } from '../queries/helpers.ts';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 65535 });
const flowArb = fc.record({
  proto: fc.constantFrom(6, 17, 1),
  src: fc.oneof(u32, fc.array(u32, { minLength: 4, maxLength: 4 })),
  dst: u32,
  sport: port,
  dport: port,
});

/** Packets drawn from a pool of flows (so flows repeat), with varying non-key fields. */
const trafficArb = fc
  .array(flowArb, { minLength: 1, maxLength: 30 })
  .chain((flows) =>
    fc.array(fc.record({ f: fc.nat(flows.length - 1), len: fc.integer({ min: 40, max: 1500 }) }), { minLength: 1, maxLength: 200 }).map(
      (ps) => ps.map((p): Pkt => ({ ...flows[p.f]!, len: p.len })),
    ),
  );

function keySet(sel: { idx: Uint32Array; length: number }): Set<number> {
  return new Set(Array.from(sel.idx.subarray(0, sel.length)));
}

function distinctFlows(n: number, seed: number): Pkt[] {
  const r = new Rng(seed);
  const out: Pkt[] = [];
  for (let f = 0; f < n; f++) out.push({ proto: 6, src: 0x0a000000 + f, dst: r.nextU32(), sport: 1024 + (f % 5000), dport: 80 });
  return out;
}

describe('flow hash', () => {
  it('hashBatch equals flowHash per packet and depends only on the 5-tuple', () => {
    fc.assert(
      fc.property(trafficArb, u32, (pkts, seed) => {
        const b = makeBatch(pkts);
        const t = newFlowHashTables(new Rng(seed));
        const out = new Uint32Array(b.count);
        hashBatch(b, t, out);
        for (let i = 0; i < b.count; i++) assert.equal(out[i], flowHash(b, i, t));
        // Non-key fields (length, flags, payload offsets, TCP flags) do not change the hash.
        const h0 = flowHash(b, 0, t);
        b.wireLen[0] = 9999;
        b.tcpFlags[0] = 0xff;
        b.capLen[0] = 7;
        b.flags[0] = 4;
        assert.equal(flowHash(b, 0, t), h0);
      }),
      { seed: 44, numRuns: 100 },
    );
  });

  it('every key byte position enters the hash (IPv6 words too)', () => {
    const t = newFlowHashTables(new Rng(7));
    const base: Pkt = { proto: 6, src: [0x20010db8, 1, 2, 3], dst: [0x20010db8, 4, 5, 6], sport: 1234, dport: 80 };
    const b = makeBatch([base]);
    const h0 = flowHash(b, 0, t);
    const mutate: ((bb: typeof b) => void)[] = [
      (bb) => (bb.proto[0] = 17),
      (bb) => (bb.srcPort[0] = 1235),
      (bb) => (bb.dstPort[0] = 81),
    ];
    for (let w = 0; w < 4; w++) {
      for (let byte = 0; byte < 4; byte++) {
        mutate.push((bb) => (bb.src[w] = (bb.src[w]! ^ (1 << (8 * byte))) >>> 0));
        mutate.push((bb) => (bb.dst[w] = (bb.dst[w]! ^ (1 << (8 * byte))) >>> 0));
      }
    }
    for (const m of mutate) {
      const bb = makeBatch([base]);
      m(bb);
      assert.notEqual(flowHash(bb, 0, t), h0);
    }
  });
});

describe('FlowSampler', () => {
  it('is flow-consistent: all packets of a flow are kept or dropped together', () => {
    fc.assert(
      fc.property(trafficArb, u32, fc.double({ min: 0, max: 1, noNaN: true }), (pkts, seed, rate) => {
        const b = makeBatch(pkts);
        const s = new FlowSampler(seed);
        const { sel } = s.sample(b, selectAll(b), rate);
        const kept = keySet(sel);
        const byFlow = new Map<string, boolean>();
        pkts.forEach((p, i) => {
          const k = JSON.stringify([p.proto, p.src, p.dst, p.sport, p.dport]);
          const prev = byFlow.get(k);
          if (prev === undefined) byFlow.set(k, kept.has(i));
          else assert.equal(kept.has(i), prev, `flow ${k} split`);
        });
      }),
      { seed: 89, numRuns: 200 },
    );
  });

  it('nests: the kept set at a lower rate is a subset of the kept set at a higher rate, and rates only fall', () => {
    fc.assert(
      fc.property(
        trafficArb,
        u32,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (pkts, seed, a, c) => {
          const [lo, hi] = a < c ? [a, c] : [c, a];
          const b = makeBatch(pkts);
          const s = new FlowSampler(seed);
          const high = s.sample(b, selectAll(b), hi);
          const keptHigh = keySet(high.sel);
          const low = s.sample(b, selectAll(b), lo);
          assert.equal(low.rate, lo);
          for (const i of keySet(low.sel)) assert.ok(keptHigh.has(i));
          // Asking for the higher rate again within the interval is clamped to the minimum so far.
          const again = s.sample(b, selectAll(b), hi);
          assert.equal(again.rate, lo);
          assert.equal(s.finalRate, lo);
          assert.deepEqual(keySet(again.sel), keySet(low.sel));
          s.startInterval();
          assert.equal(s.finalRate, 1);
          assert.equal(s.sample(b, selectAll(b), hi).rate, hi);
        },
      ),
      { seed: 108, numRuns: 200 },
    );
  });

  it('filter: no clamp, keeps exactly hash <= threshold of the last hashes, in base order', () => {
    fc.assert(
      fc.property(trafficArb, u32, fc.double({ min: 0.001, max: 1, noNaN: true }), fc.double({ min: 0.001, max: 1, noNaN: true }), (pkts, seed, a, c) => {
        const [lo, hi] = a < c ? [a, c] : [c, a];
        const b = makeBatch(pkts);
        const s = new FlowSampler(seed);
        const low = keySet(s.sample(b, selectAll(b), lo).sel);
        const out = new Uint32Array(b.count);
        const sel = s.filter(selectAll(b), hi, out);
        const thr = flowThreshold(hi);
        const expect: number[] = [];
        for (let i = 0; i < b.count; i++) if (s.hashes[i]! <= thr) expect.push(i);
        assert.equal(sel.idx, out);
        assert.deepEqual(Array.from(sel.idx.subarray(0, sel.length)), expect);
        for (const i of low) assert.ok(expect.includes(i));
        assert.equal(s.finalRate, lo); // filter leaves the interval minimum alone
      }),
      { seed: 138, numRuns: 200 },
    );
  });

  it('keeps a share of flows close to the rate (within 4 standard errors)', () => {
    const n = 20000;
    const b = makeBatch(distinctFlows(n, 3));
    fc.assert(
      fc.property(u32, fc.constantFrom(0.01, 0.1, 0.3, 0.5, 0.9), (seed, rate) => {
        const s = new FlowSampler(seed);
        const { sel } = s.sample(b, selectAll(b), rate);
        const se = Math.sqrt((rate * (1 - rate)) / n);
        assert.ok(Math.abs(sel.length / n - rate) <= 4 * se, `share ${sel.length / n} vs ${rate}`);
      }),
      { seed: 161, numRuns: 30 },
    );
  });

  it('exposes the hashes and keeps exactly hash <= floor(rate x (2^32-1))', () => {
    const b = makeBatch(distinctFlows(2000, 4));
    const s = new FlowSampler(11);
    const { sel } = s.sample(b, selectAll(b), 0.25);
    const thr = flowThreshold(0.25);
    const expect: number[] = [];
    for (let i = 0; i < b.count; i++) {
      assert.equal(s.hashes[i], flowHash(b, i, s.tables));
      if (s.hashes[i]! <= thr) expect.push(i);
    }
    assert.deepEqual(Array.from(sel.idx.subarray(0, sel.length)), expect);
    assert.equal(s.sample(b, selectAll(b), 1).sel.length, 1 * sel.length); // clamped to 0.25
  });

  it('rotating the seed at a new interval changes the selection', () => {
    fc.assert(
      fc.property(u32, (seed) => {
        const b = makeBatch(distinctFlows(1000, 5));
        const s = new FlowSampler(seed);
        const first = keySet(s.sample(b, selectAll(b), 0.5).sel);
        s.startInterval();
        const second = keySet(s.sample(b, selectAll(b), 0.5).sel);
        let diff = 0;
        for (let i = 0; i < b.count; i++) if (first.has(i) !== second.has(i)) diff++;
        // Independent selections at 0.5 differ on ~half the flows.
        assert.ok(diff > 300, `only ${diff} of 1000 flows changed`);
      }),
      { seed: 187, numRuns: 20 },
    );
  });

  it('rate 1 keeps every packet, rate 0 none, and only the base selection is considered', () => {
    const b = makeBatch(distinctFlows(100, 6));
    const s = new FlowSampler(1);
    assert.equal(s.sample(b, selectAll(b), 1).sel.length, 100);
    const base = { idx: Uint32Array.from([3, 5, 7]), length: 3 };
    const r = s.sample(b, base, 1);
    assert.deepEqual(Array.from(r.sel.idx.subarray(0, r.sel.length)), [3, 5, 7]);
    assert.equal(s.sample(b, selectAll(b), 0).sel.length, 0);
    assert.throws(() => s.sample(b, selectAll(b), 1.5), /outside \[0, 1\]/);
    assert.throws(() => s.sample(b, selectAll(b), Number.NaN), /outside/);
  });
});

describe('PacketSampler', () => {
  it('keeps each packet with probability rate (share within 4 standard errors), in ascending order', () => {
    const b = makeBatch(distinctFlows(20000, 8));
    fc.assert(
      fc.property(u32, fc.constantFrom(0.05, 0.2, 0.5, 0.8), (seed, rate) => {
        const s = new PacketSampler(seed);
        const sel = s.sample(b, selectAll(b), rate);
        const se = Math.sqrt((rate * (1 - rate)) / b.count);
        assert.ok(Math.abs(sel.length / b.count - rate) <= 4 * se);
        for (let j = 1; j < sel.length; j++) assert.ok(sel.idx[j]! > sel.idx[j - 1]!);
      }),
      { seed: 219, numRuns: 30 },
    );
  });

  it('is deterministic per seed, and different seeds give different selections', () => {
    const b = makeBatch(distinctFlows(1000, 9));
    const a1 = new PacketSampler(42).sample(b, selectAll(b), 0.3);
    const a2 = new PacketSampler(42).sample(b, selectAll(b), 0.3);
    const c = new PacketSampler(43).sample(b, selectAll(b), 0.3);
    assert.deepEqual(Array.from(a1.idx.subarray(0, a1.length)), Array.from(a2.idx.subarray(0, a2.length)));
    assert.notDeepEqual(Array.from(a1.idx.subarray(0, a1.length)), Array.from(c.idx.subarray(0, c.length)));
  });

  it('splits a packet-level flow (it is not flow-consistent) and honours rate 0 and 1', () => {
    const pkts: Pkt[] = Array.from({ length: 500 }, () => ({ src: 1, dst: 2, sport: 3, dport: 4 }));
    const b = makeBatch(pkts);
    const s = new PacketSampler(1);
    const k = s.sample(b, selectAll(b), 0.5).length;
    assert.ok(k > 0 && k < 500);
    assert.equal(s.sample(b, selectAll(b), 1).length, 500);
    assert.equal(s.sample(b, selectAll(b), 0).length, 0);
    const out = new Uint32Array(500);
    assert.equal(s.sample(b, selectAll(b), 1, out).idx, out);
  });
});
