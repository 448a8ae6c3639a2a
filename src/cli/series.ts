/** `loadcast series ...`: prepare cluster telemetry datasets (DuckDB), inspect and export them. */
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import {
  ADJACENCY_KINDS,
  BITBRAINS_DEFAULT,
  SOURCE_KINDS,
  datasetInfo,
  exportDataset,
  prepareDataset,
  type DatasetInfo,
  type PrepareReport,
  type SourceKind,
} from '../series/index.ts';
import { formatTable, printResult, progress } from './output.ts';
import { parseDurationNs, parseNumber } from '../units.ts';

const list = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

function parseSplit(text: string): [number, number] {
  const parts = text.split(',').map((s) => parseNumber(s, '--split', { min: 0, max: 1 }));
  if (parts.length !== 2) throw new UserError('cli.bad-split', `--split '${text}': give two ratios, train,validation (e.g. 0.7,0.1); the test part is the rest`);
  return [parts[0]!, parts[1]!];
}

interface PrepareFlags {
  source: string;
  input: string[];
  meta?: string;
  step?: string;
  metrics?: string[];
  entities?: string[];
  adjacency: string;
  topK: string;
  split: string;
  keepSparseMetrics?: boolean;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function registerSeries(program: Command): void {
  const series = program
    .command('series')
    .description('Cluster telemetry datasets for the slow loop: load, clean, align, split and relate many series (DuckDB).');

  series
    .command('prepare')
    .description(
      'Read a cluster trace, mask invalid values, resample to a fixed step (mean within a step; no sample = ' +
        'missing, never zero-filled), split chronologically, compute training statistics and a task adjacency, and ' +
        'write everything to one DuckDB file. ' +
        'Sources: alibaba2018 (machine_usage; --meta machine_meta for failure domains), bitbrains (GWA-T-12: the ' +
        'combined file or per-VM CSVs), long (time, entity, metric, value), wide (time + one column per series, ' +
        'named entity:metric). Inputs: CSV, CSV.gz or Parquet.',
    )
    .requiredOption('--source <kind>', `one of ${SOURCE_KINDS.join(', ')}`)
    .requiredOption('--input <files...>', 'input file(s)')
    .requiredOption('--out <file>', 'output DuckDB file')
    .option('--meta <file>', 'alibaba2018: machine_meta file (topology: machines sharing failure_domain_1 are linked)')
    .option('--step <duration>', 'grid step (default 300s for alibaba2018/bitbrains, the median timestamp spacing for long/wide)')
    .option('--metrics <names>', `metrics to keep, comma-separated (bitbrains default: ${BITBRAINS_DEFAULT.join(',')}; alibaba2018 default: cpu,mem,disk_io,net_in,net_out)`, list)
    .option('--entities <names>', 'entities (machines, VMs) to keep, comma-separated', list)
    .option('--adjacency <kind>', `task adjacency: ${ADJACENCY_KINDS.join(', ')} or a +-joined combination`, 'topology+statistical')
    .option('--top-k <n>', 'statistical adjacency: neighbours per series by |Pearson r| on the training part', '5')
    .option('--split <train,val>', 'chronological split ratios; the test part is the rest', '0.7,0.1')
    .option('--keep-sparse-metrics', 'alibaba2018: also keep mem_gps and mkpi (empty in 78% of rows)')
    .option('--force', 'overwrite --out if it exists')
    .option('--json', 'print the report as JSON')
    .action(async (o: PrepareFlags) => {
      if (!(SOURCE_KINDS as readonly string[]).includes(o.source)) {
        throw new UserError('cli.bad-source', `--source '${o.source}' is not known`, `Use one of ${SOURCE_KINDS.join(', ')}.`);
      }
      const bar = progress('prepare', 100, { json: o.json, format: '{stage}' });
      const report = await prepareDataset(
        {
          source: o.source as SourceKind,
          inputs: o.input,
          meta: o.meta,
          out: o.out,
          stepSeconds: o.step !== undefined ? parseDurationNs(o.step, '--step', 's') / 1e9 : undefined,
          metrics: o.metrics,
          entities: o.entities,
          adjacency: o.adjacency,
          topK: parseNumber(o.topK, '--top-k', { min: 1, integer: true }),
          split: parseSplit(o.split),
          keepSparseMetrics: o.keepSparseMetrics,
          force: o.force,
        },
        (stage, f) => bar.update(Math.round(100 * f), { stage }),
      ).finally(() => bar.stop());
      printResult(report, o.json, formatPrepare);
    });

  series
    .command('info')
    .description(
      'Describe a prepared dataset: T, K, step, entities, metrics, missing share per metric, split boundaries, ' +
        'adjacency kind and edges, masked values by reason, gap report summary.',
    )
    .argument('<dataset>', 'DuckDB file written by `series prepare`')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { json?: boolean }) => {
      const info = await datasetInfo(file);
      printResult(info, o.json, formatInfo);
    });

  series
    .command('export')
    .description(
      'Write the dataset as a dense CSV (time + one column per series named entity:metric; raw values in ' +
        'shortest round-trip form, empty = missing) and a JSON beside it (T, K, train_end, val_end, training ' +
        'mean/std per series), so an outside tool can run on exactly the same numbers.',
    )
    .argument('<dataset>', 'DuckDB file written by `series prepare`')
    .requiredOption('--out <file>', 'output .csv or .csv.gz (the JSON goes beside it)')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, o: { out: string; json?: boolean }) => {
      const r = await exportDataset(file, o.out);
      printResult(r, o.json, (x) => `wrote ${x.csv} (${x.T} steps x ${x.K} series, ${x.observed} observed values) and ${x.json}`);
    });
}

function formatPrepare(r: PrepareReport): string {
  const masked = r.masked.reduce((a, m) => a + m.count, 0);
  return [
    `wrote ${r.out} in ${r.seconds.toFixed(1)} s`,
    `  T = ${r.T} steps of ${r.stepSeconds} s, K = ${r.K} series (${r.entities} entities x ${r.metrics.length} metrics: ${r.metrics.join(', ')})`,
    `  split: train [0, ${r.split.trainEnd}), validation [${r.split.trainEnd}, ${r.split.valEnd}), test [${r.split.valEnd}, ${r.T})`,
    `  adjacency: ${r.adjacency.kind}, ${r.adjacency.edges} edges besides self-loops`,
    `  masked: ${masked} value(s); run \`loadcast series info ${r.out}\` for details`,
  ].join('\n');
}

function formatInfo(i: DatasetInfo): string {
  const ents = i.entities.length > 8 ? `${i.entities.slice(0, 8).join(', ')}, ... (${i.entities.length})` : i.entities.join(', ');
  const lines = [
    `${i.path} (source ${i.source}, fingerprint ${i.fingerprint})`,
    `  T = ${i.T} steps of ${i.stepSeconds} s from ${i.startTime} to ${i.endTime}; K = ${i.K} series`,
    `  entities: ${ents}`,
    `  split: train [0, ${i.split.trainEnd}) ${i.split.trainSteps} steps, validation [${i.split.trainEnd}, ${i.split.valEnd}) ${i.split.valSteps}, test [${i.split.valEnd}, ${i.T}) ${i.split.testSteps}`,
    `  missing share by part: train ${pct(i.missingShareByPart.train)}, validation ${pct(i.missingShareByPart.val)}, test ${pct(i.missingShareByPart.test)}`,
    `  adjacency: ${i.adjacency.kind}${i.adjacency.topK ? ` (top-k ${i.adjacency.topK})` : ''}, ${i.adjacency.edges} edges besides self-loops, ${i.adjacency.nonZeros} non-zeros`,
    `  constant-in-training series: ${i.constantSeries}`,
    '',
    formatTable([['metric', 'missing'], ...i.metrics.map((m) => [m, pct(i.missingShare[m] ?? 0)])]),
    '',
  ];
  if (i.masked.length > 0) lines.push(formatTable([['masked: metric', 'reason', 'count'], ...i.masked.map((m) => [m.metric, m.reason, m.count])]), '');
  else lines.push('masked: none', '');
  const g = i.gaps;
  lines.push(
    `gaps: ${g.seriesWithGaps} series with inner gaps (${g.innerRuns} runs), longest run ${g.longestRunSteps} steps (${g.longestRunSeries ?? '-'}),`,
    `      ${g.seriesStartingLate} series start late, ${g.seriesEndingEarly} end early, ${g.emptySeries} have no value`,
  );
  for (const n of i.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
