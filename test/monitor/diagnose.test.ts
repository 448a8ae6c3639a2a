import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from '../../src/monitor/diagnose.ts';
import type { QuerySummary, RunSummary } from '../../src/monitor/summary.ts';

function summary(o: { budgetNs: number | null; overheadS: number; drops?: number; disabled?: number }): RunSummary {
  const q: QuerySummary = { name: 'flows', costNs: 1e6, predError: { mean: 0.1, p95: 0.2, batches: 90 }, rate: { mean: 0.5, min: 0.1 }, disabledBatches: o.disabled ?? 0 };
  return {
    packets: 1e6,
    batches: 100,
    seconds: 1,
    mpps: 1,
    wallSeconds: 1,
    budgetNs: o.budgetNs,
    withinBudgetShare: 1,
    costOverBudget: null,
    uncontrolledDrops: o.drops ?? 0,
    gcBatches: 0,
    allocBatches: 0,
    warmupBatches: 10,
    overheadShare: 0.5,
    overheadShareWithCapture: null,
    timeSplit: { captureS: 0, queriesS: 0.5, flushS: 0, featuresS: o.overheadS, predictS: 0, shedS: 0, postS: 0 },
    queries: { flows: q },
  };
}

test('diagnose: a budget the overhead uses up, a query kept disabled, drops while shedding', () => {
  // 0.1 s of features over 100 batches = 1 ms per batch.
  const over = diagnose({ summary: summary({ budgetNs: 1.1e6, overheadS: 0.1 }), options: { shed: 'flow', budgetCovers: 'total' } });
  assert.equal(over.length, 1);
  assert.match(over[0]!, /1\.000 ms per batch.*91% of the 1\.100 ms budget.*--budget-covers queries/);
  assert.deepEqual(diagnose({ summary: summary({ budgetNs: 1.1e6, overheadS: 0.1 }), options: { shed: 'flow', budgetCovers: 'queries' } }), [], 'the budget covers only the queries');
  assert.deepEqual(diagnose({ summary: summary({ budgetNs: 2e6, overheadS: 0.1 }), options: { shed: 'flow', budgetCovers: 'total' } }), [], 'overhead at half the budget is fine');
  assert.deepEqual(diagnose({ summary: summary({ budgetNs: null, overheadS: 0.1 }), options: { shed: 'none', budgetCovers: 'total' } }), [], 'no budget');
  const off = diagnose({ summary: summary({ budgetNs: 2e6, overheadS: 0.1, disabled: 60, drops: 500 }), options: { shed: 'packet', budgetCovers: 'total' } });
  assert.equal(off.length, 2);
  assert.match(off[0]!, /flows was disabled in 60 of 100 batches/);
  assert.match(off[1]!, /^500 packets were dropped uncontrolled although shedding was on/);
  assert.deepEqual(diagnose({ summary: summary({ budgetNs: 2e6, overheadS: 0.1, drops: 500 }), options: { shed: 'none', budgetCovers: 'total' } }), [], 'drops without shedding are the point of --no-shed');
});
