/**
 * Distinct-flow estimation under PACKET sampling (sampled-distinct.ts, used by active-flows and flows): on real
 * traces and on background + injected SYN flood, at fixed rates 0.1..0.8 and with the rate changing batch by
 * batch inside the interval, the mean over 200 seeds of the corrected count (summed over the trace's 1 s
 * intervals) is close to the truth, and far closer than the uncorrected count. Each trace is cut after the batch
 * that reaches 8k packets to keep the file fast (the spoofed flood's first 100 ms batch alone holds 14k). The
 * measured bias (% and standard errors) and the single-run RMS error are printed as diagnostics
 * (`node --import tsx --test test/queries/sampled-distinct.test.ts`). A second suite rebuilds the shedding
 * experiment's P2P case at a smaller scale (the gnutella trace looped and sped up, so whole P2P flows fall inside
 * each 1 s interval, plus a spoofed SYN flood of ~8 times as many flows): the case whose -4.7% bias at the
 * experiment's rate ~0.2 the two-class fit of sampled-distinct.ts removes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { injectAnomaly } from '../../src/anomaly/index.ts';
import { type PacketBatch, readBatches, retimeTrace, selectAll, traceInfo } from '../../src/capture/index.ts';
import {
  ActiveFlowsQuery,
  FlowsQuery,
  SampledDistinct,
  SuperSourcesQuery,
  recordSampledPacket,
  unseenRatio,
} from '../../src/queries/index.ts';
import type { FlushContext } from '../../src/queries/query.ts';
import { PacketSampler } from '../../src/shed/packet-sampler.ts';
import { makeBatch } from './helpers.ts';

const DIR = '../shared/data/pcap';
const SEEDS = 200;
const MAX_PACKETS = 8000;
const INTERVAL_NS = 1_000_000_000n;

interface Trace {
  name: string;
  /** Batches grouped by 1 s interval. */
  intervals: PacketBatch[][];
  /** Exact active flows summed over the intervals. */
  truth: number;
}

async function load(path: string, name: string): Promise<Trace> {
  const intervals: PacketBatch[][] = [];
  let cur: bigint | undefined;
  let packets = 0;
  for await (const b of readBatches(path)) {
    if (packets >= MAX_PACKETS) break;
    if (b.count === 0) continue;
    const iv = b.startNs / INTERVAL_NS;
    if (iv !== cur) intervals.push([]);
    cur = iv;
    intervals.at(-1)!.push(b.clone());
    packets += b.count;
  }
  const q = new ActiveFlowsQuery();
  const truth = run(q, intervals, () => ({ rate: 1, sel: undefined }));
  return { name, intervals, truth };
}

const FLUSH: FlushContext = { intervalStartNs: 0n, intervalEndNs: INTERVAL_NS, finalRate: 1 };

/** Runs one query over every interval; returns the sum of `flows` (active-flows) or `records` (flows). */
function run(
  q: ActiveFlowsQuery | FlowsQuery,
  intervals: PacketBatch[][],
  pick: (b: PacketBatch, j: number) => { rate: number; sel: ReturnType<PacketSampler['sample']> | undefined },
): number {
  let total = 0;
  let j = 0;
  for (const iv of intervals) {
    for (const b of iv) {
      const { rate, sel } = pick(b, j++);
      q.process(b, sel ?? selectAll(b), { rate, intervalStartNs: 0n });
    }
    const v = q.flush(FLUSH).value as { flows?: number; records?: number };
    total += v.flows ?? v.records!;
  }
  return total;
}

const SCHEDULES: Record<string, readonly number[]> = {
  '0.1': [0.1],
  '0.3': [0.3],
  '0.8': [0.8],
  // Rate changing every batch (several changes inside every 1 s interval of 10 batches).
  'mixed 0.1..0.8': [0.5, 0.1, 0.8, 0.3, 0.6, 0.2, 0.4],
};

interface Measured {
  biasPct: number;
  biasSe: number;
  rmsPct: number;
  rawBiasPct: number;
}

/** `seeds` seeds (default 200) of one trace under one rate schedule. */
function measure(t: Trace, schedule: readonly number[], seeds = SEEDS): Measured {
  const q = new ActiveFlowsQuery();
  const est: number[] = [];
  let raw = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const s = new PacketSampler(seed);
    let seen = 0;
    let j = 0;
    for (const iv of t.intervals) {
      for (const b of iv) {
        const rate = schedule[j++ % schedule.length]!;
        q.process(b, s.sample(b, selectAll(b), rate), { rate, intervalStartNs: 0n });
      }
      const r = q.flush(FLUSH);
      assert.equal(r.correction, 'sampled-distinct');
      seen += r.value.sampledFlows;
      est.push(r.value.flows);
    }
    raw += seen;
  }
  // est holds per-interval values; sum them per seed.
  const per = t.intervals.length;
  const sums: number[] = [];
  for (let k = 0; k < seeds; k++) sums.push(est.slice(k * per, (k + 1) * per).reduce((a, b) => a + b, 0));
  const mean = sums.reduce((a, b) => a + b, 0) / seeds;
  const sd = Math.sqrt(sums.reduce((a, b) => a + (b - mean) ** 2, 0) / (seeds - 1));
  const rms = Math.sqrt(sums.reduce((a, b) => a + (b - t.truth) ** 2, 0) / seeds);
  return {
    biasPct: (100 * (mean - t.truth)) / t.truth,
    biasSe: (mean - t.truth) / (sd / Math.sqrt(seeds)),
    rmsPct: (100 * rms) / t.truth,
    rawBiasPct: (100 * (raw / seeds - t.truth)) / t.truth,
  };
}

const traces: Trace[] = [];
let tmp = '';

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'loadcast-distinct-'));
  const merged = join(tmp, 'gnutella+synflood.pcap');
  // Background P2P traffic with a 20 pkt/s spoofed SYN flood from 5 s to 65 s: mixed flow sizes, about a third
  // of the flows one-packet SYNs.
  await injectAnomaly(join(DIR, 'ndpi__gnutella.pcap'), merged, { kind: 'synflood', atNs: 5e9, forNs: 60e9, rate: 20, seed: 3 });
  for (const [file, name] of [
    ['stopddos__pkt.TCP.synflood.spoofed.pcap', 'synflood.spoofed'],
    ['cicddos2019__CIC-DDoS-2019-SynFlood.pcap', 'cicddos2019 SynFlood'],
    ['ustctfc2016__Tinba.pcap', 'Tinba'],
    ['ndpi__gnutella.pcap', 'gnutella'],
  ] as const) {
    traces.push(await load(join(DIR, file), name));
  }
  traces.push(await load(merged, 'gnutella + SYN flood'));
  await buildP2p();
});

/**
 * The shedding experiment's P2P case (src/experiments/shedding-inputs.ts) scaled down: gnutella repeated 6 times
 * over 3 s (new addresses per repetition, so ~1,900 whole P2P flows per second, as the experiment's ~15 copies per
 * second hold whole flows), with a SYN flood of 15,500 packets/s over the whole 3 s, synthetic (one SYN per
 * spoofed flow) or the real StopDDoS capture looped and sped up: one-SYN flood flows against P2P flows whose
 * connection attempts carry 3 or 7 retransmitted SYNs and whose other packets number 1 to ~30.
 */
const p2p: Trace[] = [];

async function buildP2p(): Promise<void> {
  const src = join(DIR, 'ndpi__gnutella.pcap');
  const loop = 6;
  const seconds = 3;
  const flood = 15500;
  const info = await traceInfo(src);
  const span = info.durationS * (1 + 1 / info.packets);
  const bg = join(tmp, 'p2p-background.pcap');
  await retimeTrace(src, bg, { loop, speed: (loop * span) / seconds, seed: 1 });
  const syn = join(tmp, 'p2p-synflood.pcap');
  await injectAnomaly(bg, syn, { kind: 'synflood', atNs: 0, forNs: seconds * 1e9, rate: flood, seed: 3 });
  const attack = join(DIR, 'stopddos__pkt.TCP.synflood.spoofed.pcap');
  const a = await traceInfo(attack);
  const real = join(tmp, 'p2p-realflood.pcap');
  await injectAnomaly(bg, real, { attackPcap: attack, atNs: 0, forNs: seconds * 1e9, speed: flood / (a.packets / a.durationS), loop: true, seed: 3 });
  for (const [path, name] of [
    [bg, 'P2P'],
    [syn, 'P2P + synthetic SYN flood'],
    [real, 'P2P + real SYN flood'],
  ] as const) {
    p2p.push(await loadWhole(path, name));
  }
}

/** The whole trace, in 1 s intervals from its first packet. */
async function loadWhole(path: string, name: string): Promise<Trace> {
  const intervals: PacketBatch[][] = [];
  let cur: bigint | undefined;
  let t0: bigint | undefined;
  for await (const b of readBatches(path)) {
    if (b.count === 0) continue;
    t0 ??= b.startNs;
    const iv = (b.startNs - t0) / INTERVAL_NS;
    if (iv !== cur) intervals.push([]);
    cur = iv;
    intervals.at(-1)!.push(b.clone());
  }
  const truth = run(new ActiveFlowsQuery(), intervals, () => ({ rate: 1, sel: undefined }));
  return { name, intervals, truth };
}

after(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

/**
 * Bias bounds asserted (the measured values are printed; see sampled-distinct.ts for why they are what they
 * are): the two-class fit is a little high on wide mixtures of flow sizes (1- to 100-packet P2P flows), and at
 * p = 0.1 intervals holding only tens of flows (gnutella: ~9 per second) are biased high.
 */
function maxBias(trace: string, schedule: string): number {
  // gnutella in 1 s intervals holds ~9 flows per interval: lambda is fitted on a handful of keys (+7.3%), and the
  // floor at the keys seen (sampledDistinctEstimate) lifts the intervals that came out below it (+0.8 points).
  if (schedule === '0.1' && trace.startsWith('gnutella')) return 9;
  return 2.5;
}

describe('active-flows under packet sampling (200 seeds per trace and rate schedule)', () => {
  it('is close to the truth on real traces and a merged SYN flood, and far better than uncorrected', (t) => {
    assert.equal(traces.length, 5);
    const rows: string[] = ['trace | flows | schedule | bias % | bias SE | single-run RMS % | uncorrected %'];
    const results: { trace: string; truth: number; schedule: string; m: Measured }[] = [];
    for (const tr of traces) {
      assert.ok(tr.truth > 500, `${tr.name}: ${tr.truth} flows`);
      for (const [schedule, rates] of Object.entries(SCHEDULES)) {
        const m = measure(tr, rates);
        results.push({ trace: tr.name, truth: tr.truth, schedule, m });
        rows.push(
          `${tr.name} | ${tr.truth} | ${schedule} | ${m.biasPct.toFixed(2)} | ${m.biasSe.toFixed(1)} | ${m.rmsPct.toFixed(2)} | ${m.rawBiasPct.toFixed(1)}`,
        );
      }
    }
    for (const r of rows) t.diagnostic(r);
    for (const { trace, schedule, m } of results) {
      assert.ok(Math.abs(m.biasPct) <= maxBias(trace, schedule), `${trace} at ${schedule}: bias ${m.biasPct.toFixed(2)}%`);
      // The correction must matter: uncorrected is low by roughly the share of flows missed.
      assert.ok(Math.abs(m.biasPct) < Math.abs(m.rawBiasPct) / 3, `${trace} at ${schedule}`);
      if (trace === 'synflood.spoofed') {
        // The shedding experiment's case (spoofed SYN flood): within 1% on average, within 5% in a single run.
        assert.ok(Math.abs(m.biasPct) <= 1, `synflood.spoofed at ${schedule}: bias ${m.biasPct.toFixed(2)}%`);
        assert.ok(m.rmsPct < 5, `synflood.spoofed at ${schedule}: single-run RMS ${m.rmsPct.toFixed(2)}%`);
      }
    }
  });

  it('flows (record count) uses the same estimator', () => {
    const tr = traces.find((x) => x.name === 'synflood.spoofed')!;
    let sum = 0;
    const n = 20;
    for (let seed = 1; seed <= n; seed++) {
      const s = new PacketSampler(seed);
      sum += run(new FlowsQuery(), tr.intervals, (b) => ({ rate: 0.2, sel: s.sample(b, selectAll(b), 0.2) }));
    }
    assert.ok(Math.abs(sum / n - tr.truth) / tr.truth < 0.02, `flows records mean ${sum / n} vs ${tr.truth}`);
  });

  it('super-sources: fan-out of a P2P host and of a backscatter source (whole trace as one interval)', async (t) => {
    // A P2P host's destinations mix one-packet probes with long transfers: the two-class fit is an upper bound
    // there (measured +3.0% at 0.3, +5.7% on the backscatter source; Chao1 alone gave -14% and -2.8%), and it
    // removes most of the uncorrected bias.
    for (const [file, addr, exact] of [
      ['ndpi__gnutella.pcap', '10.0.2.15', 508],
      ['malcolm__backscatter.trace.pcap', '202.229.120.98', 511],
    ] as const) {
      const bs: PacketBatch[] = [];
      for await (const b of readBatches(join(DIR, file))) if (b.count > 0) bs.push(b.clone());
      const fan = (q: SuperSourcesQuery): number => q.flush(FLUSH).value.top.find((x) => x.addr === addr)?.fanout ?? 0;
      const q = new SuperSourcesQuery({ k: 1 });
      // Fed the same sampled packets at rate 1: the uncorrected fan-out (distinct destinations seen).
      const rawQ = new SuperSourcesQuery({ k: 1 });
      for (const b of bs) q.process(b, selectAll(b), { rate: 1, intervalStartNs: 0n });
      assert.equal(fan(q), exact);
      for (const [name, rates] of [['0.3', [0.3]], ['mixed', SCHEDULES['mixed 0.1..0.8']!]] as const) {
        const xs: number[] = [];
        let raw = 0;
        for (let seed = 1; seed <= SEEDS; seed++) {
          const s = new PacketSampler(seed);
          bs.forEach((b, j) => {
            const rate = rates[j % rates.length]!;
            const sel = s.sample(b, selectAll(b), rate);
            q.process(b, sel, { rate, intervalStartNs: 0n });
            rawQ.process(b, sel, { rate: 1, intervalStartNs: 0n });
          });
          xs.push(fan(q));
          raw += fan(rawQ);
        }
        const mean = xs.reduce((a, b) => a + b, 0) / SEEDS;
        const se = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (SEEDS - 1) / SEEDS);
        const bias = (mean - exact) / exact;
        const rawBias = (raw / SEEDS - exact) / exact;
        t.diagnostic(
          `super-sources ${file} ${addr} at ${name}: fan-out ${mean.toFixed(1)} vs ${exact}: ${(100 * bias).toFixed(2)}% ` +
            `(${((mean - exact) / se).toFixed(1)} SE), uncorrected ${(100 * rawBias).toFixed(1)}%`,
        );
        assert.ok(Math.abs(bias) < Math.abs(rawBias) / 2, `${file} at ${name}: ${mean} vs ${exact}`);
      }
    }
  });

  it('is exact unsampled (every weight is 1 at rate 1)', () => {
    for (const tr of traces) {
      assert.equal(run(new ActiveFlowsQuery(), tr.intervals, () => ({ rate: 1, sel: undefined })), tr.truth);
    }
  });
});

describe('active-flows under packet sampling on a P2P background with a SYN flood (the shedding experiment)', () => {
  it('is unbiased within 1% at the flood rates 0.43 and 0.2 (Chao1 alone: -1.7% and -4.7%)', (t) => {
    assert.equal(p2p.length, 3);
    const results: { trace: string; rate: number; m: Measured }[] = [];
    for (const tr of p2p) {
      assert.ok(tr.truth > 4000, `${tr.name}: ${tr.truth} flows`);
      for (const rate of [0.43, 0.2]) {
        const m = measure(tr, [rate], 100);
        results.push({ trace: tr.name, rate, m });
        t.diagnostic(
          `${tr.name} | ${tr.truth} | ${rate} | bias ${m.biasPct.toFixed(2)}% (${m.biasSe.toFixed(1)} SE) | single-run RMS ${m.rmsPct.toFixed(2)}% | uncorrected ${m.rawBiasPct.toFixed(1)}%`,
        );
      }
    }
    for (const { trace, rate, m } of results) {
      if (trace !== 'P2P') assert.ok(Math.abs(m.biasPct) <= 1, `${trace} at ${rate}: bias ${m.biasPct.toFixed(2)}%`);
    }
    for (const { trace, rate, m } of results) {
      // P2P alone (rest-part sizes 1 to ~30, no flood): the two-class fit is an upper bound of the unseen flows
      // there, as Chao1 is a lower one (-7.3% at 0.43, -19.5% at 0.2): high, but by less.
      if (trace === 'P2P') assert.ok(m.biasPct > 0 && m.biasPct <= (rate === 0.43 ? 3 : 10), `${trace} at ${rate}: bias ${m.biasPct.toFixed(2)}%`);
    }
  });
});

describe('SampledDistinct', () => {
  const cols = (packets: readonly { syn: boolean; rate: number }[]): Float64Array => {
    const v = new Float64Array(3);
    for (const p of packets) recordSampledPacket(v, 0, p.syn, unseenRatio(p.rate));
    return v;
  };

  it('counts every key once at rate 1, whatever its packets', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }), { maxLength: 40 }), (keys) => {
        const d = new SampledDistinct();
        for (const k of keys) d.add(cols(k.map((syn) => ({ syn, rate: 1 }))), 0);
        assert.equal(d.estimate(), keys.length);
      }),
      { seed: 343 },
    );
  });

  it('weighs one-packet keys 1/p (Horvitz-Thompson), SYN or not, at varying rates', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.double({ min: 0.01, max: 1, noNaN: true })), { maxLength: 40 }), (keys) => {
        const d = new SampledDistinct();
        let ht = 0;
        for (const [syn, rate] of keys) {
          d.add(cols([{ syn, rate }]), 0);
          ht += 1 / rate;
        }
        assert.ok(Math.abs(d.estimate() - ht) <= 1e-9 * Math.max(1, ht));
      }),
      { seed: 353 },
    );
  });

  it('never estimates fewer keys than it saw, however thin the rates (a key seen in both parts can weigh < 0)', () => {
    // 50 keys seen once in each part at rate 1e-3 (the controller's lowest refined rate): each weighs
    // 1 - lS sS lR sR with s = 999, about -1e6 when the lambdas are near 1. The estimate is floored at the 52 seen.
    const d = new SampledDistinct();
    for (let k = 0; k < 50; k++) d.add(cols([{ syn: true, rate: 1e-3 }, { syn: false, rate: 1e-3 }]), 0);
    d.add(cols([{ syn: true, rate: 1e-3 }]), 0);
    d.add(cols([{ syn: false, rate: 1e-3 }]), 0);
    const { syn, rest } = d.lambdas();
    assert.ok(syn > 0.9 && rest > 0.9, `lambdas ${syn} ${rest}`);
    assert.equal(d.estimate(), 52);
    // Where the estimate is above the keys seen it is unchanged: 50 one-SYN keys (weight 1 + s = 2 at rate 0.5)
    // and 10 keys seen once in each part (weight 1: no rest-only singleton, so the rest part's lambda is 0).
    const e = new SampledDistinct();
    for (let k = 0; k < 50; k++) e.add(cols([{ syn: true, rate: 0.5 }]), 0);
    for (let k = 0; k < 10; k++) e.add(cols([{ syn: true, rate: 0.5 }, { syn: false, rate: 0.5 }]), 0);
    assert.ok(Math.abs(e.estimate() - 110) < 1e-9, String(e.estimate()));
  });

  it('a key kept at rate 1 is surely seen: weight 1 whatever it got at lower rates', () => {
    const d = new SampledDistinct();
    d.add(cols([{ syn: false, rate: 1 }, { syn: true, rate: 0.1 }]), 0);
    d.add(cols([{ syn: false, rate: 0.1 }, { syn: false, rate: 1 }]), 0);
    // A one-packet key at 0.1 alongside: lambda = 1 for both parts, so only it is scaled (1 / 0.1).
    d.add(cols([{ syn: false, rate: 0.1 }]), 0);
    assert.ok(Math.abs(d.estimate() - 12) < 1e-9);
  });

  it('sums of per-key weights equal the estimate', () => {
    const d = new SampledDistinct();
    const keys = [
      cols([{ syn: true, rate: 0.2 }]),
      cols([{ syn: true, rate: 0.2 }, { syn: false, rate: 0.5 }]),
      cols([{ syn: false, rate: 0.3 }]),
      cols([{ syn: false, rate: 0.3 }, { syn: false, rate: 0.1 }]),
      cols([{ syn: true, rate: 0.2 }, { syn: true, rate: 0.4 }]),
      cols([{ syn: true, rate: 0.2 }, { syn: true, rate: 0.4 }, { syn: false, rate: 0.4 }]),
      cols([{ syn: true, rate: 0.2 }, { syn: true, rate: 0.4 }, { syn: true, rate: 0.3 }]),
      cols([{ syn: false, rate: 0.5 }, { syn: false, rate: 0.5 }, { syn: false, rate: 0.5 }]),
    ];
    for (const k of keys) d.add(k, 0);
    const { syn, rest } = d.lambdas();
    assert.ok(syn > 0 && syn < 1 && rest > 0 && rest < 1);
    const sum = keys.reduce((a, k) => a + SampledDistinct.weight(k, 0, syn, rest), 0);
    assert.ok(Math.abs(sum - d.estimate()) < 1e-9);
  });

  it('active-flows counts flows evicted from a full table in the estimate', () => {
    // 300 one-SYN flows sampled at 0.5 through a table of 64: every one is weighed 1/0.5 whether held or evicted.
    const pkts = Array.from({ length: 300 }, (_, f) => ({ src: 0x0a000000 + f, dst: 0xc0a80001, sport: 1000 + f, dport: 80 }));
    const b = makeBatch(pkts);
    for (let i = 0; i < b.count; i++) b.tcpFlags[i] = 2;
    const q = new ActiveFlowsQuery({ maxFlows: 64 });
    q.process(b, selectAll(b), { rate: 0.5, intervalStartNs: 0n });
    const v = q.flush(FLUSH).value;
    assert.ok(v.evictions > 0);
    assert.equal(v.flows, 600);
  });
});
