/**
 * Feature-extraction speed: ns/packet of all 55 features (measure() of the full batch + endBatch()) side by
 * side with a plain scan (readBatches only) of the same trace, in three regimes:
 * - dense: shared real traces looped and sped up to ~1 Mpps (~100k packets per batch) with retimeTrace;
 * - flood on background (the shedding experiment's input, shortened): Tinba looped at 60 kpps for 12 s with a
 *   spoofed SYN flood of 120 kpps from 3 s to 9 s (injectAnomaly), ~6k-18k packets per batch; features also
 *   with 3 sampled selections per batch (the shedder's measure(sel) pattern), and with the 5 aggregates of
 *   `--features lite`;
 * - sparse: the 22 shared traces at their own timing (~14 packets per non-empty batch, many 1 s intervals).
 * Also: the worst case (in-memory spoofed flood, every packet a new source, 100k packets per batch), the
 * MRB-vs-HLL accuracy of "new" counts that decided the interval sketch, and the accuracy of the batch
 * sketch's unique counts. Prints one JSON object.
 *
 *   npx tsx bench/features.ts [--reps 3]
 */
import { mkdirSync, existsSync, readdirSync, statSync } from 'node:fs';
import { retimeTrace, readBatches, PacketBatch, traceInfo, type Selection } from '../src/capture/index.ts';
import { injectAnomaly } from '../src/anomaly/index.ts';
import { FeatureExtractor, MultiResolutionBitmap, HyperLogLog, FEATURE_MRB, BATCH_MRB, FEATURE_PRESETS, type AggregateName } from '../src/features/index.ts';
import { mix32 } from '../src/hash-mix.ts';
import { mrbBase, mrbSum } from '../src/features/mrb.ts';
import { Rng } from '../src/random.ts';

const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 3) || 3;
const OUT = '/tmp/loadcast-features-bench';
mkdirSync(OUT, { recursive: true });

/** [name, shared trace, loop, speed]: speeds chosen so the dense trace runs at ~1 Mpps (100k packets per batch). */
const TRACES: [string, string, number, number][] = [
  ['synflood-spoofed x20 @1Mpps', 'stopddos__pkt.TCP.synflood.spoofed.pcap', 20, 625],
  ['tinba (general) x30 @1Mpps', 'ustctfc2016__Tinba.pcap', 30, 80_000],
];

/** CPU time (user + system) in ns since `c0`: robust to other processes sharing the machine, unlike wall time. */
function cpuNs(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) * 1e3;
}

async function scan(path: string): Promise<{ ns: number; cpu: number; packets: number; batches: number; maxBatch: number }> {
  let packets = 0, batches = 0, maxBatch = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for await (const b of readBatches(path)) {
    packets += b.count;
    batches++;
    if (b.count > maxBatch) maxBatch = b.count;
  }
  return { ns: Number(process.hrtime.bigint() - t0), cpu: cpuNs(c0), packets, batches, maxBatch };
}

async function withFeatures(path: string): Promise<{ ns: number; cpu: number; featureNs: number; featureCpu: number; packets: number; saturated: number }> {
  const fx = new FeatureExtractor({ seed: 1 });
  const out = new Float64Array(55);
  let packets = 0, saturated = 0, featureNs = 0, featureCpu = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for await (const b of readBatches(path)) {
    const f0 = process.hrtime.bigint();
    const fc0 = process.cpuUsage();
    fx.beginBatch(b);
    fx.measure(undefined, out);
    saturated += fx.saturated;
    fx.endBatch();
    featureCpu += cpuNs(fc0);
    featureNs += Number(process.hrtime.bigint() - f0);
    packets += b.count;
  }
  return { ns: Number(process.hrtime.bigint() - t0), cpu: cpuNs(c0), featureNs, featureCpu, packets, saturated };
}

/**
 * A compact in-memory copy of the columns the features read (readBatches reuses its batch). Not
 * PacketBatch.clone(): that also copies every packet's captured bytes, which the features never read.
 */
function keep(b: PacketBatch): PacketBatch {
  const n = b.count;
  const c = new PacketBatch(Math.max(1, n), 16);
  c.startNs = b.startNs;
  c.durationNs = b.durationNs;
  c.count = n;
  c.capLen.set(b.capLen.subarray(0, n));
  c.ipVersion.set(b.ipVersion.subarray(0, n));
  c.proto.set(b.proto.subarray(0, n));
  c.srcPort.set(b.srcPort.subarray(0, n));
  c.dstPort.set(b.dstPort.subarray(0, n));
  c.src.set(b.src.subarray(0, 4 * n));
  c.dst.set(b.dst.subarray(0, 4 * n));
  return c;
}

/** Three 50 % packet samples of the batch (fixed hash of the index), as the shedder measures them. */
function samples(b: PacketBatch): Selection[] {
  const out: Selection[] = [];
  for (let s = 0; s < 3; s++) {
    const idx = new Uint32Array(Math.max(1, b.count));
    let m = 0;
    for (let i = 0; i < b.count; i++) if (Math.imul(i + 1 + 7919 * s, 0x9e3779b1) >>> 31 === 0) idx[m++] = i;
    out.push({ idx, length: m });
  }
  return out;
}

/**
 * CPU ns per packet of the features over in-memory batches (best of reps), optionally with sampled measures and
 * a subset of the aggregates (`--features lite`).
 */
function featuresInMemory(batches: PacketBatch[], sels: Selection[][] | null, aggregates?: readonly AggregateName[]): number {
  let best = Infinity;
  const out = new Float64Array(55);
  for (let r = 0; r < reps; r++) {
    const fx = new FeatureExtractor({ seed: 1, aggregates });
    let packets = 0;
    const c0 = process.cpuUsage();
    for (let j = 0; j < batches.length; j++) {
      const b = batches[j]!;
      fx.beginBatch(b);
      fx.measure(undefined, out);
      if (sels) for (const s of sels[j]!) fx.measure(s, out);
      fx.endBatch();
      packets += b.count;
    }
    best = Math.min(best, cpuNs(c0) / packets);
  }
  return round(best);
}

/** The shedding experiment's SYN-flood input, shortened: Tinba at 60 kpps for 12 s, +120 kpps SYN flood 3..9 s. */
async function floodOnBackground(): Promise<Record<string, unknown>> {
  const bg = `${OUT}/tinba-60kpps-12s.pcap`;
  const path = `${OUT}/tinba-60kpps-12s-synflood-120kpps.pcap`;
  if (!existsSync(path)) {
    const src = '../shared/data/pcap/ustctfc2016__Tinba.pcap';
    const info = await traceInfo(src);
    const loop = Math.ceil((60_000 * 12) / info.packets);
    const speed = (loop * info.durationS * (1 + 1 / info.packets)) / 12;
    await retimeTrace(src, bg, { loop, speed, seed: 1 });
    await injectAnomaly(bg, path, { kind: 'synflood', atNs: 3e9, forNs: 6e9, rate: 120_000, seed: 3 });
  }
  let bestScan = Infinity;
  for (let r = 0; r < reps; r++) {
    const s = await scan(path);
    bestScan = Math.min(bestScan, s.cpu / s.packets);
  }
  const batches: PacketBatch[] = [];
  for await (const b of readBatches(path)) batches.push(keep(b));
  const packets = batches.reduce((t, b) => t + b.count, 0);
  const attack = batches.slice(30, 90); // 3..9 s
  const background = batches.slice(0, 30).concat(batches.slice(90));
  const sels = batches.map(samples);
  return {
    trace: path,
    packets,
    batches: batches.length,
    meanBatchPackets: Math.round(packets / batches.length),
    scanCpuNsPerPacket: round(bestScan),
    featuresCpuNsPerPacket: featuresInMemory(batches, null),
    featuresCpuNsPerPacketBackgroundOnly: featuresInMemory(background, null),
    featuresCpuNsPerPacketFloodOnly: featuresInMemory(attack, null),
    featuresWith3SampledMeasuresCpuNsPerPacket: featuresInMemory(batches, sels),
    featuresWith3SampledMeasuresCpuNsPerPacketBackgroundOnly: featuresInMemory(background, background.map(samples)),
    featuresWith3SampledMeasuresCpuNsPerPacketFloodOnly: featuresInMemory(attack, attack.map(samples)),
    // The 5 aggregates of --features lite, same batches.
    featuresLiteCpuNsPerPacket: featuresInMemory(batches, null, FEATURE_PRESETS.lite),
    featuresLiteCpuNsPerPacketFloodOnly: featuresInMemory(attack, null, FEATURE_PRESETS.lite),
  };
}

/** All shared traces at their own timing: small batches, most of them the only one of their 1 s interval. */
async function sparseRegime(): Promise<Record<string, unknown>> {
  const dir = '../shared/data/pcap/';
  const files = readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
  let scanCpu = 0;
  const batches: PacketBatch[] = [];
  let empty = 0;
  for (const f of files) {
    const s = await scan(dir + f);
    scanCpu += s.cpu;
    for await (const b of readBatches(dir + f)) {
      if (b.count > 0) batches.push(keep(b));
      else empty++;
    }
  }
  const packets = batches.reduce((t, b) => t + b.count, 0);
  let intervals = 0;
  let last = -1n;
  for (const b of batches) {
    const iv = b.startNs / 1_000_000_000n;
    if (iv !== last) intervals++;
    last = iv;
  }
  return {
    traces: files.length,
    packets,
    nonEmptyBatches: batches.length,
    emptyBatchesSkipped: empty,
    intervals,
    meanBatchPackets: round(packets / batches.length),
    scanCpuNsPerPacket: round(scanCpu / packets),
    featuresCpuNsPerPacket: featuresInMemory(batches, null),
  };
}

function flood(): { nsPerPacket: number; packets: number } {
  const fx = new FeatureExtractor({ seed: 2 });
  const b = new PacketBatch(100_000);
  const n = 100_000;
  let best = Infinity;
  for (let j = 0; j < 20; j++) {
    b.reset(BigInt(j) * 100_000_000n, 1e8);
    for (let k = 0; k < n; k++) {
      const key = j * n + k;
      b.src.set([0, 0, 0xffff, Math.imul(key + 1, 0x9e3779b1) >>> 0], 4 * k);
      b.dst.set([0, 0, 0xffff, 0x0a000001], 4 * k);
      b.ipVersion[k] = 4;
      b.proto[k] = 6;
      b.srcPort[k] = key & 0xffff;
      b.dstPort[k] = 80;
      b.capLen[k] = 60;
    }
    b.count = n;
    const c0 = process.cpuUsage();
    fx.beginBatch(b);
    fx.measure();
    fx.endBatch();
    if (j >= 2) best = Math.min(best, cpuNs(c0) / n);
  }
  return { nsPerPacket: round(best), packets: 20 * n };
}

/** p99 relative error of "new" (k = n/10 keys added to an interval of n) for the MRB difference and HLL p=14. */
function newAccuracy(): Record<string, { mrbP99: number; hll14P99: number }> {
  const res: Record<string, { mrbP99: number; hll14P99: number }> = {};
  for (const n of [1e3, 1e4, 1e5, 1e6]) {
    const me: number[] = [], he: number[] = [];
    const trials = n >= 1e6 ? 20 : 60;
    for (let t = 0; t < trials; t++) {
      const seed = new Rng(t * 31 + n).nextU32();
      const s = new MultiResolutionBitmap(FEATURE_MRB);
      const h = new HyperLogLog(14);
      for (let k = 0; k < n; k++) { const x = mix32(Math.imul(k, 0x9e3779b1) ^ seed); s.add(x); h.add(x); }
      const z0 = Int32Array.from(s.zeros);
      const h0 = h.estimate();
      const add = n / 10;
      for (let k = n; k < n + add; k++) { const x = mix32(Math.imul(k, 0x9e3779b1) ^ seed); s.add(x); h.add(x); }
      const base = mrbBase(s.zeros, 0, FEATURE_MRB);
      me.push(Math.abs(mrbSum(s.zeros, 0, base, FEATURE_MRB) - mrbSum(z0, 0, base, FEATURE_MRB) - add) / add);
      he.push(Math.abs(h.estimate() - h0 - add) / add);
    }
    res[`n=${n},new=${n / 10}`] = { mrbP99: round(p99(me), 4), hll14P99: round(p99(he), 4) };
  }
  return res;
}

/** p99 relative error of the batch sketch's unique estimate (BATCH_MRB) at batch sizes up to 3x 1 Mpps. */
function batchUniqueAccuracy(): Record<string, number> {
  const res: Record<string, number> = {};
  for (const n of [100, 1e3, 1e4, 1e5, 3e5]) {
    const errs: number[] = [];
    for (let t = 0; t < 100; t++) {
      const seed = new Rng(t * 17 + n).nextU32();
      const s = new MultiResolutionBitmap(BATCH_MRB);
      for (let k = 0; k < n; k++) s.add(mix32(Math.imul(k, 0x9e3779b1) ^ seed));
      errs.push(Math.abs(s.estimate() - n) / n);
    }
    res[`n=${n}`] = round(p99(errs), 4);
  }
  return res;
}

function p99(a: number[]): number {
  const s = a.slice().sort((x, y) => x - y);
  return s[Math.max(0, Math.ceil(0.99 * s.length) - 1)]!;
}
function round(x: number, d = 1): number {
  return Math.round(x * 10 ** d) / 10 ** d;
}

const traces: Record<string, unknown>[] = [];
for (const [name, file, loop, speed] of TRACES) {
  const dense = `${OUT}/features-${file.replace(/\W+/g, '_')}-x${loop}-s${speed}.pcap`;
  if (!existsSync(dense)) await retimeTrace(`../shared/data/pcap/${file}`, dense, { loop, speed, seed: 1 });
  let bestScan = Infinity, bestTotal = Infinity, bestFeat = Infinity;
  let bestScanCpu = Infinity, bestTotalCpu = Infinity, bestFeatCpu = Infinity;
  let info = { packets: 0, batches: 0, maxBatch: 0 }, saturated = 0;
  for (let r = 0; r < reps; r++) {
    const s = await scan(dense);
    info = s;
    bestScan = Math.min(bestScan, s.ns / s.packets);
    bestScanCpu = Math.min(bestScanCpu, s.cpu / s.packets);
    const f = await withFeatures(dense);
    saturated = f.saturated;
    bestTotal = Math.min(bestTotal, f.ns / f.packets);
    bestFeat = Math.min(bestFeat, f.featureNs / f.packets);
    bestTotalCpu = Math.min(bestTotalCpu, f.cpu / f.packets);
    bestFeatCpu = Math.min(bestFeatCpu, f.featureCpu / f.packets);
  }
  traces.push({
    name,
    source: file,
    denseTrace: dense,
    bytes: statSync(dense).size,
    packets: info.packets,
    batches: info.batches,
    maxBatchPackets: info.maxBatch,
    scanNsPerPacket: round(bestScan),
    scanPlusFeaturesNsPerPacket: round(bestTotal),
    featuresNsPerPacket: round(bestFeat),
    scanCpuNsPerPacket: round(bestScanCpu),
    scanPlusFeaturesCpuNsPerPacket: round(bestTotalCpu),
    featuresCpuNsPerPacket: round(bestFeatCpu),
    saturated,
  });
}

const result = {
  bench: 'features',
  note:
    'best of reps; features* = beginBatch + measure(all) + endBatch timed per batch (all 55 features); *Cpu* = process CPU time ' +
    '(user+sys), the fair figure when other processes share the machine; the plain ones are wall time; floodOnBackground and ' +
    'sparseRegime time the features over in-memory copies of the batches (scan figures are the separate read pass)',
  loadAverage1m: (await import('node:os')).loadavg()[0],
  node: process.version,
  reps,
  targetNsPerPacket: 100,
  traces,
  floodOnBackground: await floodOnBackground(),
  sparseRegime: await sparseRegime(),
  worstCaseFlood100kNewSourcesPerBatchCpuNs: flood(),
  newCountAccuracy: newAccuracy(),
  batchUniqueP99RelError: batchUniqueAccuracy(),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
