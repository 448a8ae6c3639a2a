/**
 * `loadcast predict`: telemetry replay through fresh predictors (src/monitor/replay.ts) on real traces. The
 * check that matters: replaying the run's own predictor reproduces its recorded predictions (to the 10
 * significant digits the telemetry keeps), so a
 * replayed comparison of predictors or settings is a comparison on the very same costs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { replayTelemetry, runMonitor } from '../../src/monitor/index.ts';
import { UserError } from '../../src/errors.ts';
import { Budget } from '../../src/shed/index.ts';

const PCAP = '../shared/data/pcap';
const GNUTELLA = `${PCAP}/ndpi__gnutella.pcap`;
const run = promisify(execFile);

/** Runs `body` with a fresh temporary directory, removed afterwards. */
async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'loadcast-replay-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Scores equal up to the telemetry's rounding (predictions are written to 10 significant digits). */
function sameScore(a: Record<string, number>, b: Record<string, number>, what: string): void {
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const k of Object.keys(a)) assert.ok(Math.abs(a[k]! - b[k]!) <= 1e-8 * Math.abs(b[k]!), `${what}: ${k} ${a[k]} vs ${b[k]}`);
}

test('replaying the run\'s own predictor reproduces its recorded predictions; others are scored on the same batches', () =>
  inTempDir(async (dir) => {
    const tel = join(dir, 't.csv');
    for (const kind of ['mlr', 'slr', 'ewma'] as const) {
      await runMonitor(GNUTELLA, { queries: ['flows', 'active-flows'], shed: 'none', predictor: kind, telemetry: tel, warmupBatches: 10 });
      for (const query of ['flows', 'active-flows']) {
        const r = replayTelemetry(tel, { query, predictors: ['mlr', 'slr', 'ewma'] });
        assert.ok(r.scored >= 20, `${r.scored} scored batches`);
        assert.equal(r.skipped.sampled, 0);
        assert.equal(r.skipped.warmup, 10);
        // Same predictions batch by batch, so the same statistics (up to the file's 10 significant digits).
        sameScore({ ...r.predictors[kind]! }, { ...r.recorded }, `${kind} on ${query}`);
        for (const s of Object.values(r.predictors)) assert.equal(s.batches, r.scored);
      }
    }
    // The page-fault guard flags one query's batch, not the other's: the replay learns where each predictor learned.
    // A counter that grows by 3 pages on every third read: some query calls see 3 faults, the others none.
    let reads = 0;
    const pageFaults = (): number => 3 * Math.floor(reads++ / 3);
    await runMonitor(GNUTELLA, { queries: ['flows', 'active-flows'], shed: 'none', predictor: 'mlr', telemetry: tel, warmupBatches: 10, faultFlagPages: 2, pageFaults });
    const lines = (await readFile(tel, 'utf8')).trim().split('\n');
    const head = lines[0]!.split(',');
    const learnedCols = ['flows.learned', 'active-flows.learned'].map((c) => head.indexOf(c));
    const split = lines.slice(1).map((l) => l.split(',')).filter((c) => c[learnedCols[0]!] !== c[learnedCols[1]!]);
    assert.ok(split.length > 0, 'some batch learned for one query and not the other');
    for (const query of ['flows', 'active-flows']) {
      const r = replayTelemetry(tel, { query, predictors: ['mlr'] });
      sameScore({ ...r.predictors.mlr! }, { ...r.recorded }, `mlr on ${query} with the fault guard`);
    }
    // A scored window: only batches in [from, to) count.
    const all = replayTelemetry(tel, { query: 'flows', predictors: ['ewma'] });
    const part = replayTelemetry(tel, { query: 'flows', predictors: ['ewma'], fromS: 2, toS: 4 });
    assert.ok(part.scored > 0 && part.scored < all.scored);
    assert.equal(part.scored + part.skipped.outsideWindow, all.scored);
  }));

test('batches a query ran sampled are skipped and counted, not learned from', () =>
  inTempDir(async (dir) => {
    const tel = join(dir, 't.csv');
    // A budget far below the trace's cost: most batches are shed.
    await runMonitor(GNUTELLA, { queries: ['active-flows'], shed: 'flow', predictor: 'mlr', budget: () => Budget.absolute(20_000), budgetCovers: 'queries', telemetry: tel, warmupBatches: 5 });
    const r = replayTelemetry(tel, { predictors: ['mlr'] });
    assert.equal(r.query, 'active-flows');
    assert.ok(r.skipped.sampled > 0, 'sampled batches counted');
    const sk = r.skipped;
    assert.equal(r.scored + sk.warmup + sk.gc + sk.sampled + sk.noCost + sk.outsideWindow, r.batches, 'every batch accounted for');
  }));

test('clear errors: wrong format, several queries without --query, unknown query; the CLI prints JSON', () =>
  inTempDir(async (dir) => {
    const tel = join(dir, 't.csv');
    await runMonitor(GNUTELLA, { queries: ['flows', 'counter'], shed: 'none', predictor: 'ewma', telemetry: tel });
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof UserError, String(e));
        return e.code;
      }
      assert.fail('no error');
    };
    assert.equal(code(() => replayTelemetry(tel, { predictors: ['mlr'] })), 'predict.which-query');
    assert.equal(code(() => replayTelemetry(tel, { query: 'nope', predictors: ['mlr'] })), 'predict.unknown-query');
    assert.equal(code(() => replayTelemetry(join(dir, 'x.long.csv'), { predictors: ['mlr'] })), 'predict.telemetry-format');
    assert.equal(code(() => replayTelemetry(join(dir, 'missing.csv'), { predictors: ['mlr'] })), 'predict.no-telemetry');
    await writeFile(join(dir, 'other.csv'), 'a,b\n1,2\n');
    assert.equal(code(() => replayTelemetry(join(dir, 'other.csv'), { predictors: ['mlr'] })), 'predict.telemetry-format');
    const { stdout } = await run('./bin/loadcast', ['predict', tel, '--query', 'flows', '--predictors', 'mlr,ewma', '--no-feedback', '--json']);
    const j = JSON.parse(stdout);
    assert.equal(j.query, 'flows');
    assert.deepEqual(Object.keys(j.predictors), ['mlr', 'ewma']);
    sameScore(j.predictors.ewma, j.recorded, 'the run\'s own predictor was the EWMA');
    await assert.rejects(run('./bin/loadcast', ['predict', tel, '--query', 'flows', '--predictors', 'mlr,mlr']), /names a predictor twice/);
  }));
