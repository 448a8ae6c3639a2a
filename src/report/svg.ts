/**
 * Vega-Lite specs rendered to static SVG strings in Node, offline: the spec is compiled to Vega, run headless
 * (renderer 'none', no canvas, no DOM) and serialised with `toSVG()`. Data must be inline (`data.values`); the
 * view gets a loader that refuses every URL, so a report can never depend on the network. Text is measured
 * with Vega's built-in width estimate (no fonts are loaded); the SVG asks for the system sans-serif font.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { UserError } from '../errors.ts';

/** A Vega-Lite top-level specification (with inline data). */
export type VegaLiteSpec = TopLevelSpec;

/** Shared look of every chart: one font family, quiet axes, readable sizes. */
export const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6', domainColor: '#888', tickColor: '#888' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom', direction: 'horizontal' },
  title: { fontSize: 14, anchor: 'start', fontWeight: 600, offset: 8 },
  range: {
    // Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
    category: ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'],
  },
} as const;

/** A Vega loader that rejects every load: reports are offline by construction. */
function offlineLoader(): vega.Loader {
  const refuse = (uri: string): Promise<never> =>
    Promise.reject(
      new UserError('report.external-data', `chart spec tried to load '${uri}'`, 'Put chart data inline (data.values); reports never fetch external resources.'),
    );
  const base = vega.loader();
  return Object.assign(base, {
    load: refuse,
    sanitize: (uri: string) => refuse(uri),
    http: refuse,
    file: refuse,
  }) as vega.Loader;
}

/** Compiles a Vega-Lite spec to Vega, applying {@link CHART_CONFIG} under the spec's own config. */
export function toVegaSpec(spec: VegaLiteSpec): vega.Spec {
  const withConfig = { ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as VegaLiteSpec;
  return compile(withConfig).spec;
}

/** Throws when any object in the spec has a `url` (external data or images): Vega would only log the failure. */
function rejectUrls(node: unknown, path: string): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => rejectUrls(v, `${path}[${i}]`));
  } else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'values') continue; // inline data rows may hold any field names
      if (k === 'url' && typeof v === 'string') {
        throw new UserError('report.external-data', `chart spec tried to load '${v}' (at ${path}.url)`, 'Put chart data inline (data.values); reports never fetch external resources.');
      }
      rejectUrls(v, `${path}.${k}`);
    }
  }
}

/**
 * Renders a Vega-Lite spec to a standalone `<svg>` string. Errors Vega reports while running the dataflow
 * (which it would otherwise only log) are thrown.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  rejectUrls(spec, 'spec');
  const errors: string[] = [];
  const logger = vega.logger(vega.Warn, undefined, (method, _level, args) => {
    if (method === 'error') errors.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
  });
  const view = new vega.View(vega.parse(toVegaSpec(spec)), { renderer: 'none', loader: offlineLoader(), logger });
  try {
    const svg = await view.toSVG();
    if (errors.length) throw new UserError('report.render', `chart rendering failed: ${errors.join('; ')}`);
    return svg;
  } finally {
    view.finalize();
  }
}
