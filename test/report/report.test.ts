import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  barChart,
  buildReport,
  decimateIndices,
  escapeHtml,
  formatCell,
  lineChart,
  renderSvg,
  tableHtml,
  writeReport,
  type Report,
  type VegaLiteSpec,
} from '../../src/report/index.ts';
import { UserError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadcast-report-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Mark items per mark type (role-mark groups only): e.g. { line: 3, rect: 1, rule: 1, text: 2 }. */
function markItems(svg: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = /<g class="mark-(\w+) role-mark[^"]*"[^>]*>/g;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const body = svg.slice(re.lastIndex, svg.indexOf('</g>', re.lastIndex));
    out[m[1]!] = (out[m[1]!] ?? 0) + (body.match(/<(path|line|text)\b/g)?.length ?? 0);
  }
  return out;
}

const x = Array.from({ length: 300 }, (_, i) => i * 0.1);
const line = lineChart({
  title: 'Cost per batch <flows>',
  x,
  series: [
    { name: 'measured', values: x.map((t) => 5 + Math.sin(t)) },
    { name: 'MLR', values: x.map((t) => 5 + Math.sin(t + 0.1)) },
    { name: 'EWMA', values: x.map((t, i) => (i === 10 ? NaN : 5 + Math.sin(t - 0.3))) },
  ],
  xLabel: 'time (s)',
  yLabel: 'cost (ms)',
  rule: { y: 5.5, label: 'budget' },
  bands: [{ from: 10, to: 20, label: 'SYN flood' }],
});
const bars = barChart({
  title: 'Error by sampling method',
  categories: ['flows', 'counter', 'top-k'],
  series: [
    { name: 'packet', values: [5.1, 0.3, 2] },
    { name: 'flow', values: [0.8, 0.9, 1.5] },
  ],
  yLabel: 'relative error (%)',
});

test('lineChart renders to SVG with one line per series, the budget rule and the band', async () => {
  const svg = await renderSvg(line);
  assert.ok(svg.startsWith('<svg'));
  const m = markItems(svg);
  assert.equal(m.line, 3);
  assert.equal(m.rule, 1);
  assert.equal(m.rect, 1);
  assert.match(svg, /budget/);
  assert.match(svg, /Cost per batch &lt;flows&gt;/);
});

test('barChart renders one bar per category and series', async () => {
  const svg = await renderSvg(bars);
  assert.equal(markItems(svg).rect, 6);
  const single = await renderSvg(barChart({ title: 'one', categories: ['a', 'b'], series: [{ name: 's', values: [1, 2] }] }));
  assert.equal(markItems(single).rect, 2);
});

test('series and categories of the wrong length are UserErrors', () => {
  assert.throws(() => lineChart({ title: 't', x: [1, 2], series: [{ name: 's', values: [1] }] }), UserError);
  assert.throws(() => barChart({ title: 't', categories: ['a'], series: [] }), /no series/);
});

test('charts never load external data', async () => {
  const spec = { data: { url: 'https://example.com/data.csv' }, mark: 'point' } as unknown as VegaLiteSpec;
  await assert.rejects(renderSvg(spec), /tried to load/);
});

test('decimation keeps every spike and the endpoints', () => {
  const v = new Float64Array(18000).fill(1);
  v[12345] = 100;
  v[777] = -50;
  const keep = decimateIndices(v, 1600);
  assert.ok(keep.length <= 1601 + 2, `${keep.length}`);
  assert.ok(keep.includes(12345) && keep.includes(777) && keep[0] === 0 && keep[keep.length - 1] === 17999);
  for (let i = 1; i < keep.length; i++) assert.ok(keep[i]! > keep[i - 1]!);
  assert.deepEqual(decimateIndices([1, 2, 3], 1600), [0, 1, 2]);
});

test('tables escape text, format numbers and right-align numeric columns', () => {
  const h = tableHtml({ columns: ['query', 'error'], rows: [['<b>flows</b>', 0.012345], ['x & y', 12345.678]], caption: 'c' });
  assert.match(h, /&lt;b&gt;flows&lt;\/b&gt;/);
  assert.match(h, /<td class="num">0\.01235<\/td>/);
  assert.match(h, /<td class="num">12,350<\/td>/);
  assert.match(h, /<th>query<\/th><th class="num">error<\/th>/);
  assert.throws(() => tableHtml({ columns: ['a'], rows: [[1, 2]] }), /2 cells but there are 1 columns/);
  assert.equal(formatCell(null), '–');
  assert.equal(formatCell(1234567), '1,234,567');
  assert.equal(formatCell(1.5e-7), '1.500e-7');
  assert.equal(escapeHtml(`"'<>&`), '&quot;&#39;&lt;&gt;&amp;');
});

async function sampleReport(): Promise<Report> {
  return {
    title: 'Shedding under a SYN flood',
    subtitle: 'test report',
    inputs: [
      { role: 'background', name: '../shared/data/pcap/ndpi__netflix.pcap', generated: false },
      { role: 'anomaly', name: 'synflood 20 s at 50 kpps', generated: true, note: 'seed 1' },
    ],
    meta: { seed: 1, command: 'loadcast experiment shedding' },
    createdAt: '2026-01-01T00:00:00.000Z',
    sections: [
      { heading: 'Cost', text: 'First paragraph.\n\nSecond <paragraph>.', svg: [await renderSvg(line), await renderSvg(bars)] },
      { heading: 'Errors', table: { columns: ['method', 'error'], rows: [['flow', 0.8], ['packet', 5.1]] }, json: { big: 12n } },
    ],
  };
}

test('clip-path ids are made unique per chart when several charts share a page', async () => {
  const clipped = (): VegaLiteSpec =>
    ({ data: { values: [{ a: 1, b: 2 }, { a: 5, b: 9 }] }, mark: { type: 'line', clip: true }, encoding: { x: { field: 'a', type: 'quantitative', scale: { domain: [0, 3] } }, y: { field: 'b', type: 'quantitative' } } }) as VegaLiteSpec;
  const a = await renderSvg(clipped());
  assert.match(a, /clip-path="url\(#/);
  const html = buildReport({ title: 't', sections: [{ heading: 'h', svg: [a, await renderSvg(clipped())] }] });
  const ids = [...html.matchAll(/\bid="(c\d+-[^"]+)"/g)].map((m) => m[1]!);
  assert.ok(ids.length >= 2);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const [, ref] of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(ref!), `reference to missing id ${ref}`);
});

test('buildReport makes one self-contained page with provenance in the header', async () => {
  const html = buildReport(await sampleReport());
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.equal(html.match(/<svg/g)?.length, 2);
  assert.equal(html.match(/<section/g)?.length, 2);
  assert.doesNotMatch(html, /<script|<link|\bsrc=|url\((?!#)/i, 'no scripts or external resources');
  assert.doesNotMatch(html, /href="https?:/);
  assert.match(html, /<span class="badge generated">generated<\/span>/);
  assert.match(html, /<span class="badge real">real data<\/span>/);
  assert.match(html, /Some inputs were generated/);
  assert.match(html, /Second &lt;paragraph&gt;\./);
  assert.match(html, /&quot;big&quot;: &quot;12&quot;/);
  const noInputs = buildReport({ title: 't', sections: [] });
  assert.match(noInputs, /No input provenance was recorded/);
  assert.throws(() => buildReport({ title: 't', sections: [{ heading: 'h', svg: '<div>' }] }), /not an <svg> element/);
});

const CHROMIUM = '/usr/bin/chromium';
const chromiumArgs = (userDir: string): string[] => [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Page console messages (CSP violations, script errors, failed loads) go to stderr as "INFO:CONSOLE" lines.
  '--enable-logging=stderr',
  '--v=0',
  `--user-data-dir=${userDir}`,
];

/** Console messages the page produced, from Chromium's stderr log. */
const consoleLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l.includes(':CONSOLE'));

test(
  'a real browser (headless Chromium) loads the report: charts in the DOM, no errors',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install chromium); browser test skipped` },
  async () => {
    const file = join(dir, 'report.html');
    await writeReport(file, await sampleReport());
    const url = pathToFileURL(file).href;
    const dump = spawnSync(CHROMIUM, [...chromiumArgs(mkdtempSync(join(dir, 'chrome-'))), '--dump-dom', url], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(dump.status, 0, `chromium failed: ${dump.stderr}`);
    const dom = dump.stdout;
    assert.match(dom, /<h1>Shedding under a SYN flood<\/h1>/);
    assert.equal(dom.match(/<svg/g)?.length, 2, 'both charts are in the DOM');
    assert.equal(markItems(dom).line, 3);
    assert.equal(markItems(dom).rect, 1 + 6);
    assert.doesNotMatch(dom, /This page (isn’t|is not) working|ERR_|net::/);
    assert.deepEqual(consoleLines(dump.stderr), [], 'the page logs nothing (no CSP violation, no failed load)');

    // Control: the same check does see a page that tries to load an external image.
    const bad = join(dir, 'bad.html');
    writeFileSync(bad, buildReport({ title: 'bad', sections: [] }).replace('</main>', '<img src="http://192.0.2.1/x.png"></main>'));
    const badRun = spawnSync(CHROMIUM, [...chromiumArgs(mkdtempSync(join(dir, 'chrome-'))), '--dump-dom', pathToFileURL(bad).href], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.ok(consoleLines(badRun.stderr).some((l) => /Content Security Policy/.test(l)), 'the control page is caught');

    const png = join(dir, 'report.png');
    const shot = spawnSync(CHROMIUM, [...chromiumArgs(mkdtempSync(join(dir, 'chrome-'))), '--window-size=1000,1400', `--screenshot=${png}`, url], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(shot.status, 0, `chromium screenshot failed: ${shot.stderr}`);
    const bytes = readFileSync(png);
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'PNG signature');
    assert.ok(bytes.length > 20_000, `screenshot has content (${bytes.length} bytes)`);
  },
);
