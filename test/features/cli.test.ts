import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = `${ROOT}bin/loadcast`;
const TRACE = '../shared/data/pcap/esnet__nmap_80_all.pcap';

test('loadcast features check --json reports families, saturation, batches and packets', () => {
  const out = execFileSync(BIN, ['features', 'check', TRACE, '--batch', '100ms', '--interval', '1s', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const r = JSON.parse(out);
  assert.equal(r.packets, 431); // PROVENANCE.md
  assert.ok(r.batches > 0);
  assert.equal(r.saturated, 0);
  assert.equal(Object.keys(r.families).length, 26);
  for (const fe of Object.values(r.families) as { p99RelError: number; maxRelError: number }[]) {
    assert.equal(typeof fe.p99RelError, 'number');
    assert.ok(fe.p99RelError >= 0 && fe.p99RelError <= fe.maxRelError);
    assert.ok(fe.maxRelError <= 0.02);
  }
});

test('loadcast features check: a one-line error and exit 1 for a missing file', () => {
  const bad = spawnSync(BIN, ['features', 'check', 'no-such.pcap'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no-such\.pcap/);
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/); // no stack trace
});
