/** CSV tables and SVG figures of the shedding experiment (seed 004 Figs. 3, 4, 5). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MonitorReport } from '../monitor/index.ts';
import { lineChart, renderSvg } from '../report/index.ts';
import type { SheddingInputs } from './shedding-inputs.ts';

export interface FigureData {
  readonly inputs: SheddingInputs;
  readonly t0: bigint;
  readonly fig3: MonitorReport;
  /** The Fig. 3 run made a second time (the measurement-noise floor). */
  readonly repeat: MonitorReport;
  readonly ref: MonitorReport;
  readonly runs: Readonly<Record<string, MonitorReport>>;
  readonly budgetNs: number;
}

function csv(header: readonly string[], rows: readonly (readonly (number | string)[])[]): string {
  const cell = (v: number | string): string => (typeof v === 'number' ? (Number.isFinite(v) ? String(+v.toPrecision(8)) : '') : v);
  return `${header.join(',')}\n${rows.map((r) => r.map(cell).join(',')).join('\n')}\n`;
}

const sec = (ns: bigint, t0: bigint): number => Number(ns - t0) / 1e9;

function flowsValue(v: unknown): number {
  return typeof v === 'object' && v !== null && typeof (v as { flows?: unknown }).flows === 'number' ? (v as { flows: number }).flows : NaN;
}

export async function writeSheddingFigures(dir: string, d: FigureData): Promise<void> {
  const { t0, inputs } = d;
  // Fig. 3: flows query, measured cost and the three predictions.
  const f3 = d.fig3.state.records;
  const x3 = f3.map((b) => sec(b.startNs, t0));
  const ms = (v: number): number => v / 1e6;
  const col = (k: 'ewma' | 'slr'): number[] => f3.map((b) => ms(b.shadow?.[k]?.[0] ?? NaN));
  const measured = f3.map((b) => ms(b.measured[0]!));
  const mlr = f3.map((b) => ms(b.predicted[0]!));
  const ewma = col('ewma');
  const slr = col('slr');
  const again = new Map(d.repeat.state.records.map((b) => [b.index, b]));
  const repeat = f3.map((b) => ms(again.get(b.index)?.measured[0] ?? NaN));
  await writeFile(
    join(dir, 'fig3.csv'),
    csv(
      ['time_s', 'packets', 'measured_ms', 'mlr_ms', 'ewma_ms', 'slr_ms', 'gc', 'warmup', 'repeat_measured_ms'],
      f3.map((b, i) => [x3[i]!, b.packets, measured[i]!, mlr[i]!, ewma[i]!, slr[i]!, b.gc ? 1 : 0, b.warmup ? 1 : 0, repeat[i]!]),
    ),
  );
  const relErr = (p: number[]): number[] => p.map((v, i) => (f3[i]!.warmup || f3[i]!.gc || !(measured[i]! > 0) ? NaN : Math.abs(v - measured[i]!) / measured[i]!));
  const ddosBand = [{ from: inputs.attackAtNs / 1e9, to: (inputs.attackAtNs + inputs.ddosForNs) / 1e9, label: 'DDoS' }];
  const charts: [string, Parameters<typeof lineChart>[0]][] = [
    [
      'fig3.svg',
      {
        title: 'Fig. 3: flows query cost per batch and its predictions (on/off DDoS)',
        x: x3,
        series: [
          { name: 'measured', values: measured },
          { name: 'MLR', values: mlr },
          { name: 'EWMA', values: ewma },
          { name: 'SLR', values: slr },
        ],
        xLabel: 'time (s)',
        yLabel: 'cost per batch (ms)',
        bands: ddosBand,
      },
    ],
    [
      'fig3-error.svg',
      {
        title: 'Fig. 3: relative prediction error per batch (flows query)',
        x: x3,
        series: [
          { name: 'MLR', values: relErr(mlr) },
          { name: 'EWMA', values: relErr(ewma) },
          { name: 'SLR', values: relErr(slr) },
        ],
        xLabel: 'time (s)',
        yLabel: '|predicted - measured| / measured',
        bands: ddosBand,
      },
    ],
  ];
  // Fig. 4: active-flows cost per batch against the budget, without (infinite buffer) and with shedding.
  const ref = d.ref.state.records;
  const by = (r: MonitorReport): Map<bigint, (typeof ref)[number]> => new Map(r.state.records.map((b) => [b.startNs, b]));
  const none = by(d.runs.none!);
  const packet = by(d.runs.packet!);
  const flow = by(d.runs.flow!);
  const x4 = ref.map((b) => sec(b.startNs, t0));
  const q = (m: Map<bigint, (typeof ref)[number]>, k: bigint): number => ms(m.get(k)?.queriesNs ?? NaN);
  /** A shedding run's cells of one batch (NaN where the run has no such batch): cost, rate, drops, backlog, prediction. */
  const shedCells = (r: (typeof ref)[number] | undefined): number[] => [
    ms(r?.queriesNs ?? NaN),
    r?.rate[0] ?? NaN,
    r?.drops ?? NaN,
    ms(r?.backlogNs ?? NaN),
    ms(r?.predicted[0] ?? NaN),
  ];
  await writeFile(
    join(dir, 'fig4.csv'),
    csv(
      ['time_s', 'packets', 'budget_ms', 'unshed_ms', 'none_buffer_ms', 'none_drops', 'packet_ms', 'packet_rate', 'packet_drops', 'packet_backlog_ms', 'packet_pred_ms', 'packet_predfull_ms', 'packet_err', 'flow_ms', 'flow_rate', 'flow_drops', 'flow_backlog_ms', 'flow_pred_ms'],
      ref.map((b, i) => {
        const n = none.get(b.startNs);
        const p = packet.get(b.startNs);
        return [
          x4[i]!,
          b.packets,
          ms(d.budgetNs),
          ms(b.queriesNs),
          ms(n?.queriesNs ?? NaN),
          n?.drops ?? NaN,
          ...shedCells(p),
          ms(p?.predictedFull[0] ?? NaN),
          p?.errorTerm ?? NaN,
          ...shedCells(flow.get(b.startNs)),
        ];
      }),
    ),
  );
  const synBand = [{ from: inputs.attackAtNs / 1e9, to: (inputs.attackAtNs + inputs.synForNs) / 1e9, label: 'SYN flood' }];
  charts.push([
    'fig4.svg',
    {
      title: 'Fig. 4: active-flows cost per batch, without and with load shedding (SYN flood)',
      x: x4,
      series: [
        { name: 'no shedding (infinite buffer)', values: ref.map((b) => ms(b.queriesNs)) },
        { name: 'flow sampling', values: ref.map((b) => q(flow, b.startNs)) },
        { name: 'packet sampling', values: ref.map((b) => q(packet, b.startNs)) },
      ],
      xLabel: 'time (s)',
      yLabel: 'cost per batch (ms)',
      rule: { y: ms(d.budgetNs), label: 'budget' },
      bands: synBand,
    },
  ]);
  // Fig. 5: active-flows estimate per interval against the exact count.
  const ai = d.ref.queryNames.indexOf('active-flows');
  const truth = d.ref.state.results[ai]!;
  const est = (r: MonitorReport): Map<bigint, number> => new Map(r.state.results[ai]!.map((x) => [x.result.intervalStartNs, flowsValue(x.result.value)]));
  const eN = est(d.runs.none!);
  const eP = est(d.runs.packet!);
  const eF = est(d.runs.flow!);
  const x5 = truth.map((r) => sec(r.result.intervalStartNs, t0));
  const tv = truth.map((r) => flowsValue(r.result.value));
  // Each estimate aligned on the truth's intervals (NaN where a run has no such interval), and its relative error.
  const aligned = (m: Map<bigint, number>): number[] => truth.map((r) => m.get(r.result.intervalStartNs) ?? NaN);
  const err = (v: number[]): number[] => v.map((x, i) => Math.abs(x - tv[i]!) / tv[i]!);
  const vN = aligned(eN);
  const vP = aligned(eP);
  const vF = aligned(eF);
  const errN = err(vN);
  const errP = err(vP);
  const errF = err(vF);
  await writeFile(
    join(dir, 'fig5.csv'),
    csv(
      ['interval_start_s', 'truth', 'none', 'packet', 'flow', 'err_none', 'err_packet', 'err_flow'],
      truth.map((_, i) => [x5[i]!, tv[i]!, vN[i]!, vP[i]!, vF[i]!, errN[i]!, errP[i]!, errF[i]!]),
    ),
  );
  charts.push([
    'fig5.svg',
    {
      title: 'Fig. 5: active-flows relative error per interval (SYN flood)',
      x: x5,
      series: [
        { name: 'no shedding (200 ms buffer)', values: errN },
        { name: 'packet sampling', values: errP },
        { name: 'flow sampling', values: errF },
      ],
      xLabel: 'time (s)',
      yLabel: 'relative error',
      bands: synBand,
    },
  ]);
  for (const [name, opts] of charts) await writeFile(join(dir, name), await renderSvg(lineChart(opts)));
}
