import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { traceInfo } from '../../src/capture/index.ts';

const DATA = '../shared/data/pcap';
const GOLDEN = 'test/golden';

/** Epoch seconds with the same number of decimals as the capinfos text it is compared with. */
function epochText(ns: bigint, like: string): string {
  const digits = like.includes('.') ? like.split('.')[1]!.length : 0;
  const s = ns / 1_000_000_000n;
  const frac = (ns - s * 1_000_000_000n).toString().padStart(9, '0').slice(0, digits);
  return digits ? `${s}.${frac}` : `${s}`;
}

const goldens = readdirSync(GOLDEN).filter((f) => f.endsWith('.json'));

test('there is a golden file for every shared trace', () => {
  const traces = readdirSync(DATA).filter((f) => f.includes('.pcap')).sort();
  assert.ok(traces.length >= 20);
  assert.deepEqual(goldens.map((g) => g.replace(/\.json$/, '')).sort(), traces);
});

for (const g of goldens) {
  test(`traceInfo matches capinfos/tshark: ${g}`, async () => {
    const want = JSON.parse(readFileSync(join(GOLDEN, g), 'utf8'));
    const got = await traceInfo(join(DATA, want.file));
    assert.equal(got.packets, want.packets, 'packets');
    assert.equal(got.wireBytes, want.wireBytes, 'wire bytes');
    assert.equal(got.capturedBytes, want.capturedBytes, 'captured bytes');
    assert.equal(epochText(got.firstNs!, want.firstEpoch), want.firstEpoch, 'first timestamp');
    assert.equal(epochText(got.lastNs!, want.lastEpoch), want.lastEpoch, 'last timestamp');
    assert.equal(got.distinctIps, want.distinctIps, 'distinct IPs');
    assert.equal(got.flowsOneWay, want.flowsOneWay, 'one-way flows');
    assert.equal(got.flowsBothWays, want.flowsBothWays, 'both-ways flows');
    const p = want.ipProtocols as Record<string, number>;
    assert.equal(got.protocols.tcp, p['6'] ?? 0, 'tcp packets');
    assert.equal(got.protocols.udp, p['17'] ?? 0, 'udp packets');
    assert.equal(got.protocols.icmp + got.protocols.icmpv6, (p['1'] ?? 0) + (p['58'] ?? 0), 'icmp packets');
    const ipTotal = Object.values(p).reduce((a, b) => a + b, 0);
    const gp = got.protocols;
    assert.equal(gp.tcp + gp.udp + gp.icmp + gp.icmpv6 + gp.otherIp, ipTotal, 'IP packets');
    assert.equal(gp.nonIp + ipTotal, got.packets, 'IP + non-IP = packets');
  });
}
