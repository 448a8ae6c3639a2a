/**
 * Plain-language warnings about a monitor run whose numbers alone would mislead: a budget the monitor's own
 * overhead already uses up, queries the shedder kept disabled, packets lost although shedding was on. Printed
 * after the human summary and listed in the JSON report (`warnings`), so that a script sees them too.
 */
import type { RunSummary } from './summary.ts';

export interface DiagnosedRun {
  readonly summary: RunSummary;
  readonly options: { readonly shed: string; readonly budgetCovers: 'total' | 'queries' };
}

/** Overhead above this share of the budget leaves the queries too little to be worth running. */
const OVERHEAD_SHARE_OF_BUDGET = 0.8;
/** A query disabled in more than this share of the batches is reported. */
const DISABLED_SHARE = 0.5;

const ms = (ns: number): string => `${(ns / 1e6).toFixed(3)} ms`;

export function diagnose(run: DiagnosedRun): string[] {
  const s = run.summary;
  const out: string[] = [];
  const t = s.timeSplit;
  const overheadPerBatch = s.batches > 0 ? ((t.featuresS + t.predictS + t.shedS + t.postS) * 1e9) / s.batches : 0;
  if (s.budgetNs !== null && run.options.budgetCovers === 'total' && overheadPerBatch >= OVERHEAD_SHARE_OF_BUDGET * s.budgetNs) {
    out.push(
      `the monitor's own overhead (features, prediction, shedding: ${ms(overheadPerBatch)} per batch on average) uses ` +
        `${Math.round((100 * overheadPerBatch) / s.budgetNs)}% of the ${ms(s.budgetNs)} budget, leaving the queries little or nothing: ` +
        'raise --budget, or charge only the queries with --budget-covers queries',
    );
  }
  for (const q of Object.values(s.queries)) {
    if (s.batches > 0 && q.disabledBatches > DISABLED_SHARE * s.batches) {
      out.push(`query ${q.name} was disabled in ${q.disabledBatches} of ${s.batches} batches: its cost at its minimum rate does not fit the budget`);
    }
  }
  if (run.options.shed !== 'none' && s.uncontrolledDrops > 0) {
    out.push(
      `${s.uncontrolledDrops} packets were dropped uncontrolled although shedding was on: overruns the buffer could not absorb ` +
        '(batch 0, with no prediction yet, is never shed, and a batch far costlier than predicted can overrun it; ' +
        'see where in the per-batch telemetry, --telemetry run.csv, columns drops and <query>.measured_ns)',
    );
  }
  return out;
}
