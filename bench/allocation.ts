/**
 * Allocation benchmark: what the monitor loop allocates per batch, and where. Garbage matters here for timing,
 * not memory: every young-generation collection pauses the monitor's thread for ~0.5 ms inside whichever batch
 * triggered it and leaves the caches cold, and at the shedding experiment's 0.5-1 ms budgets such a batch
 * overruns (README, "Stalls").
 *
 *   npx tsx bench/allocation.ts [--queries active-flows] [--shed none|packet|flow]
 *
 * Runs `runMonitor` on the benchmarks' mixed dense trace (bench/lib/dense-traces.ts: real traces looped),
 * slowed to 60 kpps of trace time (the shedding experiment's background rate, ~6 k packets per batch), with a budget large enough that no packet is dropped (or the given shedding at a tight
 * one), under V8's sampling heap profiler counting objects the GC collected too, and counts the garbage
 * collections by kind (PerformanceObserver). Prints one JSON object: bytes allocated per batch and per packet
 * (sampled, so within a few percent), the top allocation sites (function, file), and the collections.
 */
import { Session } from 'node:inspector/promises';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { runMonitor, type ShedMode } from '../src/monitor/index.ts';
import { Budget } from '../src/shed/index.ts';
import { atRate, mixedTrace } from './lib/dense-traces.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => (args.includes(name) ? (args[args.indexOf(name) + 1] ?? dflt) : dflt);
const queries = arg('--queries', 'active-flows').split(',');
const shed = arg('--shed', 'none') as ShedMode;
if (!['none', 'packet', 'flow'].includes(shed)) {
  process.stderr.write(`bad --shed ${shed}: use none, packet or flow\nusage: npx tsx bench/allocation.ts [--queries LIST] [--shed none|packet|flow]\n`);
  process.exit(1);
}

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

// 60 kpps: ~6 k-packet batches, the shedding experiment's background load.
const trace = await atRate(await mixedTrace(), 60_000);
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
const gcs = { minor: 0, major: 0, incremental: 0, weak: 0, pauseMs: 0 };
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcs.minor++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
    else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) gcs.incremental++;
    else gcs.weak++;
    gcs.pauseMs += e.duration;
  }
});
let batches = 0;
let packets = 0;
let profiling = false;
// The first 50 batches warm up (JIT, table growth); the profile and the GC count cover the rest.
const SKIP = 50;
const report = await runMonitor(trace.path, {
  queries,
  shed,
  predictor: 'mlr',
  budget: () => Budget.absolute(shed === 'none' ? 1e9 : 2e6),
  initialFlows: 200_000,
  onBatch: (r) => {
    if (r.index === SKIP) {
      profiling = true;
      obs.observe({ entryTypes: ['gc'] });
      void session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
    }
    if (profiling) {
      batches++;
      packets += r.packets;
    }
  },
});
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
obs.disconnect();
await new Promise((r) => setImmediate(r)); // deliver the last GC entries
const bySite = new Map<string, number>();
/** `fn file`, and for a native function (subarray, slice, ...) its caller's: `subarray < fn file`. */
const site = (n: ProfileNode, caller: string): string => {
  const { functionName, url } = n.callFrame;
  const here = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}`;
  return url ? here : `${functionName || '(native)'} < ${caller}`;
};
const walk = (n: ProfileNode, caller: string): void => {
  const key = site(n, caller);
  bySite.set(key, (bySite.get(key) ?? 0) + n.selfSize);
  for (const c of n.children) walk(c, n.callFrame.url ? key : caller);
};
walk(profile.head, '(root)');
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
process.stdout.write(
  `${JSON.stringify(
    {
      trace: { path: trace.path, packets: trace.packets },
      queries,
      shed,
      batches,
      packets,
      drops: report.summary.uncontrolledDrops,
      allocatedMB: +(total / 1e6).toFixed(2),
      bytesPerBatch: Math.round(total / Math.max(1, batches)),
      bytesPerPacket: +(total / Math.max(1, packets)).toFixed(2),
      topSites: [...bySite]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([site, bytes]) => ({ site, MB: +(bytes / 1e6).toFixed(2) })),
      gc: { ...gcs, pauseMs: +gcs.pauseMs.toFixed(1) },
    },
    null,
    1,
  )}\n`,
);
