import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeTmp } from './fixtures.ts';

const run = (...args: string[]) => spawnSync('./bin/loadcast', args, { encoding: 'utf8' });

test('trace info --json reports; a bad file exits 1 with one clear line', () => {
  const f = '../shared/data/pcap/ndpi__ocs.pcap';
  const info = run('trace', 'info', '--json', f);
  assert.equal(info.status, 0, info.stderr);
  const j = JSON.parse(info.stdout);
  assert.deepEqual([j.packets, j.flowsOneWay, j.linkTypes[0].type], [946, 20, 101]);
  const bad = run('trace', 'info', writeTmp('cli-bad.pcap', new Uint8Array([1, 2, 3, 4, 5])));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /not a pcap or pcapng file \(first bytes: 01 02 03 04 05\)/);
  assert.doesNotMatch(bad.stderr, /at .*\.ts/);
});
