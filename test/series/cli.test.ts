import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Command } from 'commander';
import { registerSeries } from '../../src/cli/series.ts';
import { join } from 'node:path';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'loadcast-series-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The real CLI (exit codes, one-line errors): one process start per call, so used sparingly. */
const run = (...args: string[]) => spawnSync('./bin/loadcast', ['series', ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });

/** The `series` commands in-process (same commander wiring as bin/loadcast), capturing stdout. */
async function runHere(...args: string[]): Promise<{ status: number; stdout: string }> {
  const program = new Command('loadcast').exitOverride();
  registerSeries(program);
  let stdout = '';
  const write = process.stdout.write.bind(process.stdout);
  // Only the command's text output is captured; the test runner's own (binary) messages pass through.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'loadcast', 'series', ...args]);
    return { status: 0, stdout };
  } finally {
    process.stdout.write = write;
  }
}

test('series prepare / info --json / export through the command wiring', async () => {
  const lines = ['time,entity,metric,value'];
  for (let t = 0; t < 30; t++) for (const e of ['h1', 'h2']) lines.push(`${t * 15},${e},cpu,${t % 7 === 3 ? 'x' : t + (e === 'h2' ? 0.5 : 0)}`);
  const input = join(dir, 'in.csv');
  writeFileSync(input, lines.join('\n'));
  const db = join(dir, 'd.duckdb');
  const p = await runHere('prepare', '--source', 'long', '--input', input, '--out', db, '--step', '15s', '--json');
  assert.equal(p.status, 0);
  assert.equal(JSON.parse(p.stdout).T, 30);
  const i = await runHere('info', db, '--json');
  assert.equal(i.status, 0);
  const info = JSON.parse(i.stdout);
  assert.equal(info.T, 30);
  assert.equal(info.K, 2);
  assert.equal(info.stepSeconds, 15);
  assert.equal(info.split.trainEnd, 21);
  assert.equal(info.split.valEnd, 24);
  assert.equal(typeof info.adjacency.edges, 'number');
  assert.equal(info.maskedByReason['non-numeric'], 8);
  assert.ok(Math.abs(info.missingShare.cpu - 8 / 60) < 1e-12);
  const human = await runHere('info', db);
  assert.match(human.stdout, /T = 30 steps of 15 s/);
  assert.match(human.stdout, /non-numeric/);
  const out = join(dir, 'dense.csv.gz');
  const x = await runHere('export', db, '--out', out);
  assert.equal(x.status, 0);
  assert.ok(existsSync(out));
  const side = JSON.parse(readFileSync(join(dir, 'dense.json'), 'utf8'));
  assert.deepEqual([side.T, side.K, side.train_end, side.val_end], [30, 2, 21, 24]);
});

test('bad input exits 1 with a one-line message naming the problem', () => {
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'ts,host\n1,a\n');
  const r = run('prepare', '--source', 'long', '--input', bad, '--out', join(dir, 'x.duckdb'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /missing column\(s\) metric, value .*columns found: ts, host/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/); // no stack trace
});
