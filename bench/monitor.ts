/**
 * Benchmark: the whole monitor engine (`loadcast monitor <trace> --queries flows --no-shed`: read + decode +
 * batch + 55 features + MLR prediction + the flows query + history), side by side with argus
 * (`argus -r FILE -w /dev/null`, a C flow monitor) on the same dense traces in the same run.
 *
 * Inputs: the dense traces of bench/flows.ts in /tmp/loadcast-bench (flows-flood.pcap: the CIC-DDoS2019
 * SYN-flood slice looped to ~2.1 M packets; flows-mixed.pcap: five general traces merged and looped). When
 * missing, the flood trace is built here the same way.
 *
 * Reported per trace (median of RUNS runs):
 *   monitorMpps        packets / processing time (engine CPU time: queries + overhead) = the `mpps` of --json
 *   monitorWallMpps    packets / wall time of the whole run (reading the file included)
 *   monitorEndToEndCpuMpps  packets / process CPU time of the whole run (read + decode + everything)
 *   queryShare / overheadShare   where the processing time goes
 *   argusWallMpps, argusCpuMpps  argus on the same file
 * Usage: npx tsx bench/monitor.ts [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { retimeTrace, traceInfo } from '../src/capture/index.ts';
import { runMonitor } from '../src/monitor/index.ts';

const DIR = '/tmp/loadcast-bench';
const ARGUS = '/usr/sbin/argus';
const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 3;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function argus(file: string): { wallS: number; cpuS: number } | null {
  if (!existsSync(ARGUS)) return null;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', ARGUS, '-r', file, '-w', '/dev/null'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const [e, u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallS: e!, cpuS: u! + s! };
}

async function ensureFlood(): Promise<string> {
  const out = join(DIR, 'flows-flood.pcap');
  if (existsSync(out)) return out;
  mkdirSync(DIR, { recursive: true });
  const src = '../shared/data/pcap/cicddos2019__CIC-DDoS-2019-SynFlood.pcap';
  const info = await traceInfo(src);
  const loop = Math.round(2_100_000 / info.packets);
  await retimeTrace(src, out, { loop, speed: 1e6 / (info.packets / info.durationS), seed: 1 });
  return out;
}

async function main(): Promise<void> {
  const traces = [await ensureFlood(), join(DIR, 'flows-mixed.pcap')].filter((f) => existsSync(f));
  const out: Record<string, unknown> = {};
  for (const file of traces) {
    const mpps: number[] = [];
    const wall: number[] = [];
    const over: number[] = [];
    const cpu: number[] = [];
    let packets = 0;
    for (let r = 0; r < RUNS; r++) {
      const c0 = process.cpuUsage();
      const rep = await runMonitor(file, { queries: ['flows'], shed: 'none', predictor: 'mlr' });
      const c = process.cpuUsage(c0);
      cpu.push(rep.summary.packets / ((c.user + c.system) / 1e6) / 1e6);
      packets = rep.summary.packets;
      mpps.push(rep.summary.mpps);
      wall.push(rep.summary.packets / rep.summary.wallSeconds / 1e6);
      over.push(rep.summary.overheadShare);
    }
    const a = [0, 1, 2].slice(0, RUNS).map(() => argus(file)).filter((x): x is { wallS: number; cpuS: number } => x !== null);
    const argusWallMpps = a.length ? median(a.map((x) => packets / x.wallS / 1e6)) : null;
    const argusCpuMpps = a.length ? median(a.map((x) => packets / x.cpuS / 1e6)) : null;
    const m = median(mpps);
    out[file] = {
      packets,
      monitorMpps: m,
      monitorWallMpps: median(wall),
      monitorEndToEndCpuMpps: median(cpu),
      overheadShare: median(over),
      queryShare: 1 - median(over),
      argusWallMpps,
      argusCpuMpps,
      monitorOverArgusCpu: argusCpuMpps ? m / argusCpuMpps : null,
      endToEndOverArgusCpu: argusCpuMpps ? median(cpu) / argusCpuMpps : null,
    };
  }
  process.stdout.write(`${JSON.stringify({ bench: 'monitor', runs: RUNS, node: process.version, loadAverage1m: (await import('node:os')).loadavg()[0], traces: out }, null, 2)}\n`);
}

await main();
