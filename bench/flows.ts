/**
 * Benchmark: the `flows` query (per-5-tuple records in a FlowTable), unsampled, on a dense trace, side by side
 * with argus (`argus -r FILE -w /dev/null`, Debian's flow monitor in C) on the same pcap in the same run.
 *
 * Input: a real trace (CIC-DDoS2019 SYN-flood slice, 26,316 packets, 13,122 flows) replayed back to back
 * (`retimeTrace`, each repetition with its own address mapping so its flows are new) and compressed in time to
 * about 1 Mpps; built once into /tmp. Intervals are 1 s of trace time (flush included in the query time).
 *
 * Reported rates (median of `RUNS` runs):
 *   flowsQueryMpps   packets / time inside FlowsQuery.process + flush (the query alone)
 *   endToEndMpps     packets / wall time of read + decode + batch + flows query (what argus does: read + flows)
 *   argusWallMpps    packets / argus wall time;  argusCpuMpps: packets / argus user+sys CPU time
 * Usage: npx tsx bench/flows.ts [--loop N] [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readBatches, retimeTrace } from '../src/capture/index.ts';
import { FlowsQuery } from '../src/queries/index.ts';

const SOURCE = '../shared/data/pcap/cicddos2019__CIC-DDoS-2019-SynFlood.pcap';
const ARGUS = '/usr/sbin/argus';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const LOOP = arg('--loop', 80);
const RUNS = arg('--runs', 3);
const SPEED = 26; // 38 kpkt/s x 26 ~ 1 Mpps
const INTERVAL_NS = 1_000_000_000n;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function ours(file: string): Promise<{ packets: number; queryNs: number; wallNs: number; records: number; maxRecords: number }> {
  const q = new FlowsQuery();
  let packets = 0;
  let queryNs = 0n;
  let cur: bigint | undefined;
  let records = 0;
  let maxRecords = 0;
  const idx = new Uint32Array(1 << 20);
  const t0 = process.hrtime.bigint();
  const flush = (start: bigint): void => {
    const a = process.hrtime.bigint();
    const r = q.flush({ intervalStartNs: start, intervalEndNs: start + INTERVAL_NS, finalRate: 1 });
    queryNs += process.hrtime.bigint() - a;
    records += r.value.records;
    maxRecords = Math.max(maxRecords, r.value.records);
  };
  for await (const b of readBatches(file)) {
    const start = (b.startNs / INTERVAL_NS) * INTERVAL_NS;
    if (cur !== undefined && start !== cur) flush(cur);
    cur = start;
    for (let i = 0; i < b.count; i++) idx[i] = i;
    const a = process.hrtime.bigint();
    q.process(b, { idx, length: b.count }, { rate: 1, intervalStartNs: start });
    queryNs += process.hrtime.bigint() - a;
    packets += b.count;
  }
  if (cur !== undefined) flush(cur);
  const wallNs = Number(process.hrtime.bigint() - t0);
  return { packets, queryNs: Number(queryNs), wallNs, records, maxRecords };
}

function argus(file: string): { wallS: number; cpuS: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ARGUS, '-r', file, '-w', '/dev/null'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`argus failed (${r.status}): ${r.stderr}`);
  const [e, u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallS: e!, cpuS: u! + s! };
}

async function main(): Promise<void> {
  const dir = '/tmp/loadcast-bench';
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `flows-dense-x${LOOP}.pcap`);
  if (!existsSync(file)) await retimeTrace(SOURCE, file, { loop: LOOP, speed: SPEED, seed: 1 });
  await ours(file); // warm-up: page cache and JIT
  const runs: Awaited<ReturnType<typeof ours>>[] = [];
  const arg: ReturnType<typeof argus>[] = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await ours(file));
    arg.push(argus(file));
  }
  const packets = runs[0]!.packets;
  const queryMpps = median(runs.map((x) => packets / x.queryNs * 1e3));
  const e2eMpps = median(runs.map((x) => packets / x.wallNs * 1e3));
  const argusWallMpps = median(arg.map((x) => packets / x.wallS / 1e6));
  const argusCpuMpps = median(arg.map((x) => packets / x.cpuS / 1e6));
  const out = {
    bench: 'flows',
    source: SOURCE,
    file,
    fileBytes: statSync(file).size,
    packets,
    loop: LOOP,
    runs: RUNS,
    intervals: '1 s',
    flowRecordsPerIntervalMax: runs[0]!.maxRecords,
    flowsQueryMpps: +queryMpps.toFixed(3),
    endToEndMpps: +e2eMpps.toFixed(3),
    argusWallMpps: +argusWallMpps.toFixed(3),
    argusCpuMpps: +argusCpuMpps.toFixed(3),
    argusWallS: arg.map((x) => x.wallS),
    argusCpuS: arg.map((x) => +x.cpuS.toFixed(2)),
    flowsQueryVsArgusWall: +(queryMpps / argusWallMpps).toFixed(2),
    endToEndVsArgusWall: +(e2eMpps / argusWallMpps).toFixed(2),
    endToEndVsArgusCpu: +(e2eMpps / argusCpuMpps).toFixed(2),
    targets: { flowsQueryMpps: 3, vsArgus: 2 },
    node: process.version,
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
