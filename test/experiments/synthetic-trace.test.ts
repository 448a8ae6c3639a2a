import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachRecord, readBatches, traceInfo } from '../../src/capture/index.ts';
import { internetChecksum, ipv4L4Checksum } from '../../src/anomaly/index.ts';
import { UserError } from '../../src/errors.ts';
import { expectedTcpPackets, writeSyntheticTrace } from '../../src/experiments/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadcast-synth-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const OPTS = { seconds: 12, rate: 3000 } as const;

test('same seed gives the same bytes; another seed gives another trace', async () => {
  const a = await writeSyntheticTrace(join(dir, 'a.pcap'), { ...OPTS, seed: 5 });
  const b = await writeSyntheticTrace(join(dir, 'b.pcap'), { ...OPTS, seed: 5 });
  const c = await writeSyntheticTrace(join(dir, 'c.pcap'), { ...OPTS, seed: 6 });
  assert.equal(sha(a.path), sha(b.path));
  assert.deepEqual(a, { ...b, path: a.path });
  assert.notEqual(sha(a.path), sha(c.path));
});

test('readable by readBatches: every packet decodes as IPv4 TCP or UDP, in time order, over the whole span', async () => {
  const r = await writeSyntheticTrace(join(dir, 'r.pcap'), { ...OPTS, seed: 1 });
  let n = 0, v4 = 0, tcp = 0, udp = 0, reordered = 0;
  const stream = readBatches(r.path);
  for await (const b of stream) {
    n += b.count;
    reordered += b.reordered;
    for (let i = 0; i < b.count; i++) {
      if (b.ipVersion[i] === 4) v4++;
      if (b.proto[i] === 6) tcp++;
      if (b.proto[i] === 17) udp++;
    }
  }
  assert.equal(n, r.packets);
  assert.equal(v4, n);
  assert.equal(tcp + udp, n);
  assert.equal(reordered, 0);
  const info = await traceInfo(r.path);
  assert.equal(info.undecodable, 0);
  assert.equal(info.corruptRecords, 0);
  assert.ok(info.durationS > 0.95 * OPTS.seconds && info.durationS <= OPTS.seconds, `duration ${info.durationS}`);
  // The target rate is met on average (Poisson arrivals and a heavy tail make it approximate).
  const rate = r.packets / OPTS.seconds;
  assert.ok(rate > 0.6 * OPTS.rate && rate < 1.5 * OPTS.rate, `rate ${rate}`);
});

test('IPv4 header and TCP/UDP checksums are correct', async () => {
  // Whole packets are captured here so the L4 checksum can be verified over the full segment.
  const r = await writeSyntheticTrace(join(dir, 'k.pcap'), { seconds: 3, rate: 2000, seed: 3, snaplen: 65535 });
  let checked = 0;
  await forEachRecord(r.path, (rec) => {
    const f = rec.data;
    const ip = 14;
    assert.equal(internetChecksum(f, ip, ip + 20), 0, 'IPv4 header checksum');
    const total = (f[ip + 2]! << 8) | f[ip + 3]!;
    assert.equal(ipv4L4Checksum(f, ip + 12, f[ip + 9]!, ip + 20, ip + total), 0, 'L4 checksum');
    checked++;
  });
  assert.equal(checked, r.packets);
});

test('packets are captured with a 128-byte snaplen by default, keeping the wire length', async () => {
  const opts = { seconds: 3, rate: 2000, seed: 3 } as const;
  const r = await writeSyntheticTrace(join(dir, 'c128.pcap'), opts);
  const full = await writeSyntheticTrace(join(dir, 'cfull.pcap'), { ...opts, snaplen: 65535 });
  assert.deepEqual({ ...r, path: '' }, { ...full, path: '' }, 'the snaplen changes only what is written to the file');
  let wire = 0, cut = 0, n = 0;
  await forEachRecord(r.path, (rec) => {
    assert.equal(rec.capLen, Math.min(rec.wireLen, 128));
    wire += rec.wireLen;
    if (rec.wireLen > rec.capLen) cut++;
    n++;
  });
  assert.equal(n, r.packets);
  assert.equal(wire, r.bytes);
  assert.ok(cut > 0.2 * n, `${cut} of ${n} packets longer than the snaplen`);
  const info = await traceInfo(r.path);
  assert.equal(info.undecodable, 0);
  const size = (p: string): number => readFileSync(p).length;
  assert.ok(size(full.path) > 3 * size(r.path), `file sizes ${size(full.path)} vs ${size(r.path)}`);
  await assert.rejects(writeSyntheticTrace(join(dir, 'x.pcap'), { ...opts, snaplen: 40 }), UserError);
});

test('documented structure: hosts, DNS on port 53, handshakes, heavy-tailed flow sizes', async () => {
  const r = await writeSyntheticTrace(join(dir, 's.pcap'), { seconds: 20, rate: 4000, seed: 3 });
  const perFlow = new Map<string, number>();
  const hosts = new Set<number>();
  let syn = 0, synAck = 0, fin = 0, dnsOk = 0, udp = 0;
  for await (const b of readBatches(r.path)) {
    for (let i = 0; i < b.count; i++) {
      const s = b.src[4 * i + 3]!, d = b.dst[4 * i + 3]!;
      hosts.add(s).add(d);
      const sp = b.srcPort[i]!, dp = b.dstPort[i]!;
      const lo = s < d || (s === d && sp < dp);
      const key = lo ? `${s}:${sp}-${d}:${dp}/${b.proto[i]}` : `${d}:${dp}-${s}:${sp}/${b.proto[i]}`;
      perFlow.set(key, (perFlow.get(key) ?? 0) + 1);
      if (b.proto[i] === 17) {
        udp++;
        if (sp === 53 || dp === 53) dnsOk++;
      } else {
        const fl = b.tcpFlags[i]!;
        if (fl === 2) syn++;
        if (fl === 18) synAck++;
        if (fl & 1) fin++;
      }
    }
  }
  assert.equal(dnsOk, udp, 'every UDP packet is a DNS exchange');
  assert.ok(hosts.size >= 100 && hosts.size <= 240 + 120 + 4, `hosts ${hosts.size}`);
  assert.equal(hosts.size, r.hosts);
  // Every connection that starts inside the trace opens with SYN then SYN-ACK; a few are cut at the edges.
  assert.ok(syn > 0.9 * r.tcpFlows && syn <= r.tcpFlows, `syn ${syn} of ${r.tcpFlows} flows`);
  assert.ok(synAck > 0.95 * syn && synAck <= syn + 10);
  assert.ok(fin > syn, 'connections are torn down with FINs');
  const dnsShare = r.dnsFlows / (r.dnsFlows + r.tcpFlows);
  assert.ok(dnsShare > 0.15 && dnsShare < 0.25, `dns share ${dnsShare}`);
  assert.equal(perFlow.size, r.tcpFlows + r.dnsFlows);
  // Heavy tail: the largest 1% of flows carry a large share of the packets; the median flow is small.
  const sizes = [...perFlow.values()].sort((x, y) => y - x);
  const top = sizes.slice(0, Math.ceil(sizes.length / 100)).reduce((x, y) => x + y, 0);
  assert.ok(top / r.packets > 0.25, `top 1% share ${top / r.packets}`);
  assert.ok(sizes[Math.floor(sizes.length / 2)]! <= 15, `median flow ${sizes[Math.floor(sizes.length / 2)]}`);
  assert.ok(sizes[0]! > 500, `largest flow ${sizes[0]}`);
});

test('expected packets per connection grows with a heavier tail and with the cap', () => {
  assert.ok(expectedTcpPackets(1.1, 20000) > expectedTcpPackets(1.5, 20000));
  assert.ok(expectedTcpPackets(1.1, 20000) > expectedTcpPackets(1.1, 100));
  // N = 2 always when the cap is 2: 7 control packets + 2 data + 1 ACK.
  assert.equal(expectedTcpPackets(1.1, 2), 10);
});

test('options out of range are user errors', async () => {
  await assert.rejects(writeSyntheticTrace(join(dir, 'x.pcap'), { seconds: 0 }), UserError);
  await assert.rejects(writeSyntheticTrace(join(dir, 'x.pcap'), { alpha: 1 }), UserError);
});
