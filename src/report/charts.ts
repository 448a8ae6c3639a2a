/**
 * Small chart builders that return Vega-Lite specs with inline data, in one consistent style. Render them with
 * {@link renderSvg}. Long series are decimated per pixel column (min and max of each bucket are kept) so a
 * 30-minute trace at 100 ms batches (18,000 points per series) stays a small SVG that still shows every spike.
 */
import { UserError } from '../errors.ts';
import type { VegaLiteSpec } from './svg.ts';

export interface Series {
  name: string;
  /** One value per x (line charts) or per category (bar charts); NaN/null/undefined = missing. */
  values: ArrayLike<number | null | undefined>;
}

/** A horizontal reference line, e.g. the CPU budget. */
export interface RuleLine {
  y: number;
  label?: string;
}

/** A shaded interval of x, e.g. the time an anomaly was active. */
export interface XBand {
  from: number;
  to: number;
  label?: string;
}

export interface LineChartOptions {
  title: string;
  /** Shared x values (ascending). */
  x: ArrayLike<number>;
  series: readonly Series[];
  xLabel?: string;
  yLabel?: string;
  rule?: RuleLine;
  bands?: readonly XBand[];
  yScale?: 'linear' | 'log';
  width?: number;
  height?: number;
  /** Points kept per series after min/max decimation (default 1600; 0 = keep all). */
  maxPoints?: number;
}

export interface BarChartOptions {
  title: string;
  categories: readonly string[];
  /** Several series give grouped bars (one colour per series). */
  series: readonly Series[];
  xLabel?: string;
  yLabel?: string;
  rule?: RuleLine;
  width?: number;
  height?: number;
}

const REF_COLOR = '#b2182b';
const BAND_COLOR = '#999999';
const LINE_WIDTH = 640;
const BAR_WIDTH = 480;

function finite(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Indices to keep from `n` points so that at most ~`maxPoints` remain: per bucket the first, the minimum and
 * the maximum of `values` (in x order). Keeps all points when n <= maxPoints.
 */
export function decimateIndices(values: ArrayLike<number | null | undefined>, maxPoints: number): number[] {
  const n = values.length;
  const keep: number[] = [];
  if (maxPoints <= 0 || n <= maxPoints) {
    for (let i = 0; i < n; i++) keep.push(i);
    return keep;
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 3));
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    let iMin = -1;
    let iMax = -1;
    for (let i = lo; i < hi; i++) {
      const v = values[i];
      if (!finite(v)) continue;
      if (iMin < 0 || v < (values[iMin] as number)) iMin = i;
      if (iMax < 0 || v > (values[iMax] as number)) iMax = i;
    }
    const picks = [lo, iMin, iMax].filter((i) => i >= 0).sort((a, b2) => a - b2);
    for (const i of picks) if (keep[keep.length - 1] !== i) keep.push(i);
  }
  if (keep[keep.length - 1] !== n - 1) keep.push(n - 1);
  return keep;
}

/**
 * The spec shared by every chart: the given layers, then the dashed reference line labelled at the right edge
 * (when `o.rule` is set), at `o.width` (default `defaultWidth`) by `o.height` (default 220).
 */
function layeredSpec(
  o: { title: string; rule?: RuleLine; width?: number; height?: number },
  layers: object[],
  defaultWidth: number,
): VegaLiteSpec {
  const width = o.width ?? defaultWidth;
  if (o.rule) {
    layers.push({
      data: { values: [{ y: o.rule.y, label: o.rule.label ?? '' }] },
      layer: [
        { mark: { type: 'rule', color: REF_COLOR, strokeDash: [6, 4], strokeWidth: 1.5 }, encoding: { y: { field: 'y', type: 'quantitative' } } },
        {
          mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -3, color: REF_COLOR, fontSize: 11 },
          encoding: { y: { field: 'y', type: 'quantitative' }, x: { value: width }, text: { field: 'label' } },
        },
      ],
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: o.title,
    width,
    height: o.height ?? 220,
    layer: layers,
  } as VegaLiteSpec;
}

function checkSeries(title: string, series: readonly Series[], length: number, what: string): void {
  if (series.length === 0) throw new UserError('report.no-series', `chart '${title}' has no series`);
  for (const s of series) {
    if (s.values.length !== length) {
      throw new UserError(
        'report.length-mismatch',
        `chart '${title}': series '${s.name}' has ${s.values.length} values but there are ${length} ${what}`,
      );
    }
  }
}

/** Line chart of several series over a shared x axis, with an optional reference line and shaded bands. */
export function lineChart(o: LineChartOptions): VegaLiteSpec {
  checkSeries(o.title, o.series, o.x.length, 'x values');
  const rows: { x: number; y: number | null; series: string }[] = [];
  for (const s of o.series) {
    for (const i of decimateIndices(s.values, o.maxPoints ?? 1600)) {
      const v = s.values[i];
      rows.push({ x: o.x[i]!, y: finite(v) ? v : null, series: s.name });
    }
  }
  const names = o.series.map((s) => s.name);
  const layers: object[] = [];
  if (o.bands?.length) {
    layers.push({
      data: { values: o.bands.map((b) => ({ from: b.from, to: b.to, label: b.label ?? '' })) },
      mark: { type: 'rect', color: BAND_COLOR, opacity: 0.15 },
      encoding: { x: { field: 'from', type: 'quantitative' }, x2: { field: 'to' } },
    });
    layers.push({
      data: { values: o.bands.filter((b) => b.label).map((b) => ({ from: b.from, label: b.label })) },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, color: '#555', fontSize: 10 },
      encoding: { x: { field: 'from', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
    });
  }
  layers.push({
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.4, interpolate: 'linear' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: o.xLabel ?? null, scale: { zero: false, nice: false } },
      y: { field: 'y', type: 'quantitative', title: o.yLabel ?? null, scale: { type: o.yScale ?? 'linear' } },
      color: { field: 'series', type: 'nominal', title: null, scale: { domain: names }, legend: names.length > 1 ? {} : null },
    },
  });
  return layeredSpec(o, layers, LINE_WIDTH);
}

/** Bar chart over categories; several series give grouped bars. */
export function barChart(o: BarChartOptions): VegaLiteSpec {
  checkSeries(o.title, o.series, o.categories.length, 'categories');
  const rows: { category: string; y: number | null; series: string }[] = [];
  for (const s of o.series) {
    o.categories.forEach((c, i) => {
      const v = s.values[i];
      rows.push({ category: c, y: finite(v) ? v : null, series: s.name });
    });
  }
  const names = o.series.map((s) => s.name);
  const grouped = o.series.length > 1;
  const layers: object[] = [
    {
      data: { values: rows },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'category', type: 'nominal', title: o.xLabel ?? null, sort: [...o.categories], axis: { labelAngle: 0 } },
        y: { field: 'y', type: 'quantitative', title: o.yLabel ?? null },
        color: { field: 'series', type: 'nominal', title: null, scale: { domain: names }, legend: grouped ? {} : null },
        ...(grouped ? { xOffset: { field: 'series', type: 'nominal', sort: names } } : {}),
      },
    },
  ];
  return layeredSpec(o, layers, BAR_WIDTH);
}
