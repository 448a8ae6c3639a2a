/** `loadcast experiment shedding`: seed 004 section VI (Figs. 3, 4, 5) on a dense background from a real trace. */
import type { Command } from 'commander';
import { parseAggregates } from '../features/index.ts';
import { runSheddingExperiment, type SheddingResults } from '../experiments/shedding.ts';
import { COST_CLOCKS } from '../monitor/index.ts';
import { formatTable, printResult } from './output.ts';
import { oneOf, parseDurationNs, parseNumber } from '../units.ts';

interface Flags {
  background: string;
  attack: string;
  out: string;
  seed: string;
  quick?: boolean;
  rate?: string;
  seconds?: string;
  budgetFactor?: string;
  buffer: string;
  features: string;
  costClock?: string;
  json?: boolean;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '-');

/** The human-readable summary of the experiment. */
function humanReport(r: SheddingResults, out: string): string {
  const c = r.config;
  const lines: string[] = [];
  lines.push(`background ${String(c.background)} -> ${Number(c.backgroundPackets)} packets over ${Number(c.backgroundSeconds).toFixed(1)} s (${Math.round(Number(c.backgroundRate))} pkt/s); attack ${String(c.attack)} at ${Number(c.attackRate)} pkt/s`);
  lines.push('', 'Fig. 3: flows query, relative prediction error over the DDoS');
  lines.push(formatTable([['predictor', 'mean', 'p95', 'batches'], ...(['ewma', 'slr', 'mlr'] as const).map((k) => [k, pct(r.predictors[k].meanRelError), pct(r.predictors[k].p95RelError), r.predictors[k].batches])]));
  const nz = r.fig3Noise;
  lines.push(`measurement noise: the same batches measured again in a second pass differ by ${pct(nz.repeatRelError)} on average (median ${pct(nz.repeatMedianRelError)}, ${nz.repeatBatches} batches; first pass ${nz.repeatScale.toFixed(2)}x the second); batch-level noise alone puts a predictor that knew each batch's expected cost at about ${pct(nz.noiseFloor)}`);
  lines.push('', `Fig. 4/5: active-flows under the SYN flood; budget ${(r.shedding.budgetNs / 1e6).toFixed(3)} ms (normal ${(r.shedding.normalCostNs / 1e6).toFixed(3)} ms, flood ${(r.shedding.attackCostNs / 1e6).toFixed(3)} ms per batch unshed)`);
  lines.push(
    formatTable([
      ['mode', 'flood batches <= 1.05x budget', 'cost/budget mean', 'p95', 'drops (flood)', 'drops (after warm-up)', 'drops (warm-up)', 'rate mean flood', 'before', 'active-flows error mean', 'max'],
      ...(['none', 'packet', 'flow'] as const).map((m) => {
        const a = r.accuracy[m];
        return [m, pct(a.withinBudgetShare), a.attackCostOverBudgetMean.toFixed(3), a.costOverBudgetP95.toFixed(3), a.attackDrops, a.postWarmupDrops, a.warmupDrops, a.meanRate.toFixed(3), a.preAttackMeanRate.toFixed(3), pct(a.activeFlowsMeanRelError), pct(a.activeFlowsMaxRelError)];
      }),
    ]),
  );
  const wp = r.accuracy.flow.warmupPass;
  if (wp) lines.push(`each run was preceded by a ${Number(c.warmupPassS)} s warm-up pass (not counted; flow run: ${wp.batches} batches, first ${(wp.firstCostNs / 1e6).toFixed(1)} ms, median ${(wp.medianCostNs / 1e6).toFixed(2)} ms, ${wp.drops} drops); flow tables pre-sized for ${Number(c.initialFlows)} flows`);
  lines.push('', `overhead (features + prediction + shedding) / processing time, flow-sampling run: ${pct(r.overheadShare)}`);
  lines.push(`  with capture (reading + decoding) in the total: ${r.overheadShareWithCapture === null ? '-' : pct(r.overheadShareWithCapture)}`);
  lines.push(`  every standard query (${r.allQueries.queries.length}, unshed): ${pct(r.allQueries.overheadShare)} (with capture ${r.allQueries.overheadShareWithCapture === null ? '-' : pct(r.allQueries.overheadShareWithCapture)})`);
  lines.push(`written to ${out}: results.json, fig3.csv, fig3-telemetry.csv, fig4.csv, fig5.csv, fig3.svg, fig3-error.svg, fig4.svg, fig5.svg (${r.seconds.toFixed(1)} s)`);
  lines.push(`replay Fig. 3 offline (other predictors or settings, same costs): loadcast predict ${out}/fig3-telemetry.csv --from ${Number(r.config['attackAtS'])}s --to ${Number(r.config['attackAtS']) + Number(r.config['ddosForS'])}s`);
  return lines.join('\n');
}

/** Registers `experiment shedding`. */
export function registerExperimentShedding(experiment: Command): void {
  experiment
    .command('shedding')
    .description(
      'Reproduce seed 004 section VI: build a dense background from a real trace (looped and sped up to 60,000 ' +
        'packets/s for 60 s), inject an on/off spoofed DDoS and a 20 s SYN flood (synthetic, or a real attack capture), ' +
        'then (1) compare EWMA, SLR and MLR cost prediction for the flows query (Fig. 3), (2) cost per batch against ' +
        'the budget with and without shedding (Fig. 4), (3) active-flows error with no shedding (200 ms buffer), ' +
        'packet and flow sampling against the exact reference (Fig. 5), and (4) repeat the Fig. 3 run to measure how much the same batches\' costs differ (the noise floor of any predictor). Writes results.json, CSVs and SVG figures. ' +
        'Costs are the CPU time of the monitor\'s thread per query call (--cost-clock); each run is preceded by a warm-up pass over the ' +
        'first seconds (JIT, allocator; reported apart) and the flow tables are pre-sized for the densest interval. ' +
        'For steadier numbers run with NODE_OPTIONS=--max-semi-space-size=64.',
    )
    .requiredOption('--background <trace>', 'real trace the background is built from, e.g. ../shared/data/pcap/ustctfc2016__Tinba.pcap')
    .option('--attack <synthetic|pcap>', 'synthetic anomalies, or a real attack capture merged in (e.g. ../shared/data/pcap/stopddos__pkt.TCP.synflood.spoofed.pcap)', 'synthetic')
    .requiredOption('--out <dir>', 'output directory (created; traces, CSVs, figures, results.json)')
    .option('--seed <n>', 'seed of every random choice', '1')
    .option('--quick', 'a shorter run (30 s background, 15 s DDoS, 10 s SYN flood)')
    .option('--rate <pps>', 'background packets per second (default 60000, about the seed trace\'s 57.6 kpps)')
    .option('--seconds <s>', 'background length in seconds (default 60, 30 with --quick)')
    .option('--budget-factor <x>', 'budget = x times the median pre-attack cost per batch (default 4/3: the seed\'s 6M over 4.5M cycles)')
    .option('--buffer <time>', 'capture buffer of the no-shedding run', '200ms')
    .option('--features <set>', 'traffic aggregates the monitor counts: all (the seed\'s 13), lite, or a comma-separated list (see monitor --help)', 'all')
    .option('--cost-clock <kind>', 'how query costs are measured: thread (CPU time of the monitor\'s thread; the default where Node provides it) | cpu (process CPU time, capped by wall time; the fallback) | wall')
    .option('--json', 'print results.json on stdout')
    .action(async (f: Flags) => {
      const r = await runSheddingExperiment({
        background: f.background,
        attack: f.attack,
        outDir: f.out,
        seed: parseNumber(f.seed, '--seed', { integer: true, min: 0 }),
        quick: !!f.quick,
        rate: f.rate === undefined ? undefined : parseNumber(f.rate, '--rate', { min: 1 }),
        seconds: f.seconds === undefined ? undefined : parseNumber(f.seconds, '--seconds', { min: 1 }),
        budgetFactor: f.budgetFactor === undefined ? undefined : parseNumber(f.budgetFactor, '--budget-factor', { min: 1e-3 }),
        bufferNs: parseDurationNs(f.buffer, '--buffer', 'ms'),
        aggregates: parseAggregates(f.features),
        costClock: f.costClock === undefined ? undefined : oneOf(f.costClock, '--cost-clock', 'cost-clock', COST_CLOCKS, 'clock'),
        onStep: f.json ? undefined : (s) => process.stderr.write(`- ${s}\n`),
      });
      printResult(r, f.json, (x) => humanReport(x, f.out));
    });
}
