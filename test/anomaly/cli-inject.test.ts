import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'loadcast-cli-inject-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `./bin/loadcast trace inject ...args` (the real CLI); returns exit code, stdout and stderr. */
function inject(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('./bin/loadcast', ['trace', 'inject', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('trace inject --json reports counts, window and seed', () => {
  const out = join(dir, 'syn.pcap');
  const text = inject(['../shared/data/pcap/ndpi__netflix.pcap', '--out', out, '--kind', 'synflood', '--at', '10s', '--for', '2s', '--rate', '1k', '--seed', '4', '--json']);
  assert.equal(text.status, 0, text.stderr);
  const r = JSON.parse(text.stdout);
  assert.equal(r.kind, 'synflood');
  assert.equal(r.atNs, 10e9);
  assert.equal(r.forNs, 2e9);
  assert.equal(r.rate, 1000);
  assert.equal(r.seed, 4);
  assert.ok(r.injectedPackets > 1800 && r.injectedPackets < 2200);
  assert.equal(r.outputPackets, r.injectedPackets + 1793);
  assert.ok(statSync(out).size > 24);
});

test('trace inject prints a readable summary; --at 0 and --on-off 0 are accepted', () => {
  const text = inject(['../shared/data/pcap/ndpi__netflix.pcap', '--out', join(dir, 'ddos.pcap'), '--kind', 'ddos', '--at', '0', '--for', '1s', '--rate', '500', '--on-off', '0']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /injected packets\s+\d+/);
  assert.match(text.stdout, /destination\s+198\.51\.100\.10:80\/udp/);
  assert.doesNotMatch(text.stdout, /on\/off/);
});

test('trace inject rejects a bad kind, rate or address with a UserError', () => {
  const base = ['../shared/data/pcap/ndpi__netflix.pcap', '--out', join(dir, 'x.pcap'), '--for', '1s'];
  for (const [args, msg] of [
    [['--kind', 'teardrop', '--rate', '10'], /--kind: 'teardrop' is not an anomaly kind/],
    [['--kind', 'ddos', '--rate', 'fast'], /--rate: 'fast' is not a packet rate/],
    [['--kind', 'ddos', '--rate', '10', '--target', '1.2.3'], /--target: '1.2.3' is not an IPv4 address/],
  ] as const) {
    const r = inject([...base, ...args]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/, 'no stack trace');
  }
});

test('trace inject --help explains every kind and the timing', () => {
  const r = inject(['--help']);
  assert.equal(r.status, 0);
  for (const k of ['ddos', 'synflood', 'worm', 'bigpackets', '--attack-pcap', '--on-off', 'Poisson']) assert.ok(r.stdout.includes(k), k);
});
