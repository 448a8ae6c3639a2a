import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Rng } from '../../src/random.ts';
import {
  encodeFrame,
  IPPROTO_TCP,
  IPPROTO_UDP,
  linkHeaderLength,
  maxFrameLength,
  PacketFields,
  PayloadPool,
  relinkFrame,
} from '../../src/anomaly/frame.ts';
import { LinkType } from '../../src/capture/index.ts';
import { decodeFrame } from './frame-check.ts';

const POOL = new PayloadPool(new Rng(99));
const LINK_TYPES = [LinkType.ETHERNET, LinkType.RAW_12, LinkType.RAW_14, LinkType.RAW, LinkType.IPV4, LinkType.LINUX_SLL, LinkType.LINUX_SLL2];

test('encoded frames of every link type decode with valid IPv4, TCP and UDP checksums (property)', () => {
  const buf = new Uint8Array(maxFrameLength(1500));
  const f = new PacketFields();
  fc.assert(
    fc.property(
      fc.constantFrom(...LINK_TYPES),
      fc.boolean(),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 65535 }),
      fc.integer({ min: 0, max: 1460 }),
      fc.integer({ min: 0, max: 1000 }),
      (lt, tcp, src, dst, sp, dp, payloadLen, seed) => {
        f.src = src;
        f.dst = dst;
        f.srcPort = sp;
        f.dstPort = dp;
        f.proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
        f.tcpFlags = tcp ? 2 : 0;
        f.payloadLen = payloadLen;
        f.randomPayload = true;
        const n = encodeFrame(buf, lt, f, POOL, new Rng(seed));
        const d = decodeFrame(buf.subarray(0, n), lt);
        assert.ok(d);
        assert.ok(d.ipChecksumOk, 'IPv4 header checksum');
        assert.ok(d.l4ChecksumOk, 'L4 checksum');
        assert.equal(d.src, src);
        assert.equal(d.dst, dst);
        assert.equal(d.srcPort, sp);
        assert.equal(d.dstPort, dp);
        assert.equal(d.payloadLen, payloadLen);
        assert.equal(d.ipOffset, linkHeaderLength(lt));
        const ipEnd = d.ipOffset + d.ipLen;
        assert.equal(n, lt === LinkType.ETHERNET ? Math.max(60, ipEnd) : ipEnd);
      },
    ),
    { numRuns: 400, seed: 4 },
  );
});

test('a UDP checksum that computes to zero is sent as 0xffff', () => {
  // Search a payload whose checksum is zero, then check the transmitted value.
  const buf = new Uint8Array(128);
  const f = new PacketFields();
  f.proto = IPPROTO_UDP;
  f.src = 0x01020304;
  f.dst = 0x05060708;
  f.payloadLen = 2;
  f.randomPayload = false;
  let found = false;
  for (let port = 1; port < 65536 && !found; port++) {
    f.srcPort = port;
    const n = encodeFrame(buf, LinkType.RAW, f, POOL, new Rng(1));
    if (((buf[26]! << 8) | buf[27]!) === 0xffff) {
      found = true;
      assert.ok(decodeFrame(buf.subarray(0, n), LinkType.RAW)!.l4ChecksumOk);
    }
  }
  assert.ok(found);
});

test('short Ethernet frames are zero-padded to 60 bytes', () => {
  const buf = new Uint8Array(128).fill(0xee);
  const f = new PacketFields();
  f.proto = IPPROTO_TCP;
  f.tcpFlags = 2;
  const n = encodeFrame(buf, LinkType.ETHERNET, f, POOL, new Rng(1));
  assert.equal(n, 60);
  assert.deepEqual([...buf.subarray(54, 60)], [0, 0, 0, 0, 0, 0]);
});

test('unknown link types are a UserError naming the supported ones', () => {
  assert.throws(() => linkHeaderLength(105), /link type 105.*|Supported/);
});

test('relinkFrame converts between Ethernet, SLL, SLL2 and raw IP keeping the IP packet intact', () => {
  const f = new PacketFields();
  f.proto = IPPROTO_UDP;
  f.src = 0x0a000001;
  f.dst = 0x0a000002;
  f.srcPort = 1234;
  f.dstPort = 53;
  f.payloadLen = 100;
  f.randomPayload = true;
  const a = new Uint8Array(2048);
  const b = new Uint8Array(2048);
  for (const from of LINK_TYPES) {
    for (const to of LINK_TYPES) {
      const n = encodeFrame(a, from, f, POOL, new Rng(9));
      const m = relinkFrame(a.subarray(0, n), from, to, b);
      const d = decodeFrame(b.subarray(0, m), to);
      assert.ok(d && d.ipChecksumOk && d.l4ChecksumOk, `${from} -> ${to}`);
      assert.equal(d.payloadLen, 100);
      assert.equal(d.dstPort, 53);
    }
  }
  // ARP over Ethernet has no IP packet: not convertible.
  const arp = new Uint8Array(42);
  arp[12] = 0x08;
  arp[13] = 0x06;
  assert.equal(relinkFrame(arp, LinkType.ETHERNET, LinkType.RAW, b), -1);
});
