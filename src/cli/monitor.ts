/** `loadcast monitor <trace>`: run queries over a trace with per-query cost prediction and load shedding. */
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { AGGREGATES, parseAggregates } from '../features/index.ts';
import { parsePredictorKind } from '../predict/index.ts';
import { parseBudget } from '../shed/index.ts';
import { COST_CLOCKS, diagnose, runMonitor, type CostClockKind, type MonitorReport, type ShedMode } from '../monitor/index.ts';
import { formatTable, printJson, progress } from './output.ts';
import { oneOf, parseDurationNs, parseNumber } from '../units.ts';

interface MonitorFlags {
  queries?: string;
  query: string[];
  shed?: string;
  predictor: string;
  budget?: string;
  budgetShare?: string;
  budgetAuto?: string;
  warmup?: string;
  budgetCovers: string;
  errorModel: string;
  minRate: string[];
  batch: string;
  interval: string;
  clock: string;
  speed: string;
  costClock?: string;
  buffer: string;
  reference?: boolean;
  telemetry?: string;
  results?: string;
  seed: string;
  exactFeatures?: boolean;
  features: string;
  traceOut?: string;
  skipCorrupt?: boolean;
  warmupPass?: string;
  initialFlows?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

function fmtMs(ns: number | null | undefined): string {
  return ns === null || ns === undefined || !Number.isFinite(ns) ? '-' : `${(ns / 1e6).toFixed(3)} ms`;
}

function pct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(2)}%`;
}

/** The --json summary: issue 3 fields (packets, seconds, mpps, per-query costNs) + issue 4 fields. */
export function monitorJson(r: MonitorReport): unknown {
  const s = r.summary;
  return {
    trace: r.trace,
    options: r.options,
    packets: s.packets,
    batches: s.batches,
    seconds: s.seconds,
    mpps: s.mpps,
    wallSeconds: s.wallSeconds,
    budgetNs: s.budgetNs,
    withinBudgetShare: s.withinBudgetShare,
    costOverBudget: s.costOverBudget,
    uncontrolledDrops: s.uncontrolledDrops,
    gcBatches: s.gcBatches,
    warmupBatches: s.warmupBatches,
    overheadShare: s.overheadShare,
    queries: s.queries,
    warmupPass: r.warmupPass ?? null,
    warnings: diagnose(r),
  };
}

function printHuman(r: MonitorReport): void {
  const s = r.summary;
  const out: string[] = [];
  out.push(`${r.trace}: ${s.packets} packets in ${s.batches} batches; processing ${s.seconds.toFixed(3)} s (${s.mpps.toFixed(2)} Mpps), wall ${s.wallSeconds.toFixed(2)} s`);
  const aggs = r.options.aggregates;
  out.push(
    `shed ${r.options.shed}, predictor ${r.options.predictor}, clock ${r.options.clock}, budget ${r.options.budget ?? 'none (infinitely fast CPU)'}, ` +
      `features ${aggs.length === AGGREGATES.length ? 'all 13 aggregates' : `${aggs.length} of ${AGGREGATES.length} aggregates (${aggs.join(', ')})`}`,
  );
  out.push(
    `batches within 1.05x budget: ${pct(s.withinBudgetShare)}; cost/budget mean ${s.costOverBudget ? s.costOverBudget.mean.toFixed(3) : '-'}, p95 ${s.costOverBudget ? s.costOverBudget.p95.toFixed(3) : '-'}; ` +
      `uncontrolled drops ${s.uncontrolledDrops}; GC-flagged batches ${s.gcBatches}; overhead ${pct(s.overheadShare)}`,
  );
  const rows: (string | number)[][] = [['query', 'cost total', 'pred err mean', 'pred err p95', 'rate mean', 'rate min', 'disabled', 'result err']];
  for (const q of Object.values(s.queries)) {
    rows.push([
      q.name,
      fmtMs(q.costNs),
      pct(q.predError.mean),
      pct(q.predError.p95),
      q.rate.mean.toFixed(3),
      q.rate.min.toFixed(3),
      q.disabledBatches,
      q.resultError ? pct(q.resultError.meanRelError) : '-',
    ]);
  }
  out.push('', formatTable(rows));
  for (const w of diagnose(r)) out.push(`warning: ${w}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Registers the `monitor` command. */
export function registerMonitor(program: Command): void {
  program
    .command('monitor')
    .description(
      'Run traffic queries over a trace, 100 ms batch by batch, predicting each query\'s cost from traffic features ' +
        'and shedding load by packet or flow sampling to stay within a CPU budget (seed 004). Reports per query the ' +
        'cost, the prediction error, the cost against the budget, the sampling rates and the uncontrolled drops; ' +
        'with --reference also each query\'s result error against an exact unsampled run of the same input. ' +
        'Costs are real measured times: run with node --max-semi-space-size=64 (NODE_OPTIONS) for steadier numbers.',
    )
    .argument('<trace>', 'pcap or pcapng file')
    .option('--queries <list>', 'comma-separated standard queries, or "all"')
    .option('--query <path>', 'a user query module (repeatable)', collect, [])
    .option('--no-shed', 'no shedding: overload ends in uncontrolled drops (same as --shed none)')
    .option('--shed <mode>', 'none | packet | flow | auto (each query\'s own method)')
    .option('--predictor <kind>', 'mlr | slr | ewma', 'mlr')
    .option('--budget <time>', 'CPU budget per batch, e.g. 4ms')
    .option('--budget-share <x>', 'budget as a share of the batch period, e.g. 0.6')
    .option('--budget-auto <x>', 'budget = x times the median unshed batch cost measured during warm-up, e.g. 1.2')
    .option('--budget-covers <what>', 'total (queries + features/prediction/shedding overhead) | queries (the queries only, as in seed 004 VI.B)', 'total')
    .option('--warmup <n>', 'warm-up batches for --budget-auto (default 60)')
    .option('--min-rate <q=r>', 'minimum sampling rate of a query, e.g. flows=0.1 (repeatable)', collect, [])
    .option('--error-model <kind>', 'prediction-error margin of the shedder: tail (95th percentile of measured/predicted over 60 batches, one-sided) | mean (CoMo: EWMA of |1 - predicted/measured|)', 'tail')
    .option('--batch <time>', 'batch (time bin) width', '100ms')
    .option('--interval <time>', 'measurement interval (query results)', '1s')
    .option('--clock <mode>', 'emulated (trace time drives an emulated CPU and buffer) | realtime (paced replay)', 'emulated')
    .option('--cost-clock <kind>', 'thread (CPU time of the thread running the queries: immune to other load and to the process\'s GC and compiler threads; default with --clock emulated where Node provides it) | cpu (process CPU time, the fallback) | wall (hrtime; default with --clock realtime)')
    .option('--speed <x>', 'realtime replay speed factor', '1')
    .option('--buffer <time>', 'capture buffer (traffic it can hold before dropping)', '200ms')
    .option('--reference', 'also run the exact reference pass and report result errors')
    .option('--telemetry <file>', 'per-batch telemetry: .csv (wide), .parquet, or .long.csv (time,entity,metric,value)')
    .option('--results <file.jsonl>', 'per-interval query results, one JSON object per line')
    .option('--seed <n>', 'seed of every random choice (sampling, hashes)', '1')
    .option('--exact-features', 'count distinct keys exactly instead of with sketches')
    .option('--features <set>', 'traffic aggregates to count: all (the seed\'s 13), lite (src_ip, dst_ip, proto_src_port, proto_dst_port, five_tuple: about half the feature cost), or a comma-separated list', 'all')
    .option('--trace-out <file.pcap>', 'output file of the trace query')
    .option('--skip-corrupt', 'skip corrupt records instead of stopping')
    .option('--warmup-pass <time>', 'first replay this much of the trace through a throwaway run (JIT, allocator warm-up; reported apart), e.g. 5s')
    .option('--initial-flows <n>', 'pre-size the flows/active-flows tables for n flows per interval (no growth mid-run)')
    .option('--json', 'print the summary as JSON')
    .action(async (trace: string, flags: MonitorFlags & { shed?: string | boolean }) => {
      const shedFlag = flags.shed as unknown;
      let shed: ShedMode;
      if (shedFlag === false) shed = 'none';
      else if (typeof shedFlag === 'string') {
        if (!['none', 'packet', 'flow', 'auto'].includes(shedFlag)) throw new UserError('cli.bad-shed', `--shed: unknown mode '${shedFlag}'`, 'use none, packet, flow or auto');
        shed = shedFlag as ShedMode;
      } else shed = 'auto';
      const batchNs = parseDurationNs(flags.batch, '--batch', 'ms');
      if (!Number.isInteger(batchNs)) throw new UserError('cli.bad-duration', `--batch: ${flags.batch} is not a whole number of ns`, 'give the batch width in whole ns, e.g. 100ms or 2500us');
      const intervalNs = parseDurationNs(flags.interval, '--interval', 's');
      const clock = oneOf(flags.clock, '--clock', 'clock', ['emulated', 'realtime'] as const, 'mode');
      const budgetGiven = flags.budget !== undefined || flags.budgetShare !== undefined || flags.budgetAuto !== undefined;
      // Without a budget flag: shedding gets the whole batch period (a real-time CPU); --no-shed gets an
      // infinitely fast CPU, i.e. the exact reference run of issue 3.
      const budget = budgetGiven || shed !== 'none'
        ? () => parseBudget({ budget: flags.budget, budgetShare: flags.budgetShare, budgetAuto: flags.budgetAuto, warmup: flags.warmup }, batchNs)
        : undefined;
      budget?.(); // validate the flags before reading the trace
      const queries = flags.queries === undefined ? [] : flags.queries.trim() === 'all' ? 'all' : flags.queries.split(',').map((s) => s.trim()).filter(Boolean);
      const bar = progress('monitor', 0, { json: flags.json, format: '{value} batches | {packets} packets' });
      let packets = 0;
      let report: MonitorReport;
      try {
        report = await runMonitor(trace, {
          queries,
          userQueries: flags.query,
          shed,
          predictor: parsePredictorKind(flags.predictor),
          budget,
          minRates: flags.minRate,
          batchNs,
          intervalNs,
          clock,
          speed: parseNumber(flags.speed, '--speed', { min: 1e-6 }),
          bufferNs: parseDurationNs(flags.buffer, '--buffer', 'ms'),
          reference: !!flags.reference,
          telemetry: flags.telemetry,
          results: flags.results,
          seed: parseNumber(flags.seed, '--seed', { integer: true, min: 0 }),
          exactFeatures: !!flags.exactFeatures,
          aggregates: parseAggregates(flags.features),
          traceOut: flags.traceOut,
          skipCorrupt: !!flags.skipCorrupt,
          costClock: flags.costClock === undefined ? undefined : oneOf<CostClockKind>(flags.costClock, '--cost-clock', 'cost-clock', COST_CLOCKS, 'clock'),
          budgetCovers: oneOf(flags.budgetCovers, '--budget-covers', 'budget-covers', ['total', 'queries'] as const),
          errorModel: oneOf(flags.errorModel, '--error-model', 'error-model', ['tail', 'mean'] as const),
          warmupPassNs: flags.warmupPass === undefined ? undefined : parseDurationNs(flags.warmupPass, '--warmup-pass', 's'),
          initialFlows: flags.initialFlows === undefined ? undefined : parseNumber(flags.initialFlows, '--initial-flows', { integer: true, min: 0 }),
          onBatch: (rec) => {
            packets += rec.packets;
            bar.update(rec.index + 1, { packets });
          },
        });
      } finally {
        bar.stop();
      }
      if (flags.json) printJson(monitorJson(report));
      else printHuman(report);
    });
}
