/**
 * `loadcast demo`: the whole project in one run, ending in one self-contained HTML report.
 *
 * 1. Capture: summary of every input trace, and the capture speed on a dense looped trace.
 * 2. Fast loop: the predictive shedding experiment (seed 004 section VI) on a real background + synthetic attacks.
 * 3. Slow loop: the Alibaba 2018 dataset prepared with the series layer, then the forecasting experiment
 *    (seed 000 Table 1).
 * 4. The report (`out/report.html`) and a JSON summary.
 *
 * Inputs come from the shared real data when present; otherwise (or with --generate) they are generated with a
 * fixed seed and the console and the report say so. A part that fails is recorded as failed (with its error)
 * and the rest still runs; nothing is ever filled in with a made-up result.
 */
import { cpus, platform, release, totalmem } from 'node:os';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { prepareDataset, type PrepareReport } from '../series/index.ts';
import { UserError } from '../errors.ts';
import { measureCaptureSpeed, summariseTraces, type CaptureSpeed, type TraceRow } from './demo-capture.ts';
import { locateData, PACKAGE_ROOT, type DataLocation } from './demo-inputs.ts';
import { buildDemoReport } from './demo-report.ts';
import { runDemoForecast, type DemoForecast } from './demo-forecast.ts';
import { runSheddingExperiment, type SheddingResults } from './shedding.ts';
import { writeSyntheticCluster } from './synthetic-cluster.ts';
import { writeSyntheticTrace, type SyntheticTraceReport } from './synthetic-trace.ts';
import { writeReport } from '../report/index.ts';

export const DEMO_SCALES = ['tiny', 'quick', 'full'] as const;
export type DemoScale = (typeof DEMO_SCALES)[number];

/** Sizes per scale. tiny: a smoke test (< 30 s); quick: the default (< ~6 min on 2 cores); full: the seeds' sizes. */
export interface ScaleParams {
  /** Generated background: seconds and packets/s. */
  synthSeconds: number;
  synthRate: number;
  /** Shedding experiment: quick mode, background rate and length (undefined = the experiment's default). */
  shedQuick: boolean;
  shedRate?: number;
  shedSeconds?: number;
  /** Packets in the dense trace of the capture-speed scan. */
  densePackets: number;
  /** Generated cluster: machines and 300 s steps. */
  clusterMachines: number;
  clusterSteps: number;
}

export const SCALE_PARAMS: Record<DemoScale, ScaleParams> = {
  tiny: { synthSeconds: 30, synthRate: 1500, shedQuick: true, shedRate: 1500, shedSeconds: 30, densePackets: 200_000, clusterMachines: 4, clusterSteps: 576 },
  quick: { synthSeconds: 30, synthRate: 20_000, shedQuick: true, densePackets: 4_000_000, clusterMachines: 16, clusterSteps: 2304 },
  full: { synthSeconds: 60, synthRate: 30_000, shedQuick: false, densePackets: 10_000_000, clusterMachines: 16, clusterSteps: 2304 },
};

export interface DemoOptions {
  outDir: string;
  dataDir?: string;
  generate?: boolean;
  scale?: DemoScale;
  seed?: number;
  /** Keep the large intermediate traces (background, attacked traces) instead of deleting them. */
  keepTraces?: boolean;
  /** One line per event (step start, step end with its time); default: nothing. */
  log?: (line: string) => void;
}

export type PartStatus = 'ok' | 'failed' | 'missing';

export interface PartOutcome<T> {
  status: PartStatus;
  seconds: number;
  /** The error (failed) or what is missing (missing). */
  message?: string;
  value?: T;
}

export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
}

export interface DemoResult {
  mode: 'real' | 'generated' | 'mixed';
  data: DataLocation;
  scale: DemoScale;
  seed: number;
  outDir: string;
  report: string;
  machine: Machine;
  generated: { trace?: SyntheticTraceReport; cluster?: { path: string; rows: number } };
  capture: PartOutcome<{ rows: TraceRow[]; speed?: CaptureSpeed }>;
  shedding: PartOutcome<SheddingResults & { dir: string; figures: string[]; background: string }>;
  forecast: PartOutcome<{ prepare: PrepareReport; experiment: PartOutcome<DemoForecast> }>;
  /** Wall time and CPU time (user + system of this process) of each step: on a busy machine they differ. */
  steps: { name: string; seconds: number; cpuSeconds: number; status: PartStatus }[];
  totalSeconds: number;
  totalCpuSeconds: number;
}

export function machineInfo(): Machine {
  const c = cpus();
  return {
    node: process.version,
    cpu: c[0]?.model?.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
  };
}

/** User + system CPU seconds of this process since `start` (a `process.cpuUsage()` snapshot). */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

function errorText(e: unknown): string {
  if (e instanceof UserError) return e.hint ? `${e.message} (${e.hint})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Runs the demo; never throws for a failing part (it is recorded), only for bad options. */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const log = o.log ?? (() => {});
  const scale = o.scale ?? 'quick';
  const p = SCALE_PARAMS[scale];
  const seed = o.seed ?? 1;
  const outDir = resolve(o.outDir);
  const data = locateData(o.dataDir, !!o.generate);
  const realPcap = data.background !== null;
  const realCluster = data.cluster !== null;
  const mode = realPcap && realCluster ? 'real' : !realPcap && !realCluster ? 'generated' : 'mixed';
  await mkdir(outDir, { recursive: true });
  const work = join(outDir, 'work');
  await mkdir(work, { recursive: true });
  const steps: DemoResult['steps'] = [];

  async function step<T>(name: string, fn: () => Promise<T>): Promise<PartOutcome<T>> {
    const s = performance.now();
    const c = process.cpuUsage();
    log(`> ${name} ...`);
    let out: PartOutcome<T>;
    try {
      const value = await fn();
      out = { status: 'ok', seconds: (performance.now() - s) / 1000, value };
    } catch (e) {
      out = { status: 'failed', seconds: (performance.now() - s) / 1000, message: errorText(e) };
      if (process.env.LOADCAST_DEBUG && e instanceof Error) log(e.stack ?? '');
    }
    const cpuSeconds = cpuSecondsSince(c);
    steps.push({ name, seconds: out.seconds, cpuSeconds, status: out.status });
    log(`  ${out.status === 'ok' ? 'done' : out.status.toUpperCase()} in ${out.seconds.toFixed(1)} s (CPU ${cpuSeconds.toFixed(1)} s)${out.message ? `: ${out.message}` : ''}`);
    return out;
  }

  if (mode !== 'real') {
    const what = mode === 'generated' ? 'ALL inputs are GENERATED' : `some inputs are GENERATED (${realPcap ? 'cluster' : 'pcap'} part)`;
    log(`!! ${what}: ${data.reasons.join('; ')}. Results describe generated data, not real traffic or clusters.`);
  } else {
    log(`Real data from ${data.dir}`);
  }

  // Generated inputs, when needed.
  const generated: DemoResult['generated'] = {};
  let background = data.background;
  let traces = data.pcaps;
  if (!realPcap) {
    const path = join(work, 'synthetic-background.pcap');
    const g = await step(`generating a ${p.synthSeconds} s background trace at ${p.synthRate} packets/s`, () =>
      writeSyntheticTrace(path, { seconds: p.synthSeconds, rate: p.synthRate, seed }),
    );
    if (g.value) {
      generated.trace = g.value;
      background = path;
      traces = [path];
    }
  }

  // 1. Capture.
  const capture = await step('capture: trace info of every input trace', async (): Promise<{ rows: TraceRow[]; speed?: CaptureSpeed }> => ({
    rows: (await summariseTraces(traces)).rows,
  }));
  if (capture.value && background) {
    const bg = background;
    const speed = await step(`capture: scan speed on a dense looped trace (~${(p.densePackets / 1e6).toFixed(1)} M packets)`, () =>
      measureCaptureSpeed(bg, join(work, 'dense.pcap'), p.densePackets, 2, seed),
    );
    if (speed.value) {
      capture.value.speed = speed.value;
      log(`  capture speed: ${speed.value.bestMpps.toFixed(2)} Mpackets/s (${speed.value.packets} packets)`);
    }
  }
  if (capture.status === 'ok' && traces.length === 0) capture.status = 'missing';

  // 2. Fast loop.
  const shedDir = join(outDir, 'shedding');
  const shedding: DemoResult['shedding'] = background
    ? await step('fast loop: predictive load shedding experiment', async () => {
        const r = await runSheddingExperiment({
          background: background!,
          attack: 'synthetic',
          outDir: shedDir,
          seed,
          quick: p.shedQuick,
          rate: p.shedRate,
          seconds: p.shedSeconds,
          onStep: (s) => log(`    - ${s}`),
        });
        if (!o.keepTraces) {
          for (const f of await readdir(shedDir)) if (/\.pcap(ng)?$/.test(f)) await rm(join(shedDir, f), { force: true });
        }
        // Figure order of the seed: Fig. 3 (cost and predictions, then the error), Fig. 4, Fig. 5.
        const order = (f: string): string => f.replace('.svg', '').replace(/^fig3$/, 'fig3-a');
        const figures = (await readdir(shedDir)).filter((f) => f.endsWith('.svg')).sort((x, y) => order(x).localeCompare(order(y)));
        return { ...r, dir: shedDir, figures, background: background! };
      })
    : { status: 'missing', seconds: 0, message: 'no background trace (generation failed)' };

  // 3. Slow loop.
  const fcDir = join(outDir, 'forecast');
  let clusterInput: { source: 'alibaba2018' | 'long'; inputs: string[]; meta?: string } | null = null;
  if (realCluster) clusterInput = { source: 'alibaba2018', inputs: [data.cluster!.usage], meta: data.cluster!.meta };
  else {
    const path = join(work, 'synthetic-cluster.csv');
    const g = await step(`generating a cluster dataset (${p.clusterMachines} machines x 5 metrics x ${p.clusterSteps} steps)`, async () => ({
      path,
      rows: await writeSyntheticCluster(path, { machines: p.clusterMachines, steps: p.clusterSteps, seed }),
    }));
    if (g.value) {
      generated.cluster = g.value;
      clusterInput = { source: 'long', inputs: [path] };
    }
  }
  const forecast: DemoResult['forecast'] = clusterInput
    ? await step('slow loop: preparing the cluster dataset (series layer, DuckDB)', async () => {
        await mkdir(fcDir, { recursive: true });
        const prep = await prepareDataset({ ...clusterInput!, out: join(fcDir, 'dataset.duckdb'), stepSeconds: 300, force: true });
        log(`    T = ${prep.T} steps of ${prep.stepSeconds} s, K = ${prep.K} series`);
        return { prepare: prep, experiment: { status: 'missing', seconds: 0 } as PartOutcome<DemoForecast> };
      })
    : { status: 'missing', seconds: 0, message: 'no cluster dataset (generation failed)' };
  if (forecast.value) {
    const prep = forecast.value.prepare;
    forecast.value.experiment = await step('slow loop: forecasting experiment (Table 1)', () =>
      runDemoForecast({ dataset: prep.out, outDir: fcDir, scale, seed, log }),
    );
  }

  await rm(work, { recursive: true, force: true });
  const result: DemoResult = {
    mode,
    data,
    scale,
    seed,
    outDir,
    report: join(outDir, 'report.html'),
    machine: machineInfo(),
    generated,
    capture,
    shedding,
    forecast,
    steps,
    totalSeconds: (performance.now() - t0) / 1000,
    totalCpuSeconds: cpuSecondsSince(cpu0),
  };
  await step('report: writing report.html', async () => {
    const shedSvgs = shedding.value ? await Promise.all(shedding.value.figures.map(async (name) => ({ name, svg: await readFile(join(shedDir, name), 'utf8') }))) : [];
    const fcSvgs = forecast.value?.experiment.value
      ? await Promise.all(forecast.value.experiment.value.figures.map((f) => readFile(f, 'utf8')))
      : [];
    // Paths in commands: relative to the package root when inside it or its parent (../shared/data), else absolute.
    const rel = (path: string): string => {
      const r = relative(PACKAGE_ROOT, path) || '.';
      return r.startsWith(`..${sep}..`) || isAbsolute(r) ? resolve(path) : r;
    };
    await writeReport(result.report, buildDemoReport(result, { shedSvgs, fcSvgs, rel }));
  });
  result.totalSeconds = (performance.now() - t0) / 1000;
  result.totalCpuSeconds = cpuSecondsSince(cpu0);
  return result;
}
