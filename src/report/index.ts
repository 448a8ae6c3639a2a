/** Self-contained HTML reports with SVG charts rendered offline by Vega-Lite. */
export { renderSvg, toVegaSpec, CHART_CONFIG, type VegaLiteSpec } from './svg.ts';
export {
  lineChart,
  barChart,
  decimateIndices,
  type Series,
  type RuleLine,
  type XBand,
  type LineChartOptions,
  type BarChartOptions,
} from './charts.ts';
export {
  buildReport,
  writeReport,
  tableHtml,
  escapeHtml,
  formatCell,
  type Report,
  type ReportSection,
  type ReportInput,
  type TableData,
  type Cell,
} from './html.ts';
