/**
 * Demo report: turns a {@link DemoResult} into the sections of one self-contained HTML page. Every figure in
 * it is a measured value from this run; a part that did not run says so (missing or failed, with the reason).
 */
import { dirname } from 'node:path';
import type { Report, ReportInput, ReportSection } from '../report/index.ts';
import type { DemoResult, PartOutcome } from './demo.ts';

export interface DemoReportAssets {
  /** Shedding figures by file name (fig3.svg, fig3-error.svg, fig4.svg, fig5.svg). */
  shedSvgs: { name: string; svg: string }[];
  fcSvgs: string[];
  /** Path relative to the package root, for commands. */
  rel: (path: string) => string;
}

const pct = (x: number | undefined): string => (x !== undefined && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
const num = (x: number | undefined, d = 3): number | undefined => (x !== undefined && Number.isFinite(x) ? Number(x.toPrecision(d + 1)) : undefined);

function notRun(heading: string, part: PartOutcome<unknown>, what: string): ReportSection {
  return {
    heading: `${heading} — ${part.status === 'missing' ? 'NOT RUN (missing)' : 'FAILED'}`,
    text: `${what} ${part.status === 'missing' ? 'did not run because its input is missing' : 'failed'}: ${part.message ?? 'no detail'}. No result is shown for it.`,
  };
}

function scaleFlag(r: DemoResult): string {
  return r.scale === 'quick' ? '' : ` --${r.scale}`;
}

function demoCommand(r: DemoResult): string {
  const parts = ['./bin/loadcast demo'];
  if (r.mode === 'generated' && r.data.reasons.includes('--generate was given')) parts.push('--generate');
  if (r.seed !== 1) parts.push(`--seed ${r.seed}`);
  return parts.join(' ') + scaleFlag(r);
}

export function buildDemoReport(r: DemoResult, a: DemoReportAssets): Report {
  const inputs: ReportInput[] = [];
  const g = r.generated;
  if (g.trace) {
    inputs.push({
      role: 'traffic (background trace)',
      name: 'synthetic-background.pcap',
      generated: true,
      note: `${g.trace.packets.toLocaleString('en-US')} packets, ${g.trace.seconds} s, ${g.trace.tcpFlows} TCP + ${g.trace.dnsFlows} DNS flows, ${g.trace.hosts} hosts (seed ${g.trace.seed}; src/experiments/synthetic-trace.ts)`,
    });
  } else {
    inputs.push({ role: 'traffic (all traces)', name: a.rel(`${r.data.dir}/pcap`), generated: false, note: `${r.data.pcaps.length} real captures, see PROVENANCE.md there` });
    if (r.shedding.value) inputs.push({ role: 'shedding background', name: a.rel(r.shedding.value.background), generated: false, note: 'looped and sped up (retime); attacks injected synthetically (src/anomaly)' });
  }
  if (g.cluster) {
    inputs.push({ role: 'cluster telemetry', name: 'synthetic-cluster.csv', generated: true, note: `${g.cluster.rows.toLocaleString('en-US')} rows, long format (seed ${r.seed}; src/experiments/synthetic-cluster.ts)` });
  } else if (r.data.cluster) {
    inputs.push({ role: 'cluster telemetry', name: a.rel(r.data.cluster.usage), generated: false, note: `Alibaba cluster trace 2018 machine_usage (16 machines) + ${a.rel(r.data.cluster.meta)}` });
  }

  const m = r.machine;
  const dataLine =
    r.mode === 'real'
      ? `Ran on REAL data from ${a.rel(r.data.dir)}.`
      : r.mode === 'generated'
        ? `Ran on GENERATED inputs (${r.data.reasons.join('; ')}). The numbers describe generated data, not real traffic or real clusters.`
        : `Ran on partly GENERATED inputs (${r.data.reasons.join('; ')}).`;

  const sections: ReportSection[] = [];
  const missingParts: string[] = [];
  if (r.forecast.value && r.forecast.value.experiment.status !== 'ok') missingParts.push(`forecasting experiment: ${r.forecast.value.experiment.status} (${r.forecast.value.experiment.message ?? ''})`);
  for (const [name, p] of [['capture', r.capture], ['shedding', r.shedding], ['dataset', r.forecast]] as const) {
    if (p.status !== 'ok') missingParts.push(`${name}: ${p.status} (${p.message ?? ''})`);
  }
  sections.push({
    heading: 'Overview',
    text: [
      dataLine,
      `Scale: ${r.scale}; seed ${r.seed}; total ${r.totalSeconds.toFixed(1)} s wall, ${r.totalCpuSeconds.toFixed(1)} s CPU. Reproduce everything with: ${demoCommand(r)}`,
      missingParts.length ? `Parts that did not produce results: ${missingParts.join('; ')}.` : 'Every part ran.',
    ].join('\n\n'),
    table: {
      caption: 'Steps: wall time, and CPU time of this process (user + system; lower than wall when the machine is shared)',
      columns: ['step', 'status', 'wall (s)', 'CPU (s)'],
      rows: r.steps.map((s) => [s.name, s.status, num(s.seconds, 2), num(s.cpuSeconds, 2)]),
    },
  });

  // Capture.
  if (r.capture.value) {
    const c = r.capture.value;
    sections.push({
      heading: 'Capture: input traces',
      text:
        `One streaming pass per trace (read, decode, 100 ms batches). Flows are one-way 5-tuples. ` +
        `Reproduce: ./bin/loadcast trace info ${g.trace ? '<trace>' : `${a.rel(`${r.data.dir}/pcap`)}/*`}`,
      table: {
        columns: ['file', 'format', 'link', 'packets', 'duration (s)', 'flows', 'protocols'],
        rows: c.rows.map((t) => [t.file, t.format, t.link, t.packets, num(t.durationS, 3), t.flows, t.protocols]),
      },
    });
    if (c.speed) {
      const s = c.speed;
      sections.push({
        heading: 'Capture: scan speed',
        text:
          `${s.packets.toLocaleString('en-US')} packets (${(s.bytes / 1e6).toFixed(0)} MB) built from ${a.rel(s.source)} with retime --loop ${s.loop} --speed ${num(s.speed, 4)}, ` +
          `then read + decoded + batched into 100 ms PacketBatches: best of ${s.passes.length} passes ${s.bestMpps.toFixed(2)} Mpackets/s (wall clock, one core). ` +
          `Reproduce: ./bin/loadcast trace retime ${a.rel(s.source)} --out /tmp/dense.pcap --loop ${s.loop} --speed ${num(s.speed, 6)} && ./bin/loadcast trace scan /tmp/dense.pcap ` +
          `(or npx tsx bench/capture-scan.ts for the benchmark against tcpdump).`,
        table: {
          columns: ['pass', 'seconds', 'Mpackets/s'],
          rows: s.passes.map((x, i) => [i + 1, num(x.seconds, 3), num(x.mpps, 3)]),
        },
      });
    }
  } else sections.push(notRun('Capture', r.capture, 'The trace summary'));

  // Fast loop.
  const sh = r.shedding.value;
  if (sh) {
    const cfg = sh.config;
    const rate = Number(cfg.backgroundRate);
    sections.push({
      heading: 'Fast loop: predictive load shedding (seed 004, section VI)',
      text: [
        `Background: ${a.rel(sh.background)} looped ${String(cfg.loop)}x and sped up to ${Math.round(rate).toLocaleString('en-US')} packets/s for ${Number(cfg.backgroundSeconds).toFixed(0)} s; ` +
          `synthetic attacks injected at ${String(cfg.attackAtS)} s (on/off spoofed DDoS for ${String(cfg.ddosForS)} s, SYN flood for ${String(cfg.synForS)} s) at ${Number(cfg.attackRate).toLocaleString('en-US')} packets/s. Costs are ${costClockText(cfg.costClock)} per 100 ms batch.`,
        `Prediction (flows query, DDoS batches): mean relative error MLR ${pct(sh.predictors.mlr.meanRelError)}, SLR ${pct(sh.predictors.slr.meanRelError)}, EWMA ${pct(sh.predictors.ewma.meanRelError)}. ` +
          `Measurement noise: the same batches measured in a second pass differ by ${pct(sh.fig3Noise.repeatRelError)} on average, and their batch-level noise alone puts even a predictor that knew each batch's expected cost at about ${pct(sh.fig3Noise.noiseFloor)}.`,
        `Shedding (active-flows under the SYN flood, budget ${(sh.shedding.budgetNs / 1e6).toFixed(3)} ms per batch = ${String(cfg.budgetFactor)} x normal ${(sh.shedding.normalCostNs / 1e6).toFixed(3)} ms; unshed flood cost ${(sh.shedding.attackCostNs / 1e6).toFixed(3)} ms): ` +
          `flood batches within budget: flow sampling ${pct(sh.shedding.withinBudgetShare)}, packet sampling ${pct(sh.shedding.packet.withinBudgetShare)}; unshed over budget ${pct(sh.shedding.unshedOverBudgetShare)}. ` +
          `Active-flows error: none ${pct(sh.accuracy.none.activeFlowsMeanRelError)}, packet ${pct(sh.accuracy.packet.activeFlowsMeanRelError)}, flow ${pct(sh.accuracy.flow.activeFlowsMeanRelError)}. ` +
          `Overhead (features + prediction + shedding) share of processing time: ${pct(sh.overheadShare)}.`,
        `Reproduce: ./bin/loadcast experiment shedding --background ${a.rel(sh.background)} --out ${a.rel(sh.dir)}${cfg.quick ? ' --quick' : ''}` +
          `${r.scale === 'tiny' ? ` --rate ${Math.round(rate)} --seconds ${Number(cfg.backgroundSeconds).toFixed(0)}` : ''} --seed ${String(cfg.seed)} (results.json, CSVs and SVGs in ${a.rel(sh.dir)}).`,
      ].join('\n\n'),
      svg: a.shedSvgs.filter((f) => f.name.startsWith('fig3')).map((f) => f.svg),
      table: {
        caption: 'Relative prediction error of the flows query over the DDoS (Fig. 3)',
        columns: ['predictor', 'mean', 'p95', 'batches'],
        rows: (['mlr', 'slr', 'ewma'] as const).map((k) => [k.toUpperCase(), pct(sh.predictors[k].meanRelError), pct(sh.predictors[k].p95RelError), sh.predictors[k].batches]),
      },
    });
    sections.push({
      heading: 'Fast loop: cost against the budget and accuracy (Figs. 4, 5)',
      svg: a.shedSvgs.filter((f) => !f.name.startsWith('fig3')).map((f) => f.svg),
      table: {
        caption: 'active-flows under the SYN flood, by shedding mode',
        columns: ['mode', 'flood batches <= 1.05x budget', 'cost/budget p95', 'uncontrolled drops', 'mean sampling rate', 'active-flows mean error', 'max error', 'overhead share'],
        rows: (['none', 'packet', 'flow'] as const).map((k) => {
          const x = sh.accuracy[k];
          return [k, pct(x.withinBudgetShare), num(x.costOverBudgetP95), x.uncontrolledDrops, num(x.meanRate), pct(x.activeFlowsMeanRelError), pct(x.activeFlowsMaxRelError), pct(x.overheadShare)];
        }),
      },
      json: { config: sh.config, predictors: sh.predictors, fig3Noise: sh.fig3Noise, shedding: sh.shedding, overheadShareByRun: sh.overheadShareByRun, gcBatches: sh.gcBatches, seconds: sh.seconds },
    });
  } else sections.push(notRun('Fast loop: predictive load shedding', r.shedding, 'The shedding experiment'));

  // Slow loop.
  const fc = r.forecast.value;
  if (fc) {
    const pr = fc.prepare;
    const src = r.data.cluster && !g.cluster
      ? `--source alibaba2018 --input ${a.rel(r.data.cluster.usage)} --meta ${a.rel(r.data.cluster.meta)}`
      : `--source long --input <synthetic-cluster.csv>`;
    sections.push({
      heading: 'Slow loop: cluster dataset',
      text:
        `${pr.entities} entities x ${pr.metrics.length} metrics (${pr.metrics.join(', ')}) = K ${pr.K} series over T ${pr.T} steps of ${pr.stepSeconds} s; ` +
        `split train [0, ${pr.split.trainEnd}), validation [${pr.split.trainEnd}, ${pr.split.valEnd}), test [${pr.split.valEnd}, ${pr.T}); ` +
        `adjacency ${pr.adjacency.kind} with ${pr.adjacency.edges} edges. Invalid values are masked, never zero-filled. ` +
        `Reproduce: ./bin/loadcast series prepare ${src} --step 300s --out ${a.rel(pr.out)} --force`,
      table: {
        caption: 'Missing share per metric after resampling',
        columns: ['metric', 'missing share'],
        rows: Object.entries(pr.missingShare).map(([k, v]) => [k, pct(v)]),
      },
    });
    const ex = fc.experiment;
    if (ex.value) {
      sections.push({
        heading: 'Slow loop: forecasting accuracy (seed 000, Table 1)',
        text:
          `Same protocol for every model: z-scored with training statistics, chronological 70/10/20 split, early stopping on validation; ` +
          `MSE and MAE on the z-scale (test part), RelMAE = MAE / MAE of the naive last value. ` +
          `Backend: ${ex.value.backend}. ` +
          `Reproduce: ./bin/loadcast experiment forecast --data ${a.rel(pr.out)} --out ${a.rel(dirname(pr.out))} ${ex.value.args.join(' ')}`,
        svg: a.fcSvgs,
        table: {
          caption: 'Table 1 (test part, averaged over horizons)',
          columns: ['model', 'MSE', 'MAE', 'RelMAE', 'median RelMAE', 'train (s)', 'epochs'],
          rows: ex.value.rows.map((x) => [x.model, num(x.mse), num(x.mae), num(x.relMae), num(x.medianRelMae), num(x.trainSeconds, 2), x.epochs]),
        },
        json: ex.value.raw,
      });
    } else sections.push(notRun('Slow loop: forecasting accuracy (Table 1)', ex, 'The forecasting experiment'));
  } else sections.push(notRun('Slow loop: cluster dataset', r.forecast, 'The dataset preparation'));

  return {
    title: 'loadcast demo',
    subtitle: dataLine,
    inputs,
    meta: {
      command: demoCommand(r),
      scale: r.scale,
      seed: r.seed,
      node: m.node,
      cpu: m.cpu,
      cores: m.cores,
      memory: `${m.memoryGiB} GiB`,
      os: m.os,
      'total time': `${r.totalSeconds.toFixed(1)} s wall, ${r.totalCpuSeconds.toFixed(1)} s CPU`,
    },
    sections,
  };
}

/** What the shedding run's cost clock (results.json `config.costClock`) measured, for the report's text. */
function costClockText(kind: unknown): string {
  if (kind === 'thread') return "the CPU time of the monitor's thread";
  if (kind === 'wall') return 'wall time';
  return 'process CPU time (capped by wall time)';
}
