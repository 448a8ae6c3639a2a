/**
 * The monitor with the real parts (capture, features, queries, predictors, shed) on real traces from
 * ../shared/data/pcap. Nothing here asserts a time: only counts, structure and accuracy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { retimeTrace, traceInfo } from '../../src/capture/index.ts';
import { FEATURE_NAMES } from '../../src/features/index.ts';
import { CsvTelemetry, LongTelemetry, runMonitor } from '../../src/monitor/index.ts';
import { UserError } from '../../src/errors.ts';
import { Budget } from '../../src/shed/index.ts';

const PCAP = '../shared/data/pcap';
const GNUTELLA = `${PCAP}/ndpi__gnutella.pcap`;
const SYN = `${PCAP}/cicddos2019__CIC-DDoS-2019-SynFlood.pcap`;
const run = promisify(execFile);

test('unshed run on a real trace: every packet counted, costs measured, results equal the reference', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loadcast-mon-'));
  try {
    const info = await traceInfo(GNUTELLA);
    const r = await runMonitor(GNUTELLA, {
      queries: ['counter', 'flows', 'active-flows', 'top-destinations'],
      shed: 'none',
      predictor: 'mlr',
      reference: true,
      telemetry: join(dir, 't.csv'),
      results: join(dir, 'r.jsonl'),
    });
    assert.equal(r.summary.packets, info.packets);
    assert.equal(r.summary.uncontrolledDrops, 0);
    assert.equal(r.summary.batches, info.batches);
    for (const name of r.queryNames) assert.ok(r.summary.queries[name]!.costNs > 0, `${name} cost measured`);
    // An unsampled run is its own reference: zero error on every corrected field.
    assert.equal(r.summary.queries.counter!.resultError!.meanRelError, 0);
    assert.equal(r.summary.queries['active-flows']!.resultError!.meanRelError, 0);
    assert.ok(r.summary.queries.counter!.resultError!.intervals > 0);
    // Counter totals over intervals equal the trace's packets.
    const lines = (await readFile(join(dir, 'r.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    const counted = lines.filter((l) => l.query === 'counter').reduce((a, l) => a + l.value.packets, 0);
    assert.equal(counted, info.packets);
    const csv = (await readFile(join(dir, 't.csv'), 'utf8')).trim().split('\n');
    assert.equal(csv.length, 1 + info.batches);
    const header = csv[0]!.split(',');
    for (const f of FEATURE_NAMES) assert.ok(header.includes(f), `telemetry has feature ${f}`);
    assert.ok(header.includes('active-flows.measured_ns') && header.includes('counter.predicted_ns') && header.includes('gc'));
    const pk = header.indexOf('packets');
    assert.equal(csv.slice(1).reduce((a, l) => a + Number(l.split(',')[pk]), 0), info.packets);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('long and parquet telemetry', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loadcast-mon-'));
  try {
    const trace = `${PCAP}/ndpi__ocs.pcap`;
    const info = await traceInfo(trace);
    await runMonitor(trace, { queries: ['counter'], shed: 'none', predictor: 'ewma', telemetry: join(dir, 't.long.csv') });
    const long = (await readFile(join(dir, 't.long.csv'), 'utf8')).trim().split('\n');
    assert.equal(long[0], 'time,entity,metric,value');
    const perBatch = 9 + FEATURE_NAMES.length + 4; // 9 finite monitor metrics (no budget: budget/available left out) + features + 1 query x 4
    assert.equal(long.length - 1, info.batches * perBatch);
    assert.ok(long.some((l) => l.includes(',counter,measured_ns,')));
    await runMonitor(trace, { queries: ['counter'], shed: 'none', predictor: 'ewma', telemetry: join(dir, 't.parquet') });
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const rows = await con.runAndReadAll(`SELECT count(*) AS n, sum(packets) AS p FROM read_parquet('${join(dir, 't.parquet')}')`);
    const [n, p] = rows.getRows()[0]!;
    assert.equal(Number(n), info.batches);
    assert.equal(Number(p), info.packets);
    con.closeSync();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('telemetry to an unwritable path fails at close with a UserError naming the path', async () => {
  for (const Sink of [CsvTelemetry, LongTelemetry]) {
    const path = join(tmpdir(), 'loadcast-no-such-dir', 'sub', 't.csv');
    const sink = new Sink(path, ['f'], ['q']);
    await assert.rejects(sink.close(), (e: unknown) => e instanceof UserError && e.message.includes(path));
  }
});

test('shedding on a real dense trace: rates fall under a tight budget and flow-sampled counts stay accurate', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'loadcast-mon-'));
  try {
    // The CIC-DDoS2019 SYN-flood slice (26k packets in 0.69 s), slowed to 6.9 s: ~380 packets per batch.
    const dense = join(dir, 'dense.pcap');
    await retimeTrace(SYN, dense, { speed: 0.1 });
    const common = { queries: ['counter', 'active-flows'], predictor: 'mlr' as const, warmupBatches: 10, keepBatches: true };
    const ref = await runMonitor(dense, { ...common, shed: 'none' });
    // Median steady cost (after JIT warm-up) of the unshed run; half of it forces the shedder to sample.
    const steady = ref.state.records.filter((b) => b.index >= 10 && b.packets > 300).map((b) => b.queriesNs).sort((a, b) => a - b);
    const budgetNs = 0.5 * steady[steady.length >> 1]!;
    const r = await runMonitor(dense, { ...common, shed: 'auto', budget: () => Budget.absolute(budgetNs), budgetCovers: 'queries', reference: true });
    const post = r.state.records.filter((b) => !b.warmup && b.packets > 0);
    assert.ok(post.length > 40);
    const af = r.queryNames.indexOf('active-flows');
    assert.ok(post.some((b) => b.rate[af]! < 1), 'active-flows was sampled');
    for (const b of post) assert.ok(b.processed[af]! <= b.packets - b.drops);
    // Flow-sampled rates may rise again inside an interval; the flush's finalRate is the interval's lowest.
    for (const x of r.state.results[af]!) {
      const s = x.result.intervalStartNs;
      const all = r.state.records.filter((b) => b.startNs >= s && b.startNs < s + 1_000_000_000n).map((b) => b.rate[af]!);
      const rates = all.filter((p) => p > 0);
      if (rates.length > 0) assert.ok(x.engineRates.min <= Math.min(...rates) + 1e-12, `interval ${s}: min ${x.engineRates.min}`);
      // Stricter: the engine's interval minimum is exactly the lowest rate of its batches (disabled ones count as
      // 0), and the query saw exactly the rates it ran at (its own minimum is the lowest positive one).
      assert.equal(x.engineRates.min, Math.min(...all), `interval ${s}`);
      if (rates.length > 0) assert.equal(x.result.rates.min, Math.min(...rates), `interval ${s}: query's own minimum`);
    }
    // Intervals without drops or disabled batches, at rates >= 0.1: the count/p estimate is close to the truth
    // (the tolerance covers the sampling error of a few hundred sampled flows, not a bias).
    const truth = new Map(r.reference!.results[af]!.map((x) => [x.result.intervalStartNs, (x.result.value as { flows: number }).flows]));
    const dropsIn = (start: bigint): number => r.state.records.filter((b) => b.startNs >= start && b.startNs < start + 1_000_000_000n).reduce((s, b) => s + b.drops, 0);
    const good = r.state.results[af]!.filter((x) => x.engineRates.min >= 0.1 && x.engineRates.min < 1 && dropsIn(x.result.intervalStartNs) === 0 && (truth.get(x.result.intervalStartNs) ?? 0) > 1000);
    for (const x of good) {
      const t = truth.get(x.result.intervalStartNs)!;
      const est = (x.result.value as { flows: number }).flows;
      assert.ok(Math.abs(est - t) / t < 0.3, `interval ${x.result.intervalStartNs}: ${est} vs ${t} at rate ${x.engineRates.min}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('CLI: --json summary fields, and a bad flag is a one-line user error', async () => {
  const { stdout } = await run('./bin/loadcast', ['monitor', `${PCAP}/ndpi__ocs.pcap`, '--queries', 'counter,flows', '--no-shed', '--json']);
  const j = JSON.parse(stdout);
  assert.equal(j.packets, 946);
  assert.ok(j.seconds > 0 && j.mpps > 0);
  assert.ok(j.queries.counter.costNs > 0 && j.queries.flows.costNs > 0);
  assert.equal(j.uncontrolledDrops, 0);
  await assert.rejects(run('./bin/loadcast', ['monitor', `${PCAP}/ndpi__ocs.pcap`, '--queries', 'counter', '--shed', 'sometimes']), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /--shed: unknown mode 'sometimes'/);
    assert.doesNotMatch(e.stderr, /at .*\.ts:\d+/);
    return true;
  });
  await assert.rejects(run('./bin/loadcast', ['monitor', `${PCAP}/ndpi__ocs.pcap`, '--queries', 'counter', '--error-model', 'median']), (e: { code: number; stderr: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr, /--error-model: unknown value 'median'/);
    return true;
  });
});

test('warm-up pass: reported apart, replays only its first seconds, and leaves the measured run complete', async () => {
  const info = await traceInfo(GNUTELLA);
  const opts = { queries: ['active-flows'], shed: 'flow' as const, predictor: 'mlr' as const, budget: () => Budget.share(1), budgetCovers: 'queries' as const, initialFlows: 4096 };
  const r = await runMonitor(GNUTELLA, { ...opts, warmupPassNs: 2e9 });
  assert.ok(r.warmupPass, 'warm-up pass reported');
  assert.equal(r.warmupPass.batches, 20); // 2 s of 100 ms batches (the trace is longer)
  assert.ok(r.warmupPass.packets > 0 && r.warmupPass.packets < info.packets);
  // The measured run is the whole trace, as without a warm-up pass.
  assert.equal(r.summary.packets, info.packets);
  assert.equal(r.summary.batches, info.batches);
  const plain = await runMonitor(GNUTELLA, opts);
  assert.equal(plain.warmupPass, undefined);
  assert.equal(plain.summary.batches, r.summary.batches);
  // A later window of the trace replayed too: 2 s + 1 s of batches.
  const w = await runMonitor(GNUTELLA, { ...opts, warmupPassNs: 2e9, warmupWindow: { fromNs: 100e9, forNs: 1e9 } });
  assert.equal(w.warmupPass!.batches, 30);
  assert.equal(w.summary.batches, info.batches);
});
