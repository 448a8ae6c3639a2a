import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  CaptureError, PcapWriter, forEachRecord, mergeTraces, retimeTrace, traceInfo,
} from '../../src/capture/index.ts';
import { locateNetwork, NetKind } from '../../src/capture/decode.ts';
import { pcapFile, tmp, writeTmp, ether, ipv4, udp } from './fixtures.ts';

const DATA = '../shared/data/pcap';

async function records(path: string): Promise<{ ts: bigint; data: number[]; wire: number; link: number }[]> {
  const out: { ts: bigint; data: number[]; wire: number; link: number }[] = [];
  await forEachRecord(path, (r) => out.push({ ts: r.tsNs, data: [...r.data], wire: r.wireLen, link: r.linkType }));
  return out;
}

test('PcapWriter round trip: ns and us, gzip, snaplen cut, wire length kept', async () => {
  const pk = Array.from({ length: 3000 }, (_, k) => ({
    ts: 1_700_000_000_000_000_000n + BigInt(k) * 1_234_567n,
    data: Array.from({ length: 40 + (k % 700) }, (_, j) => (j * 7 + k) & 255),
  }));
  for (const [nanosecond, gzip] of [[true, false], [false, false], [true, true]] as const) {
    const path = join(tmp, `rt-${nanosecond}-${gzip}.pcap${gzip ? '.gz' : ''}`);
    const w = await PcapWriter.open(path, { linkType: 1, nanosecond, gzip, snaplen: 500 });
    for (const p of pk) w.write(p.ts, Uint8Array.from(p.data), p.data.length + 4);
    await w.close();
    const back = await records(path);
    assert.equal(back.length, pk.length);
    for (let k = 0; k < pk.length; k++) {
      const want = nanosecond ? pk[k]!.ts : (pk[k]!.ts / 1000n) * 1000n;
      assert.equal(back[k]!.ts, want);
      assert.deepEqual(back[k]!.data, pk[k]!.data.slice(0, 500));
      assert.equal(back[k]!.wire, pk[k]!.data.length + 4);
    }
  }
  // tcpdump accepts the output.
  const path = join(tmp, 'rt-check.pcap');
  const w = await PcapWriter.open(path, { linkType: 1 });
  w.write(1_000_000_000n, Uint8Array.from(ether(0x0800, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2)))));
  await w.close();
  assert.match(execFileSync('tcpdump', ['-nr', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), /1\.1\.1\.1\.1 > 2\.2\.2\.2\.2: UDP/);
});

test('merge: time-ordered, all packets, same count as mergecap; mixed link types are a clear error', async () => {
  const a = `${DATA}/esnet__masscan_tcp_0_1000_20190821.pcap`;
  const b = `${DATA}/esnet__masscan_udp_0_1000_20190821.pcap`;
  const c = `${DATA}/stopddos__amp.UDP.snmp.src161.pcapng`;
  const out = join(tmp, 'merged.pcap');
  const r = await mergeTraces([a, b, c], out);
  const ia = await traceInfo(a), ib = await traceInfo(b), ic = await traceInfo(c);
  assert.equal(r.packets, ia.packets + ib.packets + ic.packets);
  const recs = await records(out);
  assert.equal(recs.length, r.packets);
  // Output order is the merge order: a packet goes back in time only where one of the inputs already did.
  let back = 0;
  for (let k = 1; k < recs.length; k++) if (recs[k - 1]!.ts > recs[k]!.ts) back++;
  assert.ok(back <= ia.reordered + ib.reordered + ic.reordered, `${back} steps back`);
  const mc = join(tmp, 'mergecap.pcap');
  execFileSync('mergecap', ['-F', 'pcap', '-w', mc, a, b, c]);
  const ref = await records(mc);
  assert.deepEqual(recs.map((x) => x.ts), ref.map((x) => x.ts));
  const m = await traceInfo(out);
  assert.equal(m.flowsOneWay, ia.flowsOneWay + ib.flowsOneWay + ic.flowsOneWay);
  await assert.rejects(mergeTraces([a, `${DATA}/ndpi__ocs.pcap`], join(tmp, 'mixed.pcap')), (e: unknown) => e instanceof CaptureError && e.code === 'capture.mixed-linktypes');
});

function ipv4HeaderOk(d: number[], p: number): boolean {
  const ihl = (d[p]! & 15) * 4;
  let s = 0;
  for (let k = 0; k < ihl; k += 2) s += (d[p + k]! << 8) | d[p + k + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

function tcpUdpOk(d: number[], p: number): boolean | undefined {
  const ihl = (d[p]! & 15) * 4, proto = d[p + 9]!, total = (d[p + 2]! << 8) | d[p + 3]!;
  if ((proto !== 6 && proto !== 17) || p + total > d.length || ((d[p + 6]! << 8) | d[p + 7]!) & 0x3fff) return undefined;
  const len = total - ihl;
  let s = proto + len;
  for (let k = 12; k < 20; k += 2) s += (d[p + k]! << 8) | d[p + k + 1]!;
  for (let k = 0; k < len; k += 2) s += (d[p + ihl + k]! << 8) | (k + 1 < len ? d[p + ihl + k + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

test('retime: speed, start, loop; each repetition brings new flows; checksums stay valid', async () => {
  const f = `${DATA}/ndpi__KakaoTalk_talk.pcap`;
  const orig = await traceInfo(f);
  const out = join(tmp, 'retimed.pcap');
  const r = await retimeTrace(f, out, { speed: 2, loop: 3, seed: 7, startNs: 2_000_000_000_000_000_000n });
  assert.equal(r.packets, 3 * orig.packets);
  const info = await traceInfo(out);
  assert.equal(info.packets, 3 * orig.packets);
  assert.equal(info.firstNs, 2_000_000_000_000_000_000n);
  assert.equal(info.flowsOneWay, 3 * orig.flowsOneWay);
  assert.equal(info.flowsBothWays, 3 * orig.flowsBothWays);
  assert.equal(info.distinctIps, 3 * orig.distinctIps);
  // Duration: 3 periods of (span + mean gap) / 2, minus the trailing mean gap.
  const span = orig.durationS;
  const gap = span / (orig.packets - 1);
  assert.ok(Math.abs(info.durationS - (3 * (span + gap) / 2 - gap / 2)) < 1e-3, `${info.durationS}`);
  assert.equal(info.reordered, orig.reordered * 3);
  // Checksums: every IPv4 header checksum valid; TCP/UDP checksums valid wherever they were in the original.
  const o = await records(f);
  const n = await records(out);
  let checked = 0;
  for (let k = 0; k < n.length; k++) {
    const src = o[k % o.length]!;
    const loc = locateNetwork(Uint8Array.from(src.data), 0, src.data.length, 113);
    if ((loc & 7) !== NetKind.IPV4) continue;
    const p = (loc - (loc & 7)) / 8;
    assert.ok(ipv4HeaderOk(n[k]!.data, p), `ip checksum ${k}`);
    if (tcpUdpOk(src.data, p) === true) {
      assert.equal(tcpUdpOk(n[k]!.data, p), true, `l4 checksum ${k}`);
      checked++;
    }
  }
  assert.ok(checked > 1000, `${checked} L4 checksums checked`);
});

test('retime speed only: timestamps scale around the first packet', async () => {
  const pkts = [0, 1000, 5000].map((us) => ({ sec: 50, frac: us, data: ether(0x0800, ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2))) }));
  const out = join(tmp, 'slow.pcap');
  await retimeTrace(writeTmp('s.pcap', pcapFile(1, pkts)), out, { speed: 0.5 });
  assert.deepEqual((await records(out)).map((x) => x.ts), [50_000_000_000n, 50_002_000_000n, 50_010_000_000n]);
});

/** A little-endian pcapng with one interface per link type and one packet (µs timestamps) on each. */
function pcapngTwoInterfaces(packets: { linkType: number; tsUs: number; data: number[] }[]): Uint8Array {
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const block = (type: number, body: number[]): number[] => {
    const len = 12 + body.length;
    return [...u32(type), ...u32(len), ...body, ...u32(len)];
  };
  const parts: number[][] = [block(0x0a0d0d0a, [...u32(0x1a2b3c4d), 1, 0, 0, 0, ...u32(0xffffffff), ...u32(0xffffffff)])];
  for (const p of packets) parts.push(block(1, [p.linkType & 0xff, p.linkType >>> 8, 0, 0, ...u32(65535)]));
  packets.forEach((p, i) => {
    const pad = (4 - (p.data.length % 4)) % 4;
    const hi = Math.floor(p.tsUs / 2 ** 32);
    parts.push(block(6, [...u32(i), ...u32(hi), ...u32(p.tsUs - hi * 2 ** 32), ...u32(p.data.length), ...u32(p.data.length), ...p.data, ...new Array(pad).fill(0)]));
  });
  return new Uint8Array(parts.flat());
}

test('retime rejects a trace that mixes link types, naming both', async () => {
  const ip = ipv4('1.1.1.1', '2.2.2.2', 17, udp(1, 2));
  const f = writeTmp('mixed-links.pcapng', pcapngTwoInterfaces([
    { linkType: 1, tsUs: 1_000_000, data: ether(0x0800, ip) },
    { linkType: 101, tsUs: 2_000_000, data: ip },
  ]));
  assert.equal((await records(f)).length, 2, 'the fixture reads as two packets');
  await assert.rejects(
    retimeTrace(f, join(tmp, 'mixed-retimed.pcap')),
    (e: unknown) => e instanceof CaptureError && e.code === 'capture.mixed-linktypes' && /link types 1 and 101/.test(e.message),
  );
});
