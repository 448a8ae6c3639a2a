/**
 * Benchmark: the `flows` query (per-5-tuple records in a FlowTable), unsampled, on dense traces, side by side
 * with argus (`argus -r FILE -w /dev/null`, Debian's flow monitor in C) on the same pcap in the same run.
 *
 * Inputs: the dense traces of bench/lib/dense-traces.ts (built once into /tmp/loadcast-bench, 1 Mpps of trace
 * time): `capture` (the capture benchmark's StopDDoS SYN flood x140, 5.3 M packets, ~1 M flows per 1 s interval,
 * every packet a new flow), `mixed` (five general traces merged, ~2.1 M packets, ~110 k flows per interval) and
 * `flood` (the CIC-DDoS2019 SYN-flood slice, ~2.1 M packets, 2 packets per flow, ~500 k flows per interval).
 * Intervals are 1 s of trace time (flush included in the query time).
 *
 * Reported rates (median of `RUNS` runs):
 *   flowsQueryMpps   packets / time inside FlowsQuery.process + flush (the query alone); flowsQueryCpuMpps:
 *                    the same with process CPU time (process.cpuUsage around each call, ~1 us per batch)
 *   endToEndMpps     packets / wall time of read + decode + batch + flows query (what argus does: read + flows)
 *   argusWallMpps    packets / argus wall time;  argusCpuMpps: packets / argus user+sys CPU time
 *   endToEndCpuMpps  packets / process CPU time of the same (robust to other load on the machine)
 * Usage: npx tsx bench/flows.ts [--runs N] [--argus-runs N] [--packets N] [--only capture,mixed,flood]
 */
import { statSync } from 'node:fs';
import { readBatches } from '../src/capture/index.ts';
import { FlowsQuery } from '../src/queries/index.ts';
import { captureTrace, floodTrace, mixedTrace } from './lib/dense-traces.ts';
import { ARGUS, argus, median } from './lib/reference-tools.ts';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const RUNS = arg('--runs', 3);
/** argus runs per trace (default 1: on the capture trace argus holds all its 5.3 M flows, ~8 GB, ~5 min). */
const ARGUS_RUNS = arg('--argus-runs', 1);
const TARGET_PACKETS = arg('--packets', 2_100_000);
const INTERVAL_NS = 1_000_000_000n;

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

async function scenario(name: string, file: string, source: string) {
  await ours(file); // warm-up: page cache and JIT
  const runs: Awaited<ReturnType<typeof ours>>[] = [];
  const arg: ReturnType<typeof argus>[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await ours(file));
    if (r < ARGUS_RUNS) arg.push(argus(file));
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
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : ['capture', 'mixed', 'flood'];
  const results = [];
  for (const name of only) {
    const t = name === 'capture' ? await captureTrace() : name === 'mixed' ? await mixedTrace(TARGET_PACKETS) : await floodTrace(TARGET_PACKETS);
    results.push(await scenario(name, t.path, `${t.source} (${t.recipe})`));
  }
  const out = {
    bench: 'flows',
    runs: RUNS,
    argusRuns: ARGUS_RUNS,
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
