import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { replayTelemetry, type ReplayScore } from '../monitor/index.ts';
import { parsePredictorKind, type PredictorKind, REGRESSION_MODES } from '../predict/index.ts';
import { oneOf, parseDurationNs, parseNumber } from '../units.ts';
import { formatTable, printResult } from './output.ts';

interface PredictFlags {
  query?: string;
  predictors: string;
  from?: string;
  to?: string;
  history?: string;
  alpha?: string;
  relevance?: string;
  maxFeatures?: string;
  regression: string;
  feedback: boolean;
  json?: boolean;
}

/** Registers `predict`: offline replay of a monitor run's telemetry through the cost predictors. */
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .argument('<telemetry>', 'wide CSV telemetry of a monitor run (`loadcast monitor ... --telemetry run.csv`)')
    .description(
      'Replays the features and measured costs a monitor run recorded through fresh cost predictors, batch by ' +
        'batch as the monitor feeds its own, and reports each one\'s relative prediction error next to the ' +
        'run\'s recorded predictions on the same batches: predictors and their settings compared on the very ' +
        'same costs, without re-running the monitor (whose measured costs would differ). Batches the query ran ' +
        'sampled are skipped (their predictor saw the sample\'s features, the telemetry holds the whole ' +
        'batch\'s), as are warm-up and GC-flagged batches.',
    )
    .option('--query <name>', 'query whose costs to replay (default: the only one in the file)')
    .option('--predictors <list>', 'comma-separated: mlr, slr, ewma', 'mlr,slr,ewma')
    .option('--from <time>', 'score batches starting this long after the first batch starts, or later, e.g. 20s')
    .option('--to <time>', 'score batches starting before this long after the first batch starts, e.g. 50s')
    .option('--history <n>', 'observation window in batches (CoMo NUM_OBS)', '60')
    .option('--alpha <a>', 'EWMA weight on the newest cost (also the warm-up fallback)', '0.3')
    .option('--relevance <r>', 'FCBF relevance threshold |r| (MLR)', '0.6')
    .option('--max-features <n>', 'most features FCBF keeps (MLR)', '15')
    .option('--regression <mode>', 'relative (least squares on relative residuals) | ols (the seed\'s)', 'relative')
    .option('--no-feedback', 'MLR without the correction by recent residuals')
    .option('--json', 'print the report as JSON')
    .action((file: string, o: PredictFlags) => {
      const kinds = o.predictors.split(',').map((s) => parsePredictorKind(s, '--predictors'));
      if (new Set(kinds).size !== kinds.length) throw new UserError('predict.duplicate', `--predictors ${o.predictors} names a predictor twice`, 'Name each of mlr, slr, ewma at most once.');
      const seconds = (v: string | undefined, flag: string): number | undefined => (v === undefined ? undefined : parseDurationNs(v, flag, 's') / 1e9);
      const r = replayTelemetry(file, {
        query: o.query,
        predictors: kinds as PredictorKind[],
        fromS: seconds(o.from, '--from'),
        toS: seconds(o.to, '--to'),
        settings: {
          history: parseNumber(o.history!, '--history', { integer: true, min: 3 }),
          alpha: parseNumber(o.alpha!, '--alpha', { min: 0, max: 1 }),
          relevance: parseNumber(o.relevance!, '--relevance', { min: 0, max: 1 }),
          maxFeatures: parseNumber(o.maxFeatures!, '--max-features', { integer: true, min: 1 }),
          regression: oneOf(o.regression, '--regression', 'regression', REGRESSION_MODES, 'mode'),
          feedback: o.feedback,
        },
      });
      if (r.scored === 0) throw new UserError('predict.nothing-scored', `no batch of '${r.query}' in ${file} can be scored`, `Skipped: ${JSON.stringify(r.skipped)}. Widen --from/--to, or record a run without shedding.`);
      printResult(r, o.json, () => {
        const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '-');
        const row = (name: string, s: ReplayScore): (string | number)[] => [name, pct(s.meanRelError), pct(s.medianRelError), pct(s.p95RelError), Number.isFinite(s.meanCostRatio) ? s.meanCostRatio.toFixed(3) : '-'];
        const rows: (string | number)[][] = [['predictor', 'mean rel error', 'median', 'p95', 'measured/predicted'], row('recorded (the run\'s own)', r.recorded)];
        for (const [k, s] of Object.entries(r.predictors)) rows.push(row(k, s));
        const sk = r.skipped;
        return (
          `${file}: query ${r.query}, ${r.batches} batches, ${r.scored} scored ` +
          `(skipped: ${sk.warmup} warm-up, ${sk.gc} GC-flagged, ${sk.sampled} sampled, ${sk.noCost} without cost, ${sk.outsideWindow} outside the window)\n\n` +
          formatTable(rows)
        );
      });
    });
}
