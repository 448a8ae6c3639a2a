import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { PacketFlag, readBatches, traceInfo } from '../../src/capture/index.ts';
import {
  Ng, be16, concat, ether, ip4, ip6addr, ipv4, ipv6, le32, be32, pcapFile, tcp, udp, writeTmp,
} from './fixtures.ts';

interface P {
  ts: bigint; link: number; v: number; proto: number; src: number[]; dst: number[]; sport: number; dport: number;
  tcpFlags: number; flags: number; payload: number[]; wire: number; cap: number;
}

/** Every packet of a trace as a plain object (test convenience only). */
async function packets(path: string, opts = {}): Promise<P[]> {
  const out: P[] = [];
  for await (const b of readBatches(path, opts)) {
    for (let i = 0; i < b.count; i++) {
      const po = b.payloadOffset[i]!;
      out.push({
        ts: b.timestampNs(i), link: b.linkType[i]!, v: b.ipVersion[i]!, proto: b.proto[i]!,
        src: [...b.src.subarray(4 * i, 4 * i + 4)], dst: [...b.dst.subarray(4 * i, 4 * i + 4)],
        sport: b.srcPort[i]!, dport: b.dstPort[i]!, tcpFlags: b.tcpFlags[i]!, flags: b.flags[i]!,
        payload: [...b.bytes.subarray(po, po + b.payloadLen[i]!)], wire: b.wireLen[i]!, cap: b.capLen[i]!,
      });
    }
  }
  return out;
}

const u32 = (a: string): number => ip4(a).reduce((x, y) => x * 256 + y, 0);
const v4 = (a: string): number[] => [0, 0, 0xffff, u32(a)];
const v6 = (last: number): number[] => {
  const b = ip6addr(last);
  return [0, 1, 2, 3].map((k) => ((b[4 * k]! << 24) | (b[4 * k + 1]! << 16) | (b[4 * k + 2]! << 8) | b[4 * k + 3]!) >>> 0);
};

const tcpFrame = ether(0x0800, ipv4('10.0.0.1', '10.0.0.2', 6, tcp(1234, 80, 0x12, [9, 8, 7])));

test('pcapng: several interfaces with different link types, if_tsresol (decimal and 2^-k), if_tsoffset, SPB, PB, unknown blocks', async () => {
  for (const le of [true, false]) {
    const ng = new Ng(le);
    const raw = ipv4('192.168.1.1', '192.168.1.2', 17, udp(53, 5353, [1, 2]));
    const sll2 = [...be16(0x0800), 0, 0, ...new Array(16).fill(0), ...raw];
    const bytes = concat(
      ng.shb(),
      ng.idb(1), // Ethernet, default microseconds
      ng.block(0x0bad, [1, 2, 3, 4, 5]), // unknown block: skipped by length
      ng.idb(101, { tsresol: 9 }), // raw IP, nanoseconds
      ng.idb(276, { tsresol: 0x80 | 20, tsoffset: 1000 }), // SLL2, 2^-20 s, +1000 s
      ng.epb(0, 1_600_000_000_123_456n, tcpFrame),
      ng.epb(1, 1_600_000_000_987_654_321n, raw),
      ng.epb(2, (1_600_000_000n << 20n) + (1n << 19n), sll2), // 1600000000.5 s + 1000 s
      ng.block(5, [0, 0, 0, 0, 0, 0, 0, 0]), // interface statistics: skipped
      ng.spb(tcpFrame), // no timestamp: inherits the previous one
      ng.pb(1, 1_600_000_001_000_000_007n, raw),
    );
    const ps = await packets(writeTmp(`multi-${le}.pcapng`, bytes), { maxGapNs: 1e13 });
    assert.equal(ps.length, 5);
    assert.deepEqual(ps.map((p) => p.link), [1, 101, 276, 1, 101]);
    assert.deepEqual(ps.map((p) => p.ts), [
      1_600_000_000_123_456_000n, 1_600_000_000_987_654_321n, 1_600_001_000_500_000_000n, 1_600_001_000_500_000_000n,
      1_600_000_001_000_000_007n,
    ]);
    assert.deepEqual([ps[1]!.sport, ps[1]!.dport, ps[1]!.proto], [53, 5353, 17]);
    assert.deepEqual(ps[2]!.src, v4('192.168.1.1'));
    assert.deepEqual(ps[3]!.payload, [9, 8, 7]);
    const info = await traceInfo(writeTmp(`multi-info-${le}.pcapng`, bytes));
    assert.equal(info.format, 'pcapng');
    assert.deepEqual(info.linkTypes.map((l) => l.type), [1, 101, 276]);
    assert.equal(info.reordered, 1); // the PB goes back in time
  }
});

test('classic pcap: big-endian and nanosecond magic give the same packets and exact timestamps', async () => {
  const pk = [{ sec: 1_700_000_000, frac: 123456, data: tcpFrame }, { sec: 1_700_000_001, frac: 999999, data: tcpFrame }];
  const le = await packets(writeTmp('le.pcap', pcapFile(1, pk)));
  const be = await packets(writeTmp('be.pcap', pcapFile(1, pk, { bigEndian: true })));
  assert.deepEqual(be, le);
  assert.equal(le[0]!.ts, 1_700_000_000_123_456_000n);
  const ns = await packets(writeTmp('ns.pcap', pcapFile(1, [{ sec: 1_700_000_000, frac: 123456789, data: tcpFrame }], { nano: true, bigEndian: true })));
  assert.equal(ns[0]!.ts, 1_700_000_000_123_456_789n);
  assert.deepEqual([ns[0]!.sport, ns[0]!.dport, ns[0]!.tcpFlags, ns[0]!.proto], [1234, 80, 0x12, 6]);
});

test('Ethernet 802.1Q and 802.1ad QinQ tags; Ethernet padding is not payload', async () => {
  const body = ipv4('1.2.3.4', '5.6.7.8', 17, udp(1000, 2000, [0xaa]));
  const padded = [...ether(0x0800, body, [[0x88a8, 100], [0x8100, 200]]), 0, 0, 0, 0, 0, 0];
  const ps = await packets(writeTmp('vlan.pcap', pcapFile(1, [
    { sec: 1, frac: 0, data: ether(0x0800, body, [[0x8100, 7]]) },
    { sec: 1, frac: 1, data: padded },
  ])));
  for (const p of ps) {
    assert.deepEqual([p.v, p.proto, p.sport, p.dport], [4, 17, 1000, 2000]);
    assert.deepEqual(p.src, v4('1.2.3.4'));
    assert.deepEqual(p.payload, [0xaa]);
  }
});

test('Linux SLL, SLL2, raw IP (101, 228, 229), BSD NULL in either byte order', async () => {
  const ip = ipv4('9.9.9.9', '8.8.8.8', 6, tcp(1, 2, 0x10));
  const ip6 = ipv6(1, 2, 17, udp(7, 8));
  const cases: [number, number[], number][] = [
    [113, [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, ...be16(0x0800), ...ip], 4],
    [276, [...be16(0x86dd), 0, 0, ...new Array(16).fill(0), ...ip6], 6],
    [101, ip, 4],
    [101, ip6, 6],
    [228, ip, 4],
    [229, ip6, 6],
    [0, [...le32(2), ...ip], 4],
    [0, [...be32(2), ...ip], 4],
    [0, [...le32(30), ...ip6], 6],
    [0, [...le32(24), ...ip6], 6],
  ];
  for (const [lt, data, v] of cases) {
    const [p] = await packets(writeTmp(`lt${lt}.pcap`, pcapFile(lt, [{ sec: 5, frac: 0, data }])));
    assert.equal(p!.v, v, `link type ${lt}`);
    assert.equal(p!.flags, 0);
    if (v === 4) assert.deepEqual([p!.src[3], p!.sport, p!.dport], [u32('9.9.9.9'), 1, 2]);
    else assert.deepEqual([p!.src, p!.dst, p!.sport, p!.dport, p!.proto], [v6(1), v6(2), 7, 8, 17]);
  }
});

test('IPv6 extension headers: hop-by-hop, routing, destination options, AH, fragment (first / non-first), ESP stops', async () => {
  const opt8 = [0, 0, 0, 0, 0, 0, 0, 0];
  const ah = [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]; // payload len 1 -> (1+2)*4 = 12 bytes
  const frag = (off: number, more: number): number[] => [0, 0, ...be16((off << 3) | more), 0, 0, 0, 1];
  const pkts = [
    ipv6(1, 2, 6, tcp(443, 5555, 0x18, [1, 2, 3]), [[0, opt8], [43, opt8], [60, opt8]]),
    ipv6(1, 2, 6, tcp(443, 5555, 0x18, [4]), [[51, ah]]),
    ipv6(1, 2, 17, udp(53, 99, [5, 5]), [[44, frag(0, 1)]]),
    ipv6(1, 2, 17, [6, 6, 6, 6, 6, 6, 6, 6], [[44, frag(100, 0)]]),
    ipv6(1, 2, 50, [0, 0, 0, 1, 0, 0, 0, 2, 7, 7], []),
    ipv6(1, 2, 58, [128, 0, 0, 0, 0, 1, 0, 1, 42]),
  ];
  const ps = await packets(writeTmp('v6ext.pcap', pcapFile(101, pkts.map((data, k) => ({ sec: 1, frac: k, data })))));
  assert.deepEqual(ps.map((p) => p.proto), [6, 6, 17, 17, 50, 58]);
  assert.deepEqual([ps[0]!.sport, ps[0]!.dport, ps[0]!.tcpFlags], [443, 5555, 0x18]);
  assert.deepEqual(ps[0]!.payload, [1, 2, 3]);
  assert.deepEqual(ps[1]!.payload, [4]);
  assert.equal(ps[2]!.flags, PacketFlag.FRAGMENT);
  assert.deepEqual([ps[2]!.sport, ps[2]!.dport], [53, 99]);
  assert.equal(ps[3]!.flags, PacketFlag.FRAGMENT | PacketFlag.NON_FIRST_FRAGMENT);
  assert.deepEqual([ps[3]!.sport, ps[3]!.dport], [0, 0]);
  assert.deepEqual(ps[3]!.payload, [6, 6, 6, 6, 6, 6, 6, 6]);
  assert.deepEqual([ps[4]!.sport, ps[4]!.flags], [0, 0]);
  assert.deepEqual(ps[5]!.payload, [42]);
});

test('IPv4 options and fragments: ports only from the first fragment', async () => {
  const pkts = [
    ipv4('10.1.1.1', '10.2.2.2', 6, tcp(22, 4000, 0x02, [1], 1), { optWords: 2 }),
    ipv4('10.1.1.1', '10.2.2.2', 17, udp(53, 53, new Array(20).fill(3)), { frag: 0x2000 }),
    ipv4('10.1.1.1', '10.2.2.2', 17, [9, 9, 9, 9], { frag: 3 }),
    ipv4('10.1.1.1', '10.2.2.2', 1, [8, 0, 0, 0, 0, 1, 0, 1, 77]),
    ipv4('10.1.1.1', '10.2.2.2', 47, [1, 2, 3]),
  ];
  const ps = await packets(writeTmp('v4.pcap', pcapFile(101, pkts.map((data, k) => ({ sec: 1, frac: k, data })))));
  assert.deepEqual([ps[0]!.sport, ps[0]!.dport, ps[0]!.tcpFlags, ps[0]!.flags], [22, 4000, 2, 0]);
  assert.deepEqual(ps[0]!.payload, [1]);
  assert.deepEqual([ps[1]!.sport, ps[1]!.flags], [53, PacketFlag.FRAGMENT]);
  assert.deepEqual([ps[2]!.sport, ps[2]!.dport, ps[2]!.flags], [0, 0, PacketFlag.FRAGMENT | PacketFlag.NON_FIRST_FRAGMENT]);
  assert.deepEqual(ps[2]!.payload, [9, 9, 9, 9]);
  assert.deepEqual(ps[3]!.payload, [77]);
  assert.deepEqual([ps[4]!.proto, ps[4]!.payload], [47, [1, 2, 3]]);
  const info = await traceInfo(writeTmp('v4i.pcap', pcapFile(101, pkts.map((data, k) => ({ sec: 1, frac: k, data })))));
  assert.deepEqual(info.protocols, { tcp: 1, udp: 2, icmp: 1, icmpv6: 0, otherIp: 1, nonIp: 0 });
  assert.equal(info.fragments, 2);
  assert.equal(info.flowsOneWay, 5); // fragment 2 has ports 0: a flow of its own
});

test('unknown link type and non-IP frames are kept, flagged and counted; headers cut by the snaplen are TRUNCATED', async () => {
  const arp = ether(0x0806, new Array(28).fill(1));
  const cut = tcpFrame.slice(0, 14 + 20 + 2);
  const path = writeTmp('odd.pcap', pcapFile(1, [
    { sec: 1, frac: 0, data: arp },
    { sec: 1, frac: 1, data: cut, wire: tcpFrame.length },
  ]));
  const ps = await packets(path);
  assert.deepEqual(ps.map((p) => [p.v, p.flags]), [[0, 0], [4, PacketFlag.TRUNCATED]]);
  assert.equal(ps[1]!.wire, tcpFrame.length);
  const unk = writeTmp('unk.pcap', pcapFile(147, [{ sec: 1, frac: 0, data: [1, 2, 3] }]));
  const [u] = await packets(unk);
  assert.equal(u!.flags, PacketFlag.UNDECODABLE);
  const info = await traceInfo(unk);
  assert.deepEqual([info.packets, info.undecodable, info.protocols.nonIp], [1, 1, 1]);
});

test('gzip-compressed traces are read transparently (detected by magic, not name)', async () => {
  const real = '../shared/data/pcap/ndpi__KakaoTalk_talk.pcap';
  const gz = writeTmp('kakao.bin', gzipSync(readFileSync(real)));
  const [a, b] = [await traceInfo(real), await traceInfo(gz, { chunkSize: 4096 })];
  assert.equal(b.gzip, true);
  assert.deepEqual({ ...b, file: '', gzip: false }, { ...a, file: '', gzip: false });
  const ng = new Ng();
  const gzng = writeTmp('ng.pcapng.gz', gzipSync(concat(ng.shb(), ng.idb(1), ng.epb(0, 5_000_000n, tcpFrame))));
  const ps = await packets(gzng);
  assert.equal(ps.length, 1);
  assert.equal(ps[0]!.ts, 5_000_000_000n);
});

test('MPLS label stacks, PPPoE sessions, SCTP ports, OpenBSD LOOP', async () => {
  const sctp = ipv4('3.3.3.3', '4.4.4.4', 132, [...be16(2905), ...be16(2906), 0, 0, 0, 1, 0, 0, 0, 0, 0xee]);
  const mpls = [...be16(0x0001), 0x00, 0x40, ...be16(0x0002), 0x01, 0x40]; // two labels, bottom-of-stack on the second
  const pppoe = [0x11, 0, 0, 1, ...be16(sctp.length + 2), ...be16(0x0021)];
  const cases: [number, number[]][] = [
    [1, ether(0x8847, [...mpls, ...sctp])],
    [1, ether(0x8864, [...pppoe, ...sctp])],
    [108, [...be32(2), ...sctp]],
  ];
  for (const [lt, data] of cases) {
    const [p] = await packets(writeTmp(`misc-${lt}-${data.length}.pcap`, pcapFile(lt, [{ sec: 1, frac: 0, data }])));
    assert.deepEqual([p!.v, p!.proto, p!.sport, p!.dport, p!.flags], [4, 132, 2905, 2906, 0]);
    assert.deepEqual(p!.payload, [0xee]);
  }
});
