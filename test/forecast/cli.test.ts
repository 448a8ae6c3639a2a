import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = path.resolve('bin/loadcast');
const run = (args: string[]) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, CI: '1' } });

test('forecast train / eval / predict on the real Alibaba data, and a clear error on a damaged checkpoint', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lc-fc-cli-'));
  try {
    const data = path.join(dir, 'ali.duckdb');
    const prep = run(['series', 'prepare', '--source', 'alibaba2018', '--input', '../shared/data/cluster/alibaba2018_machine_usage_16machines.csv.gz', '--step', '300s', '--out', data, '--json']);
    assert.equal(prep.status, 0, prep.stderr);
    const model = path.join(dir, 'm');
    const tr = run(['forecast', 'train', '--data', data, '--model', 'dlinear', '--epochs', '1', '--steps-per-epoch', '10', '--out', model, '--json']);
    assert.equal(tr.status, 0, tr.stderr);
    assert.equal(JSON.parse(tr.stdout).epochs, 1);
    const ev = run(['forecast', 'eval', '--model', model, '--data', data, '--json']);
    assert.equal(ev.status, 0, ev.stderr);
    const m = JSON.parse(ev.stdout);
    for (const k of ['mse', 'mae', 'rmse', 'mape', 'relMae', 'mase']) assert.ok(Number.isFinite(m[k]) && m[k] > 0, k);
    assert.equal(m.perHorizon.length, 8);
    assert.ok(Math.abs(m.rmse - Math.sqrt(m.mse)) < 1e-9);
    // naive on the same data has RelMAE exactly 1.
    const nv = path.join(dir, 'naive');
    const nt = run(['forecast', 'train', '--data', data, '--model', 'naive', '--out', nv]);
    assert.equal(nt.status, 0, nt.stderr);
    const ne = run(['forecast', 'eval', '--model', nv, '--data', data, '--json']);
    assert.equal(ne.status, 0, ne.stderr);
    const nm = JSON.parse(ne.stdout);
    assert.equal(nm.relMae, 1);
    const csv = path.join(dir, 'f.csv');
    const pr = run(['forecast', 'predict', '--model', model, '--data', data, '--out', csv]);
    assert.equal(pr.status, 0, pr.stderr);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(lines.length, 9); // header + 8 steps
    assert.equal(lines[0]!.split(',').length, 2 + 80);
    assert.ok(lines[1]!.startsWith('2304,691200,'));
    // Damaged weights: exit 1, one clear line, no stack.
    writeFileSync(path.join(model, 'weights.bin'), Buffer.from([1, 2, 3, 4]));
    const bad = run(['forecast', 'eval', '--model', model, '--data', data]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /sha256/);
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown --backend is a one-line user error naming the flag and the choices', () => {
  for (const args of [['forecast', 'eval', '--model', 'm', '--data', 'd.duckdb'], ['experiment', 'forecast', '--data', 'd.duckdb', '--out', 'o']]) {
    const r = run([...args, '--backend', 'gpu']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--backend "gpu": unknown backend/);
    assert.match(r.stderr, /auto, wasm, cpu, tensorflow/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  }
});
