import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { internetChecksum, ipv4L4Checksum, onesComplementSum, foldChecksum } from '../../src/anomaly/checksum.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

test('RFC 1071 section 3 example: sum of 0001 f203 f4f5 f6f7 folds to ddf2', () => {
  const b = hex('0001 f203 f4f5 f6f7');
  assert.equal(foldChecksum(onesComplementSum(b, 0, b.length)), ~0xddf2 & 0xffff);
  assert.equal(internetChecksum(b, 0, b.length), 0x220d);
});

test('IPv4 header checksum known vector (192.168.0.1 -> 192.168.0.199, UDP) is b861', () => {
  const h = hex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
  assert.equal(internetChecksum(h, 0, 20), 0xb861);
  h[10] = 0xb8;
  h[11] = 0x61;
  assert.equal(internetChecksum(h, 0, 20), 0, 'verifying a header with its checksum gives 0');
});

test('odd-length data is padded with a zero byte', () => {
  assert.equal(internetChecksum(hex('01'), 0, 1), ~0x0100 & 0xffff);
  assert.equal(internetChecksum(hex('0102 03'), 0, 3), ~(0x0102 + 0x0300) & 0xffff);
});

/** Minimal classic-pcap walk (test-only): yields the Ethernet frames of a little-endian pcap file. */
function* pcapFrames(path: string): Generator<Uint8Array> {
  const f = readFileSync(path);
  assert.equal(f.readUInt32LE(0), 0xa1b2c3d4);
  let o = 24;
  while (o + 16 <= f.length) {
    const cap = f.readUInt32LE(o + 8);
    yield new Uint8Array(f.buffer, f.byteOffset + o + 16, cap);
    o += 16 + cap;
  }
}

test('TCP checksums recomputed on real captured SYNs equal the stored ones', () => {
  let checked = 0;
  for (const fr of pcapFrames('../shared/data/pcap/stopddos__pkt.TCP.synflood.spoofed.pcap')) {
    if (fr[12] !== 0x08 || fr[13] !== 0x00 || fr[23] !== 6) continue;
    const ip = 14;
    const ihl = (fr[ip]! & 15) * 4;
    const totalLen = (fr[ip + 2]! << 8) | fr[ip + 3]!;
    if (ip + totalLen > fr.length) continue;
    const copy = fr.slice();
    const l4 = ip + ihl;
    const stored = (copy[l4 + 16]! << 8) | copy[l4 + 17]!;
    assert.equal(ipv4L4Checksum(copy, ip + 12, 6, l4, ip + totalLen), 0, `verify packet ${checked}`);
    copy[l4 + 16] = 0;
    copy[l4 + 17] = 0;
    assert.equal(ipv4L4Checksum(copy, ip + 12, 6, l4, ip + totalLen), stored);
    assert.equal(internetChecksum(copy, ip, ip + ihl), 0, 'IPv4 header verifies');
    if (++checked >= 200) break;
  }
  assert.equal(checked, 200);
});

test('UDP checksums recomputed on real captured datagrams equal the stored ones', () => {
  let checked = 0;
  for (const fr of pcapFrames('../shared/data/pcap/esnet__masscan_udp_0_1000_20190821.pcap')) {
    // These frames carry an 802.1Q tag: ethertype at 16, IP at 18.
    const ip = fr[12] === 0x81 && fr[13] === 0x00 ? 18 : 14;
    if (fr[ip - 2] !== 0x08 || fr[ip - 1] !== 0x00 || fr[ip + 9] !== 17) continue;
    const ihl = (fr[ip]! & 15) * 4;
    const totalLen = (fr[ip + 2]! << 8) | fr[ip + 3]!;
    const l4 = ip + ihl;
    const stored = (fr[l4 + 6]! << 8) | fr[l4 + 7]!;
    if (stored === 0 || ip + totalLen > fr.length) continue;
    const copy = fr.slice();
    copy[l4 + 6] = 0;
    copy[l4 + 7] = 0;
    assert.equal(ipv4L4Checksum(copy, ip + 12, 17, l4, ip + totalLen), stored);
    if (++checked >= 200) break;
  }
  assert.ok(checked >= 100, `checked ${checked} UDP datagrams`);
});
