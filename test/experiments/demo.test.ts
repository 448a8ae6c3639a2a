import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../../src/errors.ts';
import { DEFAULT_DATA_DIR, locateData, runDemo, type DemoResult } from '../../src/experiments/index.ts';
import { demoSummary } from '../../src/cli/demo.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadcast-demo-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let demo: Promise<{ r: DemoResult; lines: string[] }> | undefined;
/** One tiny generated-input demo shared by the tests below (it is the slow part). */
function tinyDemo(): Promise<{ r: DemoResult; lines: string[] }> {
  demo ??= (async () => {
    const lines: string[] = [];
    const r = await runDemo({ outDir: join(dir, 'out'), generate: true, scale: 'tiny', seed: 3, log: (l) => lines.push(l) });
    return { r, lines };
  })();
  return demo;
}

test('the default data directory is ../shared/data next to the package root, found whatever the cwd', () => {
  assert.equal(DEFAULT_DATA_DIR, resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
  const cwd = process.cwd();
  try {
    process.chdir(tmpdir());
    const loc = locateData(undefined, false);
    assert.equal(loc.dir, DEFAULT_DATA_DIR);
    assert.ok(loc.pcaps.length >= 20, `${loc.pcaps.length} pcaps`);
    assert.match(loc.background ?? '', /ustctfc2016__Tinba\.pcap$/);
    assert.match(loc.cluster?.usage ?? '', /alibaba2018_machine_usage_16machines\.csv\.gz$/);
    assert.deepEqual(loc.reasons, []);
  } finally {
    process.chdir(cwd);
  }
});

test('an explicit --data-dir that does not exist is a user error; an empty one falls back to generated inputs', () => {
  assert.throws(() => locateData(join(dir, 'nope'), false), UserError);
  const loc = locateData(dir, false);
  assert.equal(loc.background, null);
  assert.equal(loc.cluster, null);
  assert.equal(loc.reasons.length, 2);
  assert.deepEqual(locateData(undefined, true).reasons, ['--generate was given']);
});

test('tiny generated-input demo: every part runs and is measured on the generated inputs', async () => {
  const { r, lines } = await tinyDemo();
  assert.equal(r.mode, 'generated');
  assert.ok(lines.some((l) => l.includes('GENERATED')), 'the console says the inputs are generated');
  assert.equal(r.capture.status, 'ok');
  assert.equal(r.capture.value!.rows.length, 1);
  assert.equal(r.capture.value!.rows[0]!.packets, r.generated.trace!.packets);
  assert.ok(r.capture.value!.speed!.packets >= 200_000 && r.capture.value!.speed!.bestMpps > 0);
  assert.equal(r.shedding.status, 'ok', r.shedding.message);
  assert.deepEqual(r.shedding.value!.figures, ['fig3.svg', 'fig3-error.svg', 'fig4.svg', 'fig5.svg']);
  assert.ok(r.shedding.value!.predictors.mlr.batches > 0);
  assert.equal(r.forecast.status, 'ok', r.forecast.message);
  const prep = r.forecast.value!.prepare;
  assert.equal(prep.source, 'long');
  assert.equal(prep.K, 4 * 5);
  assert.equal(prep.T, 576);
  const ex = r.forecast.value!.experiment;
  assert.equal(ex.status, 'ok', ex.message);
  assert.deepEqual(ex.value!.rows.map((x) => x.model), ['shared', 'dlinear', 'mlp', 'naive', 'snaive']);
  for (const row of ex.value!.rows) assert.ok(Number.isFinite(row.mse) && Number.isFinite(row.mae) && row.mse > 0, row.model);
  // RelMAE is relative to the naive last value, so the naive row is exactly 1.
  assert.equal(ex.value!.rows.find((x) => x.model === 'naive')!.relMae, 1);
  assert.ok(ex.value!.figures.some((f) => f.endsWith('table1.svg')));
  assert.ok(!r.steps.some((s) => s.status === 'failed'), JSON.stringify(r.steps));
  // Large intermediate traces are deleted; the work directory is gone.
  assert.ok(!existsSync(join(r.outDir, 'work')));
  assert.ok(!existsSync(join(r.outDir, 'shedding', 'background.pcap')));
});

test('tiny demo report: one self-contained page with every section, the data kind and the machine', async () => {
  const { r } = await tinyDemo();
  const html = readFileSync(r.report, 'utf8');
  for (const h of ['Overview', 'Capture: input traces', 'Capture: scan speed', 'Fast loop: predictive load shedding', 'Fast loop: cost against the budget', 'Slow loop: cluster dataset', 'Slow loop: forecasting accuracy']) {
    assert.ok(html.includes(`<h2>${h}`), `section ${h}`);
  }
  assert.match(html, /Ran on GENERATED inputs/);
  assert.match(html, /badge generated/);
  assert.ok(!html.includes('badge real'), 'no input is labelled real');
  assert.ok(html.includes(process.version), 'node version');
  assert.ok(html.includes('<dt>cores</dt>'));
  assert.ok((html.match(/<svg/g) ?? []).length >= 5, 'the shedding and forecasting figures are inlined');
  assert.match(html, /<td>shared<\/td>/, 'Table 1 lists the seed model');
  assert.match(html, /\.\/bin\/loadcast experiment forecast --data /);
  assert.ok(!/<script|src="http|href="http/.test(html), 'no scripts or external resources');
  assert.match(html, /\.\/bin\/loadcast experiment shedding --background/);
  assert.match(html, /\.\/bin\/loadcast series prepare --source long/);
  assert.match(html, /\.\/bin\/loadcast demo --generate --tiny --seed 3|\.\/bin\/loadcast demo --generate --seed 3 --tiny/);
});

test('the JSON summary carries the key figures of each part', async () => {
  const { r } = await tinyDemo();
  const s = JSON.parse(JSON.stringify(demoSummary(r))) as Record<string, any>;
  assert.equal(s.data, 'generated');
  assert.equal(s.report, r.report);
  assert.equal(s.capture.traces.length, 1);
  assert.equal(s.shedding.status, 'ok');
  for (const k of ['mlr', 'slr', 'ewma']) assert.equal(typeof s.shedding.predictionMeanRelError[k], 'number');
  for (const k of ['none', 'packet', 'flow']) assert.equal(typeof s.shedding.activeFlowsMeanRelError[k], 'number');
  assert.equal(s.forecast.dataset.K, 20);
  assert.equal(s.forecast.status, 'ok');
  assert.equal(s.forecast.table1.length, 5);
});
