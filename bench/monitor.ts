/**
 * Benchmark: the whole monitor engine, `loadcast monitor <trace> --queries flows --no-shed` (read + decode +
 * batch + features + MLR prediction + the flows query + history), side by side with argus
 * (`argus -r FILE -w /dev/null`, a C flow monitor) on the same dense traces in the same run, alternating.
 *
 * Inputs: the dense traces of bench/lib/dense-traces.ts (1 Mpps of trace time, ~100 k-packet batches):
 *   capture  the capture benchmark's trace (StopDDoS SYN flood x140, 5.3 M packets, ~1 M flows per interval)
 *   mixed    five general traces merged and looped (2.1 M packets, ~110 k flows per interval)
 *
 * Reported per trace (medians over RUNS):
 *   cliMpps            the `mpps` of `./bin/loadcast monitor <trace> --queries flows --no-shed --json`, a fresh
 *                      process per run (JIT cold, as a user runs it): packets / processing time, processing =
 *                      engine CPU time (features + prediction + queries + history; reading the file excluded)
 *   inProcess          the same run through runMonitor in this process after one warm-up run (JIT warm): mpps,
 *                      and the processing time per packet by phase (features, predict, queries, post = history
 *                      and feature commit, shed) plus capture (reading + decoding, not part of mpps)
 *   argusWallMpps, argusCpuMpps   argus on the same file (packets / wall time, packets / user+sys CPU time)
 *   cliOverArgusCpu    cliMpps / argusCpuMpps (issue 3: >= 2)
 * Usage: npx tsx bench/monitor.ts [--runs N] [--argus-runs N] [--only capture,mixed]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { runMonitor } from '../src/monitor/index.ts';
import { captureTrace, type DenseTrace, mixedTrace } from './lib/dense-traces.ts';
import { ARGUS, argus, median } from './lib/reference-tools.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 3);
const ONLY = (arg('--only') ?? 'capture,mixed').split(',');
/** argus runs per trace (default 1: on the capture trace argus holds every one of its 5.3 M flows, ~8 GB, ~5 min). */
const ARGUS_RUNS = Number(arg('--argus-runs') ?? 1);
const r3 = (x: number): number => +x.toFixed(3);

/** One fresh `loadcast monitor` process: its --json mpps and the process's wall time. */
function cli(file: string): { mpps: number; packets: number; wallS: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('./bin/loadcast', ['monitor', file, '--queries', 'flows', '--no-shed', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`loadcast monitor failed (${r.status}): ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { mpps: number; packets: number };
  return { mpps: j.mpps, packets: j.packets, wallS: Number(process.hrtime.bigint() - t0) / 1e9 };
}

async function inProcess(file: string) {
  const once = async () => {
    const rep = await runMonitor(file, { queries: ['flows'], shed: 'none', predictor: 'mlr' });
    const s = rep.summary;
    const per = (sec: number): number => +((sec * 1e9) / s.packets).toFixed(1);
    const t = s.timeSplit;
    return {
      mpps: s.mpps,
      gcBatches: s.gcBatches,
      nsPerPacket: { features: per(t.featuresS), predict: per(t.predictS), queries: per(t.queriesS), post: per(t.postS), shed: per(t.shedS), capture: per(t.captureS) },
    };
  };
  await once(); // JIT warm-up, not reported
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await once());
  const m = median(runs.map((x) => x.mpps));
  const at = runs.find((x) => x.mpps === m)!;
  return { mpps: r3(m), mppsAll: runs.map((x) => r3(x.mpps)), splitOfMedianRun: at.nsPerPacket, gcBatchesOfMedianRun: at.gcBatches };
}

async function scenario(name: string, t: DenseTrace) {
  const ours: ReturnType<typeof cli>[] = [];
  const ref: ReturnType<typeof argus>[] = [];
  for (let r = 0; r < RUNS; r++) {
    ours.push(cli(t.path));
    if (existsSync(ARGUS) && r < ARGUS_RUNS) ref.push(argus(t.path));
  }
  const packets = ours[0]!.packets;
  const cliMpps = median(ours.map((x) => x.mpps));
  const argusCpuMpps = ref.length ? median(ref.map((x) => packets / x.cpuS / 1e6)) : null;
  return {
    scenario: name,
    file: t.path,
    source: t.source,
    recipe: t.recipe,
    packets,
    cliMpps: r3(cliMpps),
    cliMppsAll: ours.map((x) => r3(x.mpps)),
    cliWallS: ours.map((x) => +x.wallS.toFixed(2)),
    inProcess: await inProcess(t.path),
    argusWallMpps: ref.length ? r3(median(ref.map((x) => packets / x.wallS / 1e6))) : null,
    argusCpuMpps: argusCpuMpps === null ? null : r3(argusCpuMpps),
    argusCpuS: ref.map((x) => +x.cpuS.toFixed(2)),
    cliOverArgusCpu: argusCpuMpps ? +(cliMpps / argusCpuMpps).toFixed(2) : null,
  };
}

const load0 = loadavg()[0];
const traces: Record<string, () => Promise<DenseTrace>> = { capture: () => captureTrace(), mixed: () => mixedTrace() };
const results = [];
for (const name of ONLY) results.push(await scenario(name, await traces[name]!()));
process.stdout.write(
  `${JSON.stringify({ bench: 'monitor', command: 'loadcast monitor <trace> --queries flows --no-shed --json', runs: RUNS, argusRuns: ARGUS_RUNS, node: process.version, argus: existsSync(ARGUS) ? ARGUS : null, loadAverage1m: { before: load0, after: loadavg()[0] }, targets: { mpps: 3, overArgusCpu: 2 }, results }, null, 2)}\n`,
);
