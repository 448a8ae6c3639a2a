/** `loadcast demo`: the whole project in one run (capture, fast loop, slow loop), ending in one HTML report. */
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { runDemo, type DemoResult, type DemoScale } from '../experiments/index.ts';
import { formatTable, printJson } from './output.ts';
import { parseNumber } from '../units.ts';

interface Flags {
  dataDir?: string;
  generate?: boolean;
  out: string;
  tiny?: boolean;
  quick?: boolean;
  full?: boolean;
  seed: string;
  keepTraces?: boolean;
  json?: boolean;
}

const pct = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

/** The summary printed with --json (and the key figures printed otherwise). */
export function demoSummary(r: DemoResult): Record<string, unknown> {
  const sh = r.shedding.value;
  const fc = r.forecast.value;
  return {
    data: r.mode,
    dataDir: r.data.dir,
    generatedBecause: r.data.reasons,
    scale: r.scale,
    seed: r.seed,
    report: r.report,
    machine: r.machine,
    totalSeconds: r.totalSeconds,
    totalCpuSeconds: r.totalCpuSeconds,
    steps: r.steps,
    capture: {
      status: r.capture.status,
      message: r.capture.message,
      traces: r.capture.value?.rows,
      speed: r.capture.value?.speed,
    },
    shedding: sh
      ? {
          status: 'ok',
          dir: sh.dir,
          predictionMeanRelError: { mlr: sh.predictors.mlr.meanRelError, slr: sh.predictors.slr.meanRelError, ewma: sh.predictors.ewma.meanRelError },
          withinBudgetShare: { flow: sh.shedding.withinBudgetShare, packet: sh.shedding.packet.withinBudgetShare },
          unshedOverBudgetShare: sh.shedding.unshedOverBudgetShare,
          activeFlowsMeanRelError: { none: sh.accuracy.none.activeFlowsMeanRelError, packet: sh.accuracy.packet.activeFlowsMeanRelError, flow: sh.accuracy.flow.activeFlowsMeanRelError },
          overheadShare: sh.overheadShare,
          figures: sh.figures,
        }
      : { status: r.shedding.status, message: r.shedding.message },
    forecast: fc
      ? {
          status: fc.experiment.status,
          message: fc.experiment.message,
          dataset: { path: fc.prepare.out, T: fc.prepare.T, K: fc.prepare.K, stepSeconds: fc.prepare.stepSeconds, source: fc.prepare.source },
          table1: fc.experiment.value?.rows,
        }
      : { status: r.forecast.status, message: r.forecast.message },
  };
}

function printHuman(r: DemoResult): void {
  const out: string[] = [''];
  out.push(r.mode === 'real' ? `Data: REAL (${r.data.dir})` : `Data: ${r.mode.toUpperCase()} INPUTS (${r.data.reasons.join('; ')})`);
  const sp = r.capture.value?.speed;
  if (sp) out.push(`Capture speed: ${sp.bestMpps.toFixed(2)} Mpackets/s (${sp.packets.toLocaleString('en-US')} packets, read + decode + 100 ms batching)`);
  const sh = r.shedding.value;
  if (sh) {
    out.push(
      `Fast loop: prediction error (flows, DDoS) MLR ${pct(sh.predictors.mlr.meanRelError)} / SLR ${pct(sh.predictors.slr.meanRelError)} / EWMA ${pct(sh.predictors.ewma.meanRelError)}; ` +
        `flood batches within budget ${pct(sh.shedding.withinBudgetShare)} (flow sampling); ` +
        `active-flows error none ${pct(sh.accuracy.none.activeFlowsMeanRelError)} / packet ${pct(sh.accuracy.packet.activeFlowsMeanRelError)} / flow ${pct(sh.accuracy.flow.activeFlowsMeanRelError)}; ` +
        `overhead ${pct(sh.overheadShare)}`,
    );
  } else out.push(`Fast loop: ${r.shedding.status.toUpperCase()}: ${r.shedding.message ?? ''}`);
  const fc = r.forecast.value;
  if (fc?.experiment.value) {
    out.push('Slow loop, Table 1:');
    out.push(
      formatTable([
        ['model', 'MSE', 'MAE', 'RelMAE', 'train s'],
        ...fc.experiment.value.rows.map((x) => [x.model, x.mse.toFixed(4), x.mae.toFixed(4), x.relMae.toFixed(4), x.trainSeconds.toFixed(1)]),
      ]),
    );
  } else if (fc) {
    out.push(`Slow loop: dataset T=${fc.prepare.T} K=${fc.prepare.K} prepared; forecasting experiment ${fc.experiment.status.toUpperCase()}: ${fc.experiment.message ?? ''}`);
  } else out.push(`Slow loop: ${r.forecast.status.toUpperCase()}: ${r.forecast.message ?? ''}`);
  out.push(`Total ${r.totalSeconds.toFixed(1)} s (CPU ${r.totalCpuSeconds.toFixed(1)} s) on ${r.machine.cpu} (${r.machine.cores} cores), node ${r.machine.node}`);
  out.push(`Report: ${r.report}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      [
        'Run the whole project and write one self-contained HTML report:',
        '1. capture: summary of every trace in DATA/pcap, and the capture speed',
        '   on a dense looped trace;',
        '2. fast loop: predictive load shedding (seed 004 section VI) on a real',
        '   background trace with synthetic attacks;',
        '3. slow loop: the Alibaba 2018 dataset prepared by the series layer, and',
        '   the forecasting experiment (seed 000 Table 1).',
        'DATA is ../shared/data next to the package (or --data-dir). Without it,',
        'or with --generate, the demo runs on inputs it generates (seeded) and says',
        'so in the console and in the report.',
        'Scales: --tiny (smoke test, < 30 s), --quick (default, a few minutes),',
        "--full (the experiments' default sizes). Exit code 2 when a part failed.",
      ].join('\n'),
    )
    .option('--data-dir <dir>', 'directory with pcap/ and cluster/ (default: ../shared/data next to the package)')
    .option('--generate', 'ignore the real data and run on generated inputs')
    .option('--out <dir>', 'output directory (report.html, shedding/, forecast/)', 'out/demo')
    .option('--tiny', 'smallest scale: a smoke test in well under a minute')
    .option('--quick', 'default scale: quick modes of both experiments')
    .option('--full', 'full scale: the experiments\' default sizes (much longer)')
    .option('--seed <n>', 'seed of every random choice', '1')
    .option('--keep-traces', 'keep the large intermediate traces of the shedding experiment')
    .option('--json', 'print a JSON summary on stdout (no progress lines)')
    .action(async (f: Flags) => {
      const scales = (['tiny', 'quick', 'full'] as const).filter((s) => f[s]);
      if (scales.length > 1) throw new UserError('demo.scale', `choose one scale, got --${scales.join(' --')}`, 'Pass only one of --tiny, --quick, --full.');
      const scale: DemoScale = scales[0] ?? 'quick';
      const log = f.json ? undefined : (line: string): void => void process.stderr.write(`${line}\n`);
      const r = await runDemo({
        outDir: f.out,
        dataDir: f.dataDir,
        generate: !!f.generate,
        scale,
        seed: parseNumber(f.seed, '--seed', { integer: true, min: 0 }),
        keepTraces: !!f.keepTraces,
        log,
      });
      if (f.json) printJson(demoSummary(r));
      else printHuman(r);
      if (r.steps.some((s) => s.status === 'failed')) process.exitCode = 2;
    });
}
