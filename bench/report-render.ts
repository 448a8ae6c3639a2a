/**
 * Speed of chart rendering (Vega-Lite -> Vega -> SVG in Node, offline) for the chart sizes the reports use:
 * a 30-minute trace at 100 ms batches gives 18,000 points per series. Prints one JSON object.
 * Also writes the sample report to /tmp/loadcast-bench-report.html (open it, or screenshot it with Chromium).
 *
 *   npx tsx bench/report-render.ts
 */
import { statSync } from 'node:fs';
import { Rng } from '../src/random.ts';
import { barChart, lineChart, renderSvg, writeReport, type VegaLiteSpec } from '../src/report/index.ts';

const rng = new Rng(1);
const n = 18000;
const x = Float64Array.from({ length: n }, (_, i) => i * 0.1);
const measured = Float64Array.from(x, (t) => 4.5 + Math.sin(t / 30) + rng.normal() * 0.3 + (t >= 600 && t < 620 ? 6.5 : 0));
const mlr = Float64Array.from(measured, (v) => v * (1 + 0.05 * rng.normal()));
const ewma = new Float64Array(n);
for (let i = 1; i < n; i++) ewma[i] = 0.3 * measured[i - 1]! + 0.7 * ewma[i - 1]!;

async function time(label: string, spec: () => VegaLiteSpec, reps: number): Promise<{ label: string; msPerChart: number; svgBytes: number }> {
  let svg = await renderSvg(spec()); // warm-up
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) svg = await renderSvg(spec());
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / reps;
  return { label, msPerChart: Math.round(ms * 10) / 10, svgBytes: svg.length };
}

const line = (maxPoints: number) => (): VegaLiteSpec =>
  lineChart({
    title: 'flows query: CPU cost per batch',
    x,
    series: [
      { name: 'measured', values: measured },
      { name: 'MLR', values: mlr },
      { name: 'EWMA', values: ewma },
    ],
    xLabel: 'time (s)',
    yLabel: 'cost (ms)',
    rule: { y: 8, label: 'budget 8 ms' },
    bands: [{ from: 600, to: 620, label: 'SYN flood' }],
    maxPoints,
  });
const bars = (): VegaLiteSpec =>
  barChart({
    title: 'flows query error',
    categories: ['no shedding', 'packet sampling', 'flow sampling'],
    series: [{ name: 'relative error (%)', values: [37.5, 5.2, 0.8] }],
  });

const results = [
  await time('line 3 x 18000 points, decimated to 1600', line(1600), 5),
  await time('line 3 x 18000 points, not decimated', line(0), 2),
  await time('bar 3 categories', bars, 20),
];
const path = '/tmp/loadcast-bench-report.html';
await writeReport(path, {
  title: 'Report rendering benchmark',
  subtitle: 'Synthetic series (seeded), only to exercise the renderer.',
  inputs: [{ role: 'series', name: 'bench/report-render.ts', generated: true, note: 'Rng seed 1' }],
  sections: [{ heading: 'Charts', svg: [await renderSvg(line(1600)()), await renderSvg(bars())] }],
});
console.log(JSON.stringify({ bench: 'report-render', node: process.version, results, reportFile: path, reportBytes: statSync(path).size }));
