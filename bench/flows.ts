/**
 * Benchmark: the `flows` query (per-5-tuple records in a FlowTable), unsampled, on a dense trace, side by side
 * with argus (`argus -r FILE -w /dev/null`, Debian's flow monitor in C) on the same pcap in the same run.
 *
 * Inputs (built once into /tmp/loadcast-bench-flows, ~2.1 M packets each, about 1 Mpps of trace time), each a real
 * trace replayed back to back with `retimeTrace` (every repetition gets its own address mapping, so its flows are
 * new flows):
 *   mixed  five general Ethernet traces (nDPI netflix + gnutella + bitcoin, Malcolm wannacry, ESnet nmap), each
 *          first squeezed into the same 1 s and merged (11.6 k packets, ~1.3 k flows, ~9 packets per flow);
 *          ~110 k flows per 1 s interval.
 *   flood  the CIC-DDoS2019 SYN-flood slice (26,316 packets, 13,122 flows, 2 packets per flow): the worst case
 *          for a flow table, ~500 k flows per 1 s interval.
 * Intervals are 1 s of trace time (flush included in the query time).
 *
 * Reported rates (median of `RUNS` runs):
 *   flowsQueryMpps   packets / time inside FlowsQuery.process + flush (the query alone); flowsQueryCpuMpps:
 *                    the same with process CPU time (process.cpuUsage around each call, ~1 us per batch)
 *   endToEndMpps     packets / wall time of read + decode + batch + flows query (what argus does: read + flows)
 *   argusWallMpps    packets / argus wall time;  argusCpuMpps: packets / argus user+sys CPU time
 *   endToEndCpuMpps  packets / process CPU time of the same (robust to other load on the machine)
 * Usage: npx tsx bench/flows.ts [--runs N] [--packets N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mergeTraces, readBatches, retimeTrace } from '../src/capture/index.ts';
import { FlowsQuery } from '../src/queries/index.ts';

const DATA = '../shared/data/pcap';
const FLOOD = `${DATA}/cicddos2019__CIC-DDoS-2019-SynFlood.pcap`;
const MIXED = ['ndpi__netflix.pcap', 'ndpi__gnutella.pcap', 'ndpi__bitcoin.pcap', 'malcolm__wannacry.pcap', 'esnet__nmap_80_all.pcap'];
const ARGUS = '/usr/sbin/argus';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('--runs', 3);
const TARGET_PACKETS = arg('--packets', 2_100_000);
const INTERVAL_NS = 1_000_000_000n;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function ours(
  file: string,
): Promise<{ packets: number; queryNs: number; queryCpuUs: number; wallNs: number; cpuUs: number; records: number; maxRecords: number }> {
  const q = new FlowsQuery();
  let packets = 0;
  let queryNs = 0n;
  let queryCpuUs = 0;
  let cur: bigint | undefined;
  let records = 0;
  let maxRecords = 0;
  const idx = new Uint32Array(1 << 20);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const flush = (start: bigint): void => {
    const a = process.hrtime.bigint();
    const ca = process.cpuUsage();
    const r = q.flush({ intervalStartNs: start, intervalEndNs: start + INTERVAL_NS, finalRate: 1 });
    const cb = process.cpuUsage(ca);
    queryNs += process.hrtime.bigint() - a;
    queryCpuUs += cb.user + cb.system;
    records += r.value.records;
    maxRecords = Math.max(maxRecords, r.value.records);
  };
  for await (const b of readBatches(file)) {
    const start = (b.startNs / INTERVAL_NS) * INTERVAL_NS;
    if (cur !== undefined && start !== cur) flush(cur);
    cur = start;
    for (let i = 0; i < b.count; i++) idx[i] = i;
    const a = process.hrtime.bigint();
    const ca = process.cpuUsage();
    q.process(b, { idx, length: b.count }, { rate: 1, intervalStartNs: start });
    const cb = process.cpuUsage(ca);
    queryNs += process.hrtime.bigint() - a;
    queryCpuUs += cb.user + cb.system;
    packets += b.count;
  }
  if (cur !== undefined) flush(cur);
  const wallNs = Number(process.hrtime.bigint() - t0);
  const c = process.cpuUsage(c0);
  return { packets, queryNs: Number(queryNs), queryCpuUs, wallNs, cpuUs: c.user + c.system, records, maxRecords };
}

function argus(file: string): { wallS: number; cpuS: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ARGUS, '-r', file, '-w', '/dev/null'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`argus failed (${r.status}): ${r.stderr}`);
  const [e, u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallS: e!, cpuS: u! + s! };
}

/** First and last packet time (ns) and packet count of a trace. */
async function span(file: string): Promise<{ first: bigint; last: bigint; packets: number }> {
  let first = -1n;
  let last = 0n;
  let packets = 0;
  for await (const b of readBatches(file, { maxGapNs: Infinity, binNs: 1e12 })) {
    for (let i = 0; i < b.count; i++) {
      const t = b.timestampNs(i);
      if (first < 0n || t < first) first = t;
      if (t > last) last = t;
    }
    packets += b.count;
  }
  return { first, last, packets };
}

/** Loops `base` (a short trace) to ~TARGET_PACKETS packets at ~1 Mpps. */
async function densify(base: string, out: string): Promise<void> {
  const s = await span(base);
  const loop = Math.max(1, Math.round(TARGET_PACKETS / s.packets));
  const rate = s.packets / (Number(s.last - s.first) / 1e9);
  await retimeTrace(base, out, { loop, speed: 1e6 / rate, seed: 1 });
}

async function buildMixed(dir: string, out: string): Promise<void> {
  const start = 1_700_000_000_000_000_000n;
  const parts: string[] = [];
  for (const name of MIXED) {
    const src = join(DATA, name);
    const s = await span(src);
    const part = join(dir, `part-${name}`);
    await retimeTrace(src, part, { startNs: start, speed: Number(s.last - s.first) / 1e9 });
    parts.push(part);
  }
  const merged = join(dir, 'mixed-1s.pcap');
  await mergeTraces(parts, merged);
  await densify(merged, out);
  for (const p of parts) rmSync(p);
  rmSync(merged);
}

async function scenario(name: string, file: string, source: string) {
  await ours(file); // warm-up: page cache and JIT
  const runs: Awaited<ReturnType<typeof ours>>[] = [];
  const arg: ReturnType<typeof argus>[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await ours(file));
    arg.push(argus(file));
  }
  const packets = runs[0]!.packets;
  const queryMpps = median(runs.map((x) => (packets / x.queryNs) * 1e3));
  const queryCpuMpps = median(runs.map((x) => packets / x.queryCpuUs));
  const e2eMpps = median(runs.map((x) => (packets / x.wallNs) * 1e3));
  const e2eCpuMpps = median(runs.map((x) => packets / x.cpuUs));
  const argusWallMpps = median(arg.map((x) => packets / x.wallS / 1e6));
  const argusCpuMpps = median(arg.map((x) => packets / x.cpuS / 1e6));
  const r3 = (x: number): number => +x.toFixed(3);
  return {
    scenario: name,
    source,
    file,
    fileBytes: statSync(file).size,
    packets,
    flowRecordsPerIntervalMax: runs[0]!.maxRecords,
    flowsQueryMpps: r3(queryMpps),
    flowsQueryCpuMpps: r3(queryCpuMpps),
    endToEndMpps: r3(e2eMpps),
    endToEndCpuMpps: r3(e2eCpuMpps),
    argusWallMpps: r3(argusWallMpps),
    argusCpuMpps: r3(argusCpuMpps),
    argusWallS: arg.map((x) => x.wallS),
    argusCpuS: arg.map((x) => +x.cpuS.toFixed(2)),
    flowsQueryCpuVsArgusCpu: +(queryCpuMpps / argusCpuMpps).toFixed(2),
    endToEndVsArgusWall: +(e2eMpps / argusWallMpps).toFixed(2),
    endToEndCpuVsArgusCpu: +(e2eCpuMpps / argusCpuMpps).toFixed(2),
  };
}

async function main(): Promise<void> {
  const dir = '/tmp/loadcast-bench-flows';
  mkdirSync(dir, { recursive: true });
  const mixed = join(dir, 'flows-mixed.pcap');
  const flood = join(dir, 'flows-flood.pcap');
  if (!existsSync(mixed)) await buildMixed(dir, mixed);
  if (!existsSync(flood)) await densify(FLOOD, flood);
  const results = [
    await scenario('mixed', mixed, MIXED.join(' + ')),
    await scenario('flood', flood, FLOOD),
  ];
  const out = {
    bench: 'flows',
    runs: RUNS,
    intervals: '1 s',
    note: 'rates are medians; *CpuMpps use process CPU time (user+sys), robust to other load on the machine',
    results,
    targets: { flowsQueryMpps: 3, vsArgus: 2 },
    node: process.version,
    argus: ARGUS,
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
