/**
 * Capture scan benchmark: read + decode + batch (100 ms) of a >= 5 M-packet trace, side by side with
 * `tcpdump -r FILE -w /dev/null` in the same run (alternating rounds), plus peak resident memory while scanning
 * a ~1 GB trace. The traces are the dense capture traces of bench/lib/dense-traces.ts (the StopDDoS SYN flood
 * looped 140 and 360 times at 1 Mpps of trace time, so ~100 k-packet batches), built at bench time in /tmp.
 *
 *   npx tsx bench/capture-scan.ts [--rounds 3] [--no-big]
 *
 * Prints one JSON object. Wall-clock rates depend on machine load (reported as loadavg); CPU-time rates
 * (user + sys of the process doing the work) are less sensitive to other processes.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readBatches } from '../src/capture/index.ts';
import { captureTrace } from './lib/dense-traces.ts';
import { median, timeTool } from './lib/reference-tools.ts';

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 3) || 3;
const big = !args.includes('--no-big');

async function scan(path: string): Promise<{ packets: number; batches: number; wall: number; cpu: number; peakRss: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let packets = 0, batches = 0, peakRss = process.memoryUsage.rss();
  for await (const b of readBatches(path)) {
    packets += b.count;
    if ((++batches & 63) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return { packets, batches, wall, cpu: (c.user + c.system) / 1e6, peakRss };
}

function tcpdump(path: string): { wall: number; cpu: number; maxRssKb: number } {
  const t = timeTool('tcpdump', ['-r', path, '-w', '/dev/null']);
  return { wall: t.wallS, cpu: t.cpuS, maxRssKb: t.maxRssKb };
}

const trace = await captureTrace(140);
execFileSync('cat', [trace.path], { stdio: ['ignore', 'ignore', 'ignore'] }); // warm the page cache
const ours: Awaited<ReturnType<typeof scan>>[] = [];
const ref: ReturnType<typeof tcpdump>[] = [];
const load0 = loadavg()[0]!;
await scan(trace.path); // JIT warm-up round, not reported
for (let r = 0; r < rounds; r++) {
  ref.push(tcpdump(trace.path));
  ours.push(await scan(trace.path));
}
const n = trace.packets;
const oursWall = median(ours.map((o) => n / o.wall / 1e6));
const refWall = median(ref.map((o) => n / o.wall / 1e6));
const oursCpu = median(ours.map((o) => n / o.cpu / 1e6));
const refCpu = median(ref.map((o) => n / o.cpu / 1e6));

let memory: Record<string, number> | undefined;
if (big) {
  const t = await captureTrace(360);
  const m = await scan(t.path);
  memory = { traceBytes: t.bytes, packets: m.packets, peakRssMB: Math.round(m.peakRss / 2 ** 20), mpps: m.packets / m.wall / 1e6 };
}

console.log(JSON.stringify({
  trace: { path: trace.path, packets: n, bytes: trace.bytes, source: trace.source, built: trace.recipe },
  rounds,
  loadavgBefore: load0,
  loadavgAfter: loadavg()[0],
  loadcastScan: {
    mppsWallMedian: oursWall,
    mppsWallBest: Math.max(...ours.map((o) => n / o.wall / 1e6)),
    mppsCpuMedian: oursCpu,
    batches: ours[0]!.batches,
    packetsPerBatch: Math.round(n / ours[0]!.batches),
    peakRssMB: Math.round(Math.max(...ours.map((o) => o.peakRss)) / 2 ** 20),
  },
  tcpdump: {
    mppsWallMedian: refWall,
    mppsWallBest: Math.max(...ref.map((o) => n / o.wall / 1e6)),
    mppsCpuMedian: refCpu,
    maxRssMB: Math.round(Math.max(...ref.map((o) => o.maxRssKb)) / 1024),
  },
  ratioWall: oursWall / refWall,
  ratioCpu: oursCpu / refCpu,
  memory1GB: memory,
}, null, 2));
