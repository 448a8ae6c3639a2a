import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBatches, selectAll } from '../../src/capture/index.ts';
import {
  ActiveFlowsQuery,
  ApplicationQuery,
  CounterQuery,
  createQueries,
  flowThreshold,
  FlowsQuery,
  HighWatermarkQuery,
  PatternSearchQuery,
  STANDARD_QUERY_NAMES,
  SuperSourcesQuery,
  TopDestinationsQuery,
  formatAddress,
  createTrace,
} from '../../src/queries/index.ts';
import type { BatchContext, FlushContext } from '../../src/queries/query.ts';
import { FlowSampler } from '../../src/shed/flow-sampler.ts';
import { makeBatch, type Pkt, syntheticBatches, tupleKey } from './helpers.ts';

const ctx: BatchContext = { rate: 1, intervalStartNs: 0n };
const flush: FlushContext = { intervalStartNs: 0n, intervalEndNs: 1_000_000_000n, finalRate: 1 };
const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const latin = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('counter', () => {
  it('counts packets and bytes, scales by 1/p per batch, and reports rates and coverage', () => {
    const q = new CounterQuery();
    const b = makeBatch([{ src: 1, dst: 2, len: 100 }, { src: 1, dst: 2, len: 300 }, { src: 3, dst: 4, len: 50 }]);
    q.process(b, selectAll(b), ctx);
    q.process(b, { idx: Uint32Array.from([1]), length: 1 }, { rate: 0.25, intervalStartNs: 0n });
    const r = q.flush(flush);
    assert.equal(r.value.packets, 3 + 4);
    assert.equal(r.value.bytes, 450 + 1200);
    assert.equal(r.value.sampledPackets, 4);
    assert.equal(r.value.sampledBytes, 450 + 300);
    assert.deepEqual(r.rates, { min: 0.25, max: 1, mean: (3 * 1 + 3 * 0.25) / 6 });
    assert.equal(r.coverage, 4 / 6);
    assert.equal(r.correction, 'horvitz-thompson');
    const empty = q.flush(flush);
    assert.equal(empty.value.packets, 0);
    assert.deepEqual(empty.rates, { min: 1, max: 1, mean: 1 });
    assert.equal(empty.coverage, 1);
  });
});

describe('application', () => {
  it('classifies by destination port, then source port, per transport', () => {
    const q = new ApplicationQuery();
    const b = makeBatch([
      { proto: 6, src: 1, dst: 2, sport: 40000, dport: 80, len: 10 },
      { proto: 6, src: 2, dst: 1, sport: 443, dport: 40000, len: 20 },
      { proto: 17, src: 1, dst: 2, sport: 40000, dport: 53, len: 30 },
      { proto: 6, src: 1, dst: 2, sport: 40000, dport: 53, len: 40 },
      { proto: 17, src: 1, dst: 2, sport: 6885, dport: 50000, len: 50 },
      { proto: 6, src: 1, dst: 2, sport: 50000, dport: 50001, len: 60 },
      { proto: 1, src: 1, dst: 2, len: 70 },
      { proto: 17, src: 1, dst: 2, sport: 40000, dport: 123, len: 80 },
    ]);
    q.process(b, selectAll(b), ctx);
    const v = q.flush(flush).value;
    assert.deepEqual(v['http'], { packets: 1, bytes: 10 });
    assert.deepEqual(v['https'], { packets: 1, bytes: 20 });
    assert.deepEqual(v['dns'], { packets: 2, bytes: 70 });
    assert.deepEqual(v['p2p'], { packets: 1, bytes: 50 });
    assert.deepEqual(v['other'], { packets: 1, bytes: 60 });
    assert.deepEqual(v['non-tcp-udp'], { packets: 1, bytes: 70 });
    assert.deepEqual(v['ntp'], { packets: 1, bytes: 80 });
    assert.throws(() => new ApplicationQuery({ classes: [{ name: 'x', tcp: [70000] }] }), /bad port/);
  });
});

describe('flows and active-flows', () => {
  it('keep per-5-tuple records; the top records are the largest by bytes', () => {
    const q = new FlowsQuery({ maxRecords: 2 });
    const b = makeBatch([
      { proto: 6, src: ip(10, 0, 0, 1), dst: ip(10, 0, 0, 2), sport: 1, dport: 80, len: 100 },
      { proto: 6, src: ip(10, 0, 0, 1), dst: ip(10, 0, 0, 2), sport: 1, dport: 80, len: 100 },
      { proto: 17, src: ip(10, 0, 0, 3), dst: ip(10, 0, 0, 4), sport: 5, dport: 53, len: 1000 },
      { proto: 6, src: ip(10, 0, 0, 1), dst: ip(10, 0, 0, 2), sport: 2, dport: 80, len: 10 },
    ]);
    q.process(b, selectAll(b), ctx);
    const v = q.flush(flush).value;
    assert.equal(v.records, 3);
    assert.equal(v.recordsHeld, 3);
    assert.equal(v.packets, 4);
    assert.equal(v.bytes, 1210);
    assert.equal(v.omitted, 1);
    assert.deepEqual(v.top[0], { proto: 17, src: '10.0.0.3', dst: '10.0.0.4', srcPort: 5, dstPort: 53, packets: 1, bytes: 1000 });
    assert.deepEqual(v.top[1], { proto: 6, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 80, packets: 2, bytes: 200 });
  });

  it('count flows under flow sampling: first seen, 1/m_b under the running-minimum rate (rate dipping and rising)', () => {
    const batches = syntheticBatches(3000, 10, 1);
    const sampler = new FlowSampler(99);
    sampler.startInterval();
    const flows = new FlowsQuery();
    const active = new ActiveFlowsQuery();
    const rates = [1, 0.8, 0.8, 0.5, 0.9, 0.3, 0.3, 0.6, 0.3, 1];
    const seen = new Set<string>();
    const hashOf = new Map<string, number>();
    let runMin = 1;
    let counted = 0;
    let expected = 0;
    batches.forEach((b, j) => {
      const rate = rates[j]!;
      runMin = Math.min(runMin, rate);
      const h = sampler.hash(b, selectAll(b));
      const idx = new Uint32Array(b.count);
      let k = 0;
      for (let i = 0; i < b.count; i++) if (h[i]! <= flowThreshold(rate)) idx[k++] = i;
      const c: BatchContext = { rate, intervalStartNs: 0n, flowHash: h };
      flows.process(b, { idx, length: k }, c);
      active.process(b, { idx, length: k }, c);
      for (let x = 0; x < k; x++) {
        const key = tupleKey(b, idx[x]!);
        if (seen.has(key)) continue;
        seen.add(key);
        if (h[idx[x]!]! <= flowThreshold(runMin)) {
          counted++;
          expected += 1 / runMin;
        }
      }
      for (let i = 0; i < b.count; i++) hashOf.set(tupleKey(b, i), h[i]!);
    });
    assert.ok(counted > 0 && seen.size > counted, 'some flows seen above their running minimum are not counted');
    const f: FlushContext = { ...flush, finalRate: 0.3 };
    const a = active.flush(f);
    assert.equal(a.value.sampledFlows, counted);
    assert.ok(Math.abs(a.value.flows - expected) < 1e-9 * expected);
    const fv = flows.flush(f).value;
    assert.equal(fv.records, a.value.flows);
    // Listed records: the flows under the final threshold (kept in every batch).
    assert.equal(fv.recordsHeld, [...hashOf.values()].filter((x) => x <= flowThreshold(0.3)).length);
    assert.equal(a.rates.min, 0.3);
    assert.equal(a.rates.max, 1);
  });

  it('bound memory: past maxFlows flows are evicted and counted, and still enter the flow count', () => {
    const pkts: Pkt[] = Array.from({ length: 5000 }, (_, i) => ({ src: i, dst: 1, sport: 1, dport: 2 }));
    const b = makeBatch(pkts);
    const q = new ActiveFlowsQuery({ maxFlows: 1000 });
    const fq = new FlowsQuery({ maxFlows: 1000 });
    q.process(b, selectAll(b), ctx);
    fq.process(b, selectAll(b), ctx);
    assert.equal(q.table.size, 1000);
    const v = q.flush(flush).value;
    assert.equal(v.evictions, 4000);
    assert.equal(v.flows, 5000);
    const fv = fq.flush(flush).value;
    assert.equal(fv.evictions, 4000);
    assert.equal(fv.records, 5000);
    assert.equal(fv.recordsHeld, 1000);
  });

  it('without flow hashes (packet sampling) estimate unseen flows instead of dividing by the rate', () => {
    // Two one-packet flows seen at 0.5 weigh 1/0.5 each; a flow seen with 2 packets weighs 1.
    const b = makeBatch([{ src: 1, dst: 2 }, { src: 3, dst: 4 }, { src: 5, dst: 6 }, { src: 5, dst: 6 }]);
    const q = new ActiveFlowsQuery();
    q.process(b, selectAll(b), { rate: 0.5, intervalStartNs: 0n });
    const r = q.flush({ ...flush, finalRate: 0.5 });
    assert.equal(r.correction, 'sampled-distinct');
    assert.equal(r.value.sampledFlows, 3);
    // lambda = A1 / (A1 + 2 A2) = 2 / (2 + 2) with s = 1: 3 seen + 0.5 x 2.
    assert.equal(r.value.flows, 4);
  });
});

describe('top-destinations and super-sources', () => {
  it('ranks destinations by (scaled) bytes', () => {
    const q = new TopDestinationsQuery({ k: 2 });
    const b = makeBatch([
      { src: 1, dst: ip(1, 1, 1, 1), len: 500 },
      { src: 2, dst: ip(2, 2, 2, 2), len: 300 },
      { src: 3, dst: ip(2, 2, 2, 2), len: 300 },
      { src: 3, dst: ip(3, 3, 3, 3), len: 100 },
      { src: 3, dst: [0x20010db8, 0, 0, 1], len: 50 },
    ]);
    q.process(b, selectAll(b), { rate: 0.5, intervalStartNs: 0n });
    const v = q.flush(flush).value;
    assert.deepEqual(v.top, [
      { addr: '2.2.2.2', bytes: 1200, packets: 4 },
      { addr: '1.1.1.1', bytes: 1000, packets: 2 },
    ]);
    assert.equal(v.destinations, 4);
  });

  it('reports sources whose distinct-destination fan-out reaches the threshold', () => {
    const pkts: Pkt[] = [];
    for (let d = 0; d < 60; d++) pkts.push({ src: ip(6, 6, 6, 6), dst: 1000 + d, dport: d }, { src: ip(6, 6, 6, 6), dst: 1000 + d, dport: 1 });
    for (let d = 0; d < 5; d++) pkts.push({ src: ip(7, 7, 7, 7), dst: 1000 + d });
    const b = makeBatch(pkts);
    const q = new SuperSourcesQuery({ threshold: 50, k: 5 });
    q.process(b, selectAll(b), ctx);
    const v = q.flush(flush).value;
    assert.deepEqual(v.sources, [{ addr: '6.6.6.6', fanout: 60 }]);
    assert.equal(v.omitted, 0);
    assert.deepEqual(v.top, [{ addr: '6.6.6.6', fanout: 60 }, { addr: '7.7.7.7', fanout: 5 }]);
    assert.equal(v.pairs, 65);
  });
});

describe('super-sources under flow sampling', () => {
  it('fan-out of single-flow pairs is unbiased over 200 seeds with a rate that dips and recovers', () => {
    // A scanner reaching 300 destinations (one flow each), each active in two consecutive batches of six.
    const batches = Array.from({ length: 6 }, (_, j) => {
      const pkts: Pkt[] = [];
      for (let d = 0; d < 300; d++) if (Math.floor(d / 50) === j || Math.floor(d / 50) === j - 1) pkts.push({ src: ip(6, 6, 6, 6), dst: 1000 + d, dport: 80 });
      for (let d = 0; d < 20; d++) pkts.push({ src: ip(7, 7, 7, 7), dst: 5000 + d, dport: 80 });
      return makeBatch(pkts);
    });
    const schedule = [0.9, 0.3, 1, 0.6, 0.8, 1];
    const est: number[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const sampler = new FlowSampler(seed);
      sampler.startInterval();
      const q = new SuperSourcesQuery({ threshold: 1, k: 5 });
      batches.forEach((b, j) => {
        const h = sampler.hash(b, selectAll(b));
        const idx = new Uint32Array(b.count);
        let k = 0;
        for (let i = 0; i < b.count; i++) if (h[i]! <= flowThreshold(schedule[j]!)) idx[k++] = i;
        q.process(b, { idx, length: k }, { rate: schedule[j]!, intervalStartNs: 0n, flowHash: h });
      });
      const v = q.flush({ ...flush, finalRate: 0.3 }).value;
      est.push(v.top.find((x) => x.addr === '6.6.6.6')?.fanout ?? 0);
    }
    const mean = est.reduce((a, b) => a + b, 0) / est.length;
    const sd = Math.sqrt(est.reduce((a, b) => a + (b - mean) ** 2, 0) / (est.length - 1));
    assert.ok(sd > 0);
    assert.ok(Math.abs(mean - 300) <= 3 * (sd / Math.sqrt(est.length)), `mean fan-out ${mean} (sd ${sd}) vs 300`);
  });
});

describe('pattern-search', () => {
  it('counts packets containing each pattern once, scans every payload byte, and reports coverage', () => {
    const q = new PatternSearchQuery({ patterns: ['GET ', 'GE', 'xyz', '\xffSMB'] });
    const b = makeBatch([
      { src: 1, dst: 2, payload: latin('GET / HTTP/1.1 GET x') },
      { src: 1, dst: 2, payload: latin('xxxyz') },
      { src: 1, dst: 2, payload: latin('xy') },
      { src: 1, dst: 2, payload: latin('zz\xffSMB') },
      { src: 1, dst: 2, payload: latin('none') },
    ]);
    // Packet 2's payload "xy" is followed in the buffer by packet 3's bytes: a match must not cross packets.
    q.process(b, { idx: Uint32Array.from([0, 1, 2, 3]), length: 4 }, { rate: 0.8, intervalStartNs: 0n });
    const r = q.flush(flush);
    assert.deepEqual(
      r.value.patterns.map((p) => [p.pattern, p.packets]),
      [['GET ', 1], ['GE', 1], ['xyz', 1], ['\\xffSMB', 1]],
    );
    assert.equal(r.value.matchingPackets, 3);
    assert.equal(r.value.scannedBytes, 20 + 5 + 2 + 6);
    assert.equal(r.coverage, 0.8);
    assert.equal(r.correction, 'coverage');
  });
});

describe('high-watermark', () => {
  it('finds the busiest 10 ms slot and scales it by 1/p', () => {
    const q = new HighWatermarkQuery();
    const b = makeBatch(
      [
        { src: 1, dst: 2, len: 1000, offNs: 1e6 },
        { src: 1, dst: 2, len: 1000, offNs: 25e6 },
        { src: 1, dst: 2, len: 500, offNs: 29e6 },
        { src: 1, dst: 2, len: 100, offNs: 95e6 },
      ],
      100_000_000n,
    );
    q.process(b, selectAll(b), { rate: 0.5, intervalStartNs: 0n });
    const v = q.flush({ intervalStartNs: 0n, intervalEndNs: 1_000_000_000n, finalRate: 1 }).value;
    // Slot 12 (120..130 ms) holds 1500 B x 2 = 3000 B in 10 ms = 2.4 Mbit/s.
    assert.equal(v.peakSlotOffsetNs, 120e6);
    assert.equal(v.peakBps, 3000 * 8 * 100);
    assert.equal(v.peakSlotPackets, 2);
    assert.equal(v.meanBps, 2600 * 2 * 8);
  });
});

describe('trace and registry', () => {
  it('trace writes the kept packets to a pcap that reads back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadcast-trace-'));
    try {
      const path = join(dir, 'out.pcap');
      const q = await createTrace({ path });
      const b = makeBatch(
        [
          { src: 1, dst: 2, payload: latin('abcdefghijklmnopqrstuvwxyz0123456789'), len: 60 },
          { src: 1, dst: 2, payload: latin('0123456789abcdefghijklmnopqrstuvwxyz'), len: 60, linkType: 113 },
        ],
        1_600_000_000_000_000_000n,
      );
      q.process(b, selectAll(b), ctx);
      const r = q.flush(flush);
      await q.close();
      assert.equal(r.value.packets, 1);
      assert.equal(r.value.skippedLinkType, 1);
      let n = 0;
      for await (const rb of readBatches(path)) {
        for (let i = 0; i < rb.count; i++) {
          assert.deepEqual(rb.packetBytes(i), b.packetBytes(0));
          assert.equal(rb.timestampNs(i), b.timestampNs(0));
          assert.equal(rb.wireLen[i], 60);
          n++;
        }
      }
      assert.equal(n, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('createQueries builds every standard query by name and rejects bad lists', async () => {
    const qs = await createQueries('all');
    assert.deepEqual(qs.map((q) => q.name), STANDARD_QUERY_NAMES.filter((n) => n !== 'trace'));
    for (const q of qs) assert.ok(['packet', 'flow'].includes(q.sampling));
    await assert.rejects(createQueries(['counter', 'nope']), /unknown query 'nope'/);
    await assert.rejects(createQueries(['counter', 'counter']), /twice/);
    await assert.rejects(createQueries(['trace']), /needs an output file/);
  });

  it('formats IPv4-mapped and IPv6 addresses', () => {
    assert.equal(formatAddress([0, 0, 0xffff, ip(192, 168, 1, 2)], 0), '192.168.1.2');
    assert.equal(formatAddress([0x20010db8, 0, 0, 1], 0), '2001:db8::1');
    assert.equal(formatAddress([0xfe800000, 0, 0x02112233, 0x44556677], 0), 'fe80::211:2233:4455:6677');
  });
});
