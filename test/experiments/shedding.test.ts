/** Smoke test of `experiment shedding` on a tiny configuration: every output is written and well formed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSheddingExperiment } from '../../src/experiments/shedding.ts';

test('experiment shedding (tiny): results.json, CSVs and SVG figures', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loadcast-exp-'));
  try {
    const r = await runSheddingExperiment({
      background: '../shared/data/pcap/ndpi__gnutella.pcap',
      outDir: dir,
      quick: true,
      rate: 2000,
      seconds: 8,
      attackAtS: 3,
      ddosForS: 3,
      synForS: 3,
      warmupBatches: 15,
      warmupPassNs: 1e9,
    });
    const j = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
    for (const k of ['ewma', 'slr', 'mlr']) {
      assert.ok(Number.isFinite(j.predictors[k].meanRelError), `${k} error`);
      assert.ok(j.predictors[k].batches > 10);
      assert.ok(j.predictors[k].meanCostRatio > 0 && Number.isFinite(j.predictors[k].meanCostRatio), `${k} bias`);
    }
    assert.ok(j.shedding.budgetNs > 0);
    assert.ok(j.shedding.withinBudgetShare >= 0 && j.shedding.withinBudgetShare <= 1);
    for (const m of ['none', 'packet', 'flow']) assert.ok(Number.isFinite(j.accuracy[m].activeFlowsMeanRelError), `${m} accuracy`);
    assert.ok(j.overheadShare > 0 && j.overheadShare < 1);
    // Overhead against a realistic query set, and the time split it is computed from.
    assert.ok(j.allQueries.queries.length >= 5 && j.allQueries.queries.includes('flows'));
    assert.ok(j.allQueries.overheadShare > 0 && j.allQueries.overheadShare < 1);
    assert.ok(j.allQueries.overheadShareWithCapture > 0 && j.allQueries.overheadShareWithCapture < j.allQueries.overheadShare);
    assert.ok(j.timeSplit.featuresS > 0 && j.timeSplit.queriesS > 0 && j.timeSplit.captureS > 0);
    assert.ok(Number.isFinite(j.fig3Noise.preAttackCostPerPacketCv) && j.fig3Noise.preAttackCostPerPacketCv >= 0);
    // The repeat pass pairs the scored DDoS batches with their second measurement (a GC in either pass unpairs one).
    assert.ok(j.fig3Noise.repeatBatches > 0.8 * j.predictors.mlr.batches && j.fig3Noise.repeatBatches <= j.predictors.mlr.batches);
    assert.ok(j.fig3Noise.repeatRelError > 0 && j.fig3Noise.noiseFloor > 0 && j.fig3Noise.repeatScale > 0);
    // fig3.csv's last column is each batch's second measurement (the repeat pass), beside its first (measured_ms).
    const f3 = (await readFile(join(dir, 'fig3.csv'), 'utf8')).trim().split('\n');
    assert.equal(f3[0]!.split(',').at(-1), 'repeat_measured_ms');
    const paired = f3.slice(1).filter((line) => Number(line.split(',').at(-1)) > 0).length;
    assert.ok(paired >= j.fig3Noise.repeatBatches, `fig3.csv pairs ${paired} batches, fewer than the ${j.fig3Noise.repeatBatches} scored`);
    // Synthetic on/off DDoS: per-phase errors are reported for every predictor.
    for (const k of ['ewma', 'slr', 'mlr']) assert.ok(Number.isFinite(j.predictors[k].byPhase.on) && Number.isFinite(j.predictors[k].byPhase.off), `${k} phases`);
    assert.equal(j.config.backgroundPackets, r.config.backgroundPackets);
    // Tables pre-sized for the densest interval; each run preceded by a warm-up pass (1 s + 1 s of attack) reported apart.
    assert.equal(j.config.initialFlows, Math.ceil(j.config.backgroundRate + j.config.attackRate));
    for (const m of ['none', 'packet', 'flow']) {
      const a = j.accuracy[m];
      assert.equal(a.warmupPass.batches, 20, `${m} warm-up pass: 1 s of background + the attack's first second`);
      assert.equal(a.uncontrolledDrops, a.warmupDrops + a.postWarmupDrops, `${m} drops split`);
      assert.ok(a.attackCostOverBudgetMean > 0);
    }
    // The background holds at least the requested rate (whole repetitions) for the requested length.
    assert.ok(j.config.backgroundRate >= 2000 && j.config.backgroundRate < 3000, `background rate ${j.config.backgroundRate}`);
    assert.ok(Math.abs(j.config.backgroundSeconds - 8) < 0.5);
    for (const f of ['fig3.csv', 'fig4.csv', 'fig5.csv']) {
      const lines = (await readFile(join(dir, f), 'utf8')).trim().split('\n');
      assert.ok(lines.length > 5, `${f} has rows`);
    }
    // Fig. 5 table: each error column is |estimate - truth| / truth of its row (CSV cells keep 8 significant digits).
    const fig5 = (await readFile(join(dir, 'fig5.csv'), 'utf8')).trim().split('\n');
    assert.equal(fig5[0], 'interval_start_s,truth,none,packet,flow,err_none,err_packet,err_flow');
    let checked = 0;
    for (const line of fig5.slice(1)) {
      const c = line.split(',').map((x) => (x === '' ? NaN : Number(x)));
      assert.equal(c.length, 8, line);
      for (let m = 0; m < 3; m++) {
        const est = c[2 + m]!;
        const err = c[5 + m]!;
        if (!Number.isFinite(est) || !(c[1]! > 0)) continue;
        assert.ok(Math.abs(err - Math.abs(est - c[1]!) / c[1]!) <= 1e-6 * Math.max(1, err), `fig5 row ${line}`);
        checked++;
      }
    }
    assert.ok(checked > 0, 'fig5 has scored intervals');
    // Fig. 4 table: one cell per column in every row.
    const fig4 = (await readFile(join(dir, 'fig4.csv'), 'utf8')).trim().split('\n');
    const width = fig4[0]!.split(',').length;
    assert.equal(width, 18);
    for (const line of fig4.slice(1)) assert.equal(line.split(',').length, width, line);
    for (const f of ['fig3.svg', 'fig3-error.svg', 'fig4.svg', 'fig5.svg']) {
      const svg = await readFile(join(dir, f), 'utf8');
      assert.match(svg, /^<svg/);
      assert.ok((await stat(join(dir, f))).size > 1000);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
