import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/random.ts';
import { encodeFrame, maxFrameLength, PacketFields, PayloadPool } from '../../src/anomaly/frame.ts';
import { LinkType } from '../../src/capture/index.ts';
import { formatIPv4, makeKindGenerator, parseIPv4, type AnomalyKind, type KindOptions } from '../../src/anomaly/kinds.ts';
import { decodeFrame, type DecodedFrame } from './frame-check.ts';

const POOL = new PayloadPool(new Rng(99));
const S = 1e9;

/** Generates n packets spread evenly over the duration and decodes them. */
function generate(kind: AnomalyKind, n: number, opts: Partial<KindOptions> = {}, seed = 1): DecodedFrame[] {
  const rng = new Rng(seed);
  const g = makeKindGenerator(kind, rng, { forNs: 10 * S, ...opts });
  const f = new PacketFields();
  const buf = new Uint8Array(maxFrameLength(1500));
  const out: DecodedFrame[] = [];
  for (let i = 0; i < n; i++) {
    g.fill(f, (i / n) * 10 * S);
    const len = encodeFrame(buf, LinkType.ETHERNET, f, POOL, rng);
    const d = decodeFrame(buf.subarray(0, len), LinkType.ETHERNET)!;
    assert.ok(d.ipChecksumOk && d.l4ChecksumOk, `${kind} packet ${i} checksums`);
    out.push(d);
  }
  return out;
}

test('ddos: one target and port, spoofed sources and ports nearly all distinct, UDP by default', () => {
  const p = generate('ddos', 5000, { target: '192.0.2.7', port: 8080 });
  assert.ok(p.every((d) => d.dst === parseIPv4('192.0.2.7') && d.dstPort === 8080 && d.proto === 17));
  const srcs = new Set(p.map((d) => d.src));
  const tuples = new Set(p.map((d) => `${d.src}:${d.srcPort}`));
  assert.ok(srcs.size > 4990, `distinct sources ${srcs.size}`);
  assert.equal(tuples.size, 5000);
  for (const d of p) {
    const first = d.src >>> 24;
    assert.ok(first !== 0 && first !== 10 && first !== 127 && first < 224, formatIPv4(d.src));
  }
  const tcp = generate('ddos', 100, { proto: 'tcp' });
  assert.ok(tcp.every((d) => d.proto === 6 && d.tcpFlags === 2 && d.dstPort === 80));
});

test('synflood: TCP SYN only, spoofed distinct sources, one target:port', () => {
  const p = generate('synflood', 5000);
  assert.ok(p.every((d) => d.proto === 6 && d.tcpFlags === 2 && d.payloadLen === 0));
  assert.equal(new Set(p.map((d) => `${d.dst}:${d.dstPort}`)).size, 1);
  assert.ok(new Set(p.map((d) => d.src)).size > 4990);
  assert.throws(() => generate('synflood', 1, { proto: 'udp' }), /SYN flood is TCP/);
});

test('worm: fixed destination port, many destinations, infected set grows over time', () => {
  const p = generate('worm', 20000, { maxInfected: 500 });
  assert.ok(p.every((d) => d.dstPort === 445 && d.proto === 6 && d.tcpFlags === 2));
  assert.ok(new Set(p.map((d) => d.dst)).size > 19900);
  const early = new Set(p.slice(0, 2000).map((d) => d.src)).size;
  const late = new Set(p.slice(18000).map((d) => d.src)).size;
  assert.ok(early < 20, `early distinct sources ${early}`);
  assert.ok(late > 400 && late <= 500, `late distinct sources ${late}`);
  // Every newly infected source was scanned before it started scanning.
  const scanned = new Set<number>();
  const seen = new Set<number>();
  for (const d of p) {
    if (!seen.has(d.src) && seen.size > 0) assert.ok(scanned.has(d.src), `source ${formatIPv4(d.src)} was never scanned`);
    seen.add(d.src);
    scanned.add(d.dst);
  }
  const slammer = generate('worm', 100, { proto: 'udp' });
  assert.ok(slammer.every((d) => d.dstPort === 1434 && d.proto === 17 && d.ipLen === 404));
});

test('bigpackets: 1500-byte IP packets (1514-byte frames) on a few flows', () => {
  const p = generate('bigpackets', 2000);
  assert.ok(p.every((d) => d.ipLen === 1500 && d.payloadLen === 1460 && d.tcpFlags === (8 | 16)));
  assert.ok(new Set(p.map((d) => `${d.src}:${d.srcPort}>${d.dst}:${d.dstPort}`)).size <= 4);
  assert.ok(new Set(p.map((d) => d.src)).size >= 2);
});

test('bad target, port and kind are UserErrors', () => {
  assert.throws(() => generate('ddos', 1, { target: '300.1.1.1' }), /not an IPv4 address/);
  assert.throws(() => generate('ddos', 1, { port: 70000 }), /out of range/);
  assert.throws(() => generate('nope' as AnomalyKind, 1), /unknown anomaly kind/);
});

test('parseIPv4 / formatIPv4 round trip', () => {
  for (const a of ['0.0.0.0', '255.255.255.255', '192.0.2.10', '10.1.2.3']) assert.equal(formatIPv4(parseIPv4(a)), a);
});
