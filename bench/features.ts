/**
 * Feature-extraction speed: ns/packet of all 55 features (measure() of the full batch + endBatch()) side by
 * side with a plain scan (readBatches only) of the same dense trace, built in /tmp by looping and speeding up
 * shared real traces with the capture layer's retimeTrace. Also: the worst case (in-memory spoofed flood,
 * every packet a new source, 100k packets per batch), the MRB-vs-HLL accuracy of "new" counts that decided
 * the interval sketch, and the accuracy of the batch sketch's unique counts. Prints one JSON object.
 *
 *   npx tsx bench/features.ts [--reps 3]
 */
import { mkdirSync, existsSync, statSync } from 'node:fs';
import { retimeTrace, readBatches, PacketBatch } from '../src/capture/index.ts';
import { FeatureExtractor, MultiResolutionBitmap, HyperLogLog, FEATURE_MRB, BATCH_MRB } from '../src/features/index.ts';
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
    '(user+sys), the fair figure when other processes share the machine; the plain ones are wall time',
  loadAverage1m: (await import('node:os')).loadavg()[0],
  node: process.version,
  reps,
  targetNsPerPacket: 100,
  traces,
  worstCaseFlood100kNewSourcesPerBatchCpuNs: flood(),
  newCountAccuracy: newAccuracy(),
  batchUniqueP99RelError: batchUniqueAccuracy(),
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
