/**
 * The predictive-shedding experiment (seed 004 section VI, issue 4) over its whole matrix: every background x
 * every attack, `--runs` times, each a fresh `./bin/loadcast experiment shedding ... --json` process with
 * NODE_OPTIONS=--max-semi-space-size=64 (the README's command), one after the other. Prints one JSON object:
 * per run the figures the README's table carries (read from the run's results.json), their ranges, and for each
 * of the targets how many runs meet it. The README's shedding figures are this benchmark's output.
 *
 * Run it with nothing else on the machine: the costs are measured times (the experiment's repeat pass reports
 * the machine's noise floor in every run).
 *
 *   npx tsx bench/shedding.ts [--runs 2] [--backgrounds ustctfc2016__Tinba,ndpi__gnutella]
 *                             [--attacks synthetic,real] [--features all|lite|<list>] [--out DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { SheddingResults } from '../src/experiments/index.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
};
const RUNS = Number(arg('--runs', '2'));
const BACKGROUNDS = arg('--backgrounds', 'ustctfc2016__Tinba,ndpi__gnutella').split(',');
const ATTACKS = arg('--attacks', 'synthetic,real').split(',');
const FEATURES = arg('--features', 'all');
const OUT = arg('--out', '/tmp/loadcast-bench/shedding');
const PCAP = '../shared/data/pcap';
/** The real attack: the StopDDoS spoofed SYN flood capture, retimed into the background by the experiment. */
const REAL_ATTACK = `${PCAP}/stopddos__pkt.TCP.synflood.spoofed.pcap`;

if (!(RUNS >= 1) || ATTACKS.some((a) => a !== 'synthetic' && a !== 'real')) {
  process.stderr.write(`bad --runs ${RUNS} or --attacks ${ATTACKS.join(',')}: runs must be >= 1, attacks synthetic and/or real\n`);
  process.stderr.write('usage: npx tsx bench/shedding.ts [--runs N] [--backgrounds a,b] [--attacks synthetic,real] [--features SET] [--out DIR]\n');
  process.exit(1);
}

const pct = (x: number): number => +(100 * x).toFixed(2);
/** The experiment's batch width, seconds (runMonitor's default). */
const BATCH_S = 0.1;

/** The figures of one run, in the README table's units (percent, packets, ns per packet). */
function figures(r: SheddingResults) {
  const a = r.accuracy;
  const t = r.allQueries.timeSplit;
  const perPacket = (s: number): number => +((s * 1e9) / r.allQueries.packets).toFixed(1);
  return {
    mlrPct: pct(r.predictors.mlr.meanRelError),
    slrPct: pct(r.predictors.slr.meanRelError),
    ewmaPct: pct(r.predictors.ewma.meanRelError),
    mlrCostRatio: +r.predictors.mlr.meanCostRatio.toFixed(3),
    noiseFloorPct: pct(r.fig3Noise.noiseFloor),
    repeatRelErrorPct: pct(r.fig3Noise.repeatRelError),
    withinBudgetFlowPct: pct(a.flow.withinBudgetShare),
    withinBudgetPacketPct: pct(a.packet.withinBudgetShare),
    attackDrops: { none: a.none.attackDrops, packet: a.packet.attackDrops, flow: a.flow.attackDrops },
    postWarmupDrops: { packet: a.packet.postWarmupDrops, flow: a.flow.postWarmupDrops },
    warmupDrops: { packet: a.packet.warmupDrops, flow: a.flow.warmupDrops },
    activeFlowsErrorPct: { none: pct(a.none.activeFlowsMeanRelError), packet: pct(a.packet.activeFlowsMeanRelError), flow: pct(a.flow.activeFlowsMeanRelError) },
    overheadPct: { oneQuery: pct(r.overheadShare), allQueries: pct(r.allQueries.overheadShare), allQueriesWithCapture: r.allQueries.overheadShareWithCapture === null ? null : pct(r.allQueries.overheadShareWithCapture) },
    // normalCostNs is the median pre-attack batch cost: per packet over a batch of background traffic.
    nsPerPacket: { features: perPacket(t.featuresS), allQueries: perPacket(t.queriesS + t.flushS), activeFlowsUnshed: +(r.shedding.normalCostNs / (Number(r.config['backgroundRate']) * BATCH_S)).toFixed(1) },
    seconds: Math.round(r.seconds),
  };
}
type Figures = ReturnType<typeof figures>;

function runOnce(background: string, attack: string, run: number): { background: string; attack: string; run: number } & Figures {
  const dir = `${OUT}/${background}-${attack}-${run}`;
  rmSync(dir, { recursive: true, force: true });
  const args = ['experiment', 'shedding', '--background', `${PCAP}/${background}.pcap`, ...(attack === 'real' ? ['--attack', REAL_ATTACK] : []), '--out', dir, '--features', FEATURES, '--json'];
  process.stderr.write(`${background} / ${attack} attack, run ${run} ...\n`);
  const r = spawnSync('./bin/loadcast', args, {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, NODE_OPTIONS: '--max-semi-space-size=64' },
  });
  if (r.status !== 0) throw new Error(`loadcast experiment shedding failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  const results = JSON.parse(readFileSync(`${dir}/results.json`, 'utf8')) as SheddingResults;
  // The built traces are large (~0.5 GB per run) and rebuilt by every run: keep only the results and figures.
  for (const f of readdirSync(dir)) if (f.endsWith('.pcap')) rmSync(`${dir}/${f}`);
  return { background, attack, run, ...figures(results) };
}

const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
const count = (xs: boolean[]): string => `${xs.filter(Boolean).length} of ${xs.length}`;

mkdirSync(OUT, { recursive: true });
const load0 = loadavg()[0]!;
const runs: ReturnType<typeof runOnce>[] = [];
for (let run = 1; run <= RUNS; run++) for (const bg of BACKGROUNDS) for (const atk of ATTACKS) runs.push(runOnce(bg, atk, run));

const both = (f: (r: (typeof runs)[number], mode: 'packet' | 'flow') => boolean): boolean[] => runs.flatMap((r) => [f(r, 'packet'), f(r, 'flow')]);
process.stdout.write(
  JSON.stringify(
    {
      command: `NODE_OPTIONS=--max-semi-space-size=64 ./bin/loadcast experiment shedding --background ${PCAP}/<bg>.pcap [--attack ${REAL_ATTACK}] --features ${FEATURES} --out DIR --json`,
      features: FEATURES,
      loadAverageBefore: +load0.toFixed(2),
      loadAverageAfter: +loadavg()[0]!.toFixed(2),
      runs,
      ranges: {
        mlrPct: range(runs.map((r) => r.mlrPct)),
        slrPct: range(runs.map((r) => r.slrPct)),
        ewmaPct: range(runs.map((r) => r.ewmaPct)),
        mlrCostRatio: range(runs.map((r) => r.mlrCostRatio)),
        noiseFloorPct: range(runs.map((r) => r.noiseFloorPct)),
        withinBudgetFlowPct: range(runs.map((r) => r.withinBudgetFlowPct)),
        withinBudgetPacketPct: range(runs.map((r) => r.withinBudgetPacketPct)),
        noShedAttackDrops: range(runs.map((r) => r.attackDrops.none)),
        warmupDrops: range(runs.flatMap((r) => [r.warmupDrops.packet, r.warmupDrops.flow])),
        activeFlowsErrorNonePct: range(runs.map((r) => r.activeFlowsErrorPct.none)),
        activeFlowsErrorPacketPct: range(runs.map((r) => r.activeFlowsErrorPct.packet)),
        activeFlowsErrorFlowPct: range(runs.map((r) => r.activeFlowsErrorPct.flow)),
        overheadOneQueryPct: range(runs.map((r) => r.overheadPct.oneQuery)),
        overheadAllQueriesPct: range(runs.map((r) => r.overheadPct.allQueries)),
        featuresNsPerPacket: range(runs.map((r) => r.nsPerPacket.features)),
        allQueriesNsPerPacket: range(runs.map((r) => r.nsPerPacket.allQueries)),
      },
      // The targets, each as "runs meeting it of runs" (shedding runs count packet and flow separately).
      targets: {
        mlrAtMost5Pct: count(runs.map((r) => r.mlrPct <= 5)),
        mlrBelowSlrAndEwma: count(runs.map((r) => r.mlrPct < r.slrPct && r.mlrPct < r.ewmaPct)),
        withinBudgetAtLeast95Pct: count(both((r, m) => (m === 'flow' ? r.withinBudgetFlowPct : r.withinBudgetPacketPct) >= 95)),
        zeroDropsDuringFlood: count(both((r, m) => r.attackDrops[m] === 0)),
        zeroDropsAfterWarmup: count(both((r, m) => r.postWarmupDrops[m] === 0)),
        activeFlowsPacketBelow5Pct: count(runs.map((r) => r.activeFlowsErrorPct.packet < 5)),
        activeFlowsFlowBelow1Pct: count(runs.map((r) => r.activeFlowsErrorPct.flow < 1)),
        overheadAtMost5PctAllQueries: count(runs.map((r) => r.overheadPct.allQueries <= 5)),
      },
    },
    null,
    1,
  ) + '\n',
);
