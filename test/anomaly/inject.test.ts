import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { forEachRecord } from '../../src/capture/index.ts';
import { injectAnomaly, type InjectOptions, type InjectReport } from '../../src/anomaly/index.ts';
import { decodeFrame, type DecodedFrame } from './frame-check.ts';

const DATA = '../shared/data/pcap';
const BG = `${DATA}/ndpi__netflix.pcap`; // Ethernet, 1,793 packets over 89.9 s
const dir = mkdtempSync(join(tmpdir(), 'loadcast-inject-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const S = 1e9;

interface Out {
  report: InjectReport;
  /** Injected packets: relative time (ns from the background's first packet), decoded headers, frame length. */
  injected: { t: number; d: DecodedFrame; len: number }[];
  background: string[];
  times: bigint[];
  linkType: number;
}

/** Frames the injector writes on Ethernet carry the 02:4c:43 source MAC; other link types use the SLL address. */
function isInjected(data: Uint8Array, linkType: number): boolean {
  const o = linkType === 1 ? 6 : linkType === 113 ? 6 : linkType === 276 ? 12 : -1;
  if (o < 0) return false;
  return data[o] === 0x02 && data[o + 1] === 0x4c && data[o + 2] === 0x43;
}

let counter = 0;
async function run(input: string, opts: InjectOptions, detect = isInjected): Promise<Out> {
  const out = join(dir, `out-${counter++}.pcap`);
  const report = await injectAnomaly(input, out, opts);
  const injected: Out['injected'] = [];
  const background: string[] = [];
  const times: bigint[] = [];
  let linkType = -1;
  await forEachRecord(out, (rec) => {
    linkType = rec.linkType;
    times.push(rec.tsNs);
    const t = Number(rec.tsNs - report.backgroundFirstNs);
    if (detect(rec.data, rec.linkType)) injected.push({ t, d: decodeFrame(rec.data, rec.linkType)!, len: rec.capLen });
    else background.push(`${rec.tsNs}:${Buffer.from(rec.data).toString('base64')}`);
  });
  return { report, injected, background, times, linkType };
}

async function recordsOf(path: string): Promise<string[]> {
  const r: string[] = [];
  await forEachRecord(path, (rec) => void r.push(`${rec.tsNs}:${Buffer.from(rec.data).toString('base64')}`));
  return r;
}

const bgRecords = await recordsOf(BG);

function assertCommon(o: Out, atNs: number, forNs: number): void {
  assert.equal(o.report.injectedPackets, o.injected.length);
  assert.equal(o.report.backgroundPackets, 1793);
  assert.equal(o.report.outputPackets, 1793 + o.injected.length);
  assert.deepEqual(o.background, bgRecords, 'background packets and timestamps pass through unchanged');
  for (let i = 1; i < o.times.length; i++) assert.ok(o.times[i]! >= o.times[i - 1]!, `output time order at record ${i}`);
  for (const p of o.injected) {
    assert.ok(p.t >= atNs && p.t < atNs + forNs, `injected packet at ${p.t} ns outside the window`);
    assert.ok(p.d.ipChecksumOk, 'IPv4 header checksum');
    assert.ok(p.d.l4ChecksumOk, 'TCP/UDP checksum');
  }
}

/** |count - mean| within 4 standard deviations of a Poisson count. */
function assertPoisson(count: number, mean: number, what: string): void {
  assert.ok(Math.abs(count - mean) < 4 * Math.sqrt(mean), `${what}: ${count} packets, expected ${mean} +- ${4 * Math.sqrt(mean)}`);
}

test('synflood: rate x duration SYNs to one target:port, spoofed sources ~ packets', async () => {
  const o = await run(BG, { kind: 'synflood', atNs: 10 * S, forNs: 10 * S, rate: 2000, seed: 3, target: '10.1.2.3', port: 443 });
  assertCommon(o, 10 * S, 10 * S);
  assertPoisson(o.injected.length, 20000, 'synflood');
  assert.ok(o.injected.every((p) => p.d.tcpFlags === 2 && p.d.dstPort === 443 && p.d.dst === 0x0a010203 && p.len === 60));
  assert.ok(new Set(o.injected.map((p) => p.d.src)).size > 0.995 * o.injected.length);
  assert.equal(o.report.firstInjectedS! >= 10, true);
});

test('high rates are honoured end to end (100 kpps synflood: no minimum gap between packets)', async () => {
  const r = await injectAnomaly(BG, join(dir, 'fast.pcap'), { kind: 'synflood', atNs: 1 * S, forNs: 1 * S, rate: 100_000, seed: 2 });
  assertPoisson(r.injectedPackets, 100_000, 'synflood 100 kpps');
});

test('ddos: idle every other second by default, spoofed distinct sources, UDP to the target', async () => {
  const o = await run(BG, { kind: 'ddos', atNs: 10 * S, forNs: 10 * S, rate: 2000, seed: 5 });
  assertCommon(o, 10 * S, 10 * S);
  assertPoisson(o.injected.length, 10000, 'ddos total');
  const perSecond = new Array(10).fill(0);
  for (const p of o.injected) perSecond[Math.floor((p.t - 10 * S) / S)]++;
  perSecond.forEach((c, s) => (s % 2 ? assert.equal(c, 0, `off second ${s}`) : assertPoisson(c, 2000, `on second ${s}`)));
  assert.ok(o.injected.every((p) => p.d.proto === 17 && p.d.dstPort === 80));
  assert.ok(new Set(o.injected.map((p) => `${p.d.src}:${p.d.srcPort}`)).size > 0.999 * o.injected.length);
  assert.equal(o.report.onOffNs, S);
});

test('worm: fixed destination port, many destinations, growing set of sources', async () => {
  const o = await run(BG, { kind: 'worm', atNs: 5 * S, forNs: 10 * S, rate: 2000, seed: 7, maxInfected: 300 });
  assertCommon(o, 5 * S, 10 * S);
  assertPoisson(o.injected.length, 20000, 'worm');
  assert.ok(o.injected.every((p) => p.d.dstPort === 445 && p.d.tcpFlags === 2));
  assert.ok(new Set(o.injected.map((p) => p.d.dst)).size > 0.99 * o.injected.length);
  const srcIn = (from: number, to: number): number =>
    new Set(o.injected.filter((p) => p.t >= from && p.t < to).map((p) => p.d.src)).size;
  assert.ok(srcIn(5 * S, 7 * S) < srcIn(9 * S, 11 * S) && srcIn(9 * S, 11 * S) < srcIn(13 * S, 15 * S));
  assert.ok(srcIn(13 * S, 15 * S) > 250);
});

test('bigpackets: 1514-byte Ethernet frames (1500-byte IP) in bursts between a few hosts', async () => {
  const o = await run(BG, { kind: 'bigpackets', atNs: 10 * S, forNs: 5 * S, rate: 4000, seed: 9 });
  assertCommon(o, 10 * S, 5 * S);
  // Bursts of 16: the count is 16 x Poisson(rate x duration / 16).
  assert.ok(Math.abs(o.injected.length - 20000) < 4 * 16 * Math.sqrt(20000 / 16), `${o.injected.length}`);
  assert.ok(o.injected.every((p) => p.len === 1514 && p.d.ipLen === 1500));
  assert.ok(new Set(o.injected.map((p) => p.d.src)).size <= 4);
  let backToBack = 0;
  for (let i = 1; i < o.injected.length; i++) if (Math.abs(o.injected[i]!.t - o.injected[i - 1]!.t - 12304) <= 1) backToBack++;
  assert.ok(backToBack > 0.9 * o.injected.length, `back-to-back gaps ${backToBack}`);
});

test('same seed gives identical bytes; another seed differs', async () => {
  const opts: InjectOptions = { kind: 'ddos', atNs: 1 * S, forNs: 4 * S, rate: 1000, seed: 11 };
  const a = join(dir, 'seed-a.pcap');
  const b = join(dir, 'seed-b.pcap');
  const c = join(dir, 'seed-c.pcap');
  await injectAnomaly(BG, a, opts);
  await injectAnomaly(BG, b, opts);
  await injectAnomaly(BG, c, { ...opts, seed: 12 });
  const h = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
  assert.equal(h(a), h(b));
  assert.notEqual(h(a), h(c));
});

test('raw-IP and Linux SLL backgrounds get frames of their own link type with valid checksums', async () => {
  const udpTo = (d: DecodedFrame | undefined): boolean => d !== undefined && d.dst === 0xc6336409; // 198.51.100.9
  const raw = await run(`${DATA}/ndpi__ocs.pcap`, { kind: 'synflood', atNs: 1 * S, forNs: 2 * S, rate: 500, target: '198.51.100.9' }, (data, lt) => udpTo(decodeFrame(data, lt)));
  assert.equal(raw.linkType, 101);
  assert.equal(raw.report.backgroundPackets, 946);
  assert.ok(raw.injected.length > 800 && raw.injected.every((p) => p.len === 40 && p.d.ipChecksumOk && p.d.l4ChecksumOk));
  const sll = await run(`${DATA}/ndpi__KakaoTalk_talk.pcap`, { kind: 'ddos', atNs: 1 * S, forNs: 2 * S, rate: 500, onOffNs: 0 });
  assert.equal(sll.linkType, 113);
  assert.equal(sll.report.backgroundPackets, 3203);
  assert.ok(sll.injected.length > 800 && sll.injected.every((p) => p.len === 16 + 46 && p.d.ipChecksumOk && p.d.l4ChecksumOk));
});

test('a real attack capture is merged at the chosen time with its own packet spacing', async () => {
  const attack = `${DATA}/esnet__masscan_tcp_0_1000_20190821.pcap`; // 1,005 packets over 10.0 s, Ethernet
  const attackRecs: bigint[] = [];
  const attackFrames: string[] = [];
  await forEachRecord(attack, (rec) => {
    attackRecs.push(rec.tsNs);
    attackFrames.push(Buffer.from(rec.data).toString('base64'));
  });
  const attackSet = new Set(attackFrames);
  const o = await run(BG, { attackPcap: attack, atNs: 20 * S }, (data) => attackSet.has(Buffer.from(data).toString('base64')));
  assert.equal(o.report.kind, 'pcap');
  assert.equal(o.report.injectedPackets, 1005);
  assert.equal(o.injected.length, 1005);
  assert.equal(o.report.outputPackets, 1005 + 1793);
  assert.deepEqual(o.background, bgRecords);
  assert.equal(o.injected[0]!.t, 20 * S);
  for (let i = 1; i < o.injected.length; i++) {
    assert.equal(o.injected[i]!.t - o.injected[0]!.t, Number(attackRecs[i]! - attackRecs[0]!), `spacing of packet ${i}`);
  }
  for (let i = 1; i < o.times.length; i++) assert.ok(o.times[i]! >= o.times[i - 1]!);

  // Cut and looped to fill a window: 25 s of a 10 s capture, replayed 3 times, the third cut at 25 s.
  const looped = await injectAnomaly(BG, join(dir, 'loop.pcap'), { attackPcap: attack, atNs: 5 * S, forNs: 25 * S, loop: true });
  assert.equal(looped.loops, 3);
  assert.ok(looped.injectedPackets > 2400 && looped.injectedPackets < 2600, `${looped.injectedPackets}`);
  assert.equal(looped.injectedPackets + looped.attackCut, 3 * 1005);
  assert.ok(looped.lastInjectedS! < 30);

  // --fit: one replay stretched over 40 s.
  const fit = await injectAnomaly(BG, join(dir, 'fit.pcap'), { attackPcap: attack, atNs: 0, forNs: 40 * S, fit: true });
  assert.ok(Math.abs(fit.speed! - 0.25) < 0.01, `speed ${fit.speed}`);
  assert.ok(fit.lastInjectedS! > 39 && fit.lastInjectedS! <= 40, `${fit.lastInjectedS}`);
});

test('an Ethernet attack capture merged into a raw-IP background is converted', async () => {
  const o = await injectAnomaly(`${DATA}/ndpi__ocs.pcap`, join(dir, 'conv.pcap'), { attackPcap: `${DATA}/esnet__masscan_udp_0_1000_20190821.pcap`, atNs: 2 * S });
  assert.equal(o.linkType, 101);
  assert.equal(o.injectedPackets + o.attackSkipped, 1001);
  let checked = 0;
  await forEachRecord(join(dir, 'conv.pcap'), (rec) => {
    const d = decodeFrame(rec.data, 101);
    if (d && d.proto === 17 && d.dst === 0xc67c980f) {
      assert.ok(d.ipChecksumOk && d.l4ChecksumOk);
      checked++;
    }
  });
  assert.ok(checked > 900, `${checked}`);
});

test('bad options and inputs are UserErrors with a clear message', async () => {
  const out = join(dir, 'bad.pcap');
  await assert.rejects(injectAnomaly(BG, out, { kind: 'ddos', atNs: 0, rate: 10 }), /--for is required/);
  await assert.rejects(injectAnomaly(BG, out, { kind: 'ddos', atNs: 0, forNs: S }), /--rate must be a positive/);
  await assert.rejects(injectAnomaly(BG, out, { atNs: 0, forNs: S, rate: 1 }), /no anomaly given/);
  await assert.rejects(injectAnomaly(BG, out, { kind: 'ddos', attackPcap: BG, atNs: 0 }), /either --kind or --attack-pcap/);
  await assert.rejects(injectAnomaly(BG, BG, { kind: 'ddos', atNs: 0, forNs: S, rate: 1 }), /is the input trace/);
  await assert.rejects(injectAnomaly(BG, out, { kind: 'ddos', atNs: -1, forNs: S, rate: 1 }), /--at must be/);
  await assert.rejects(injectAnomaly(BG, out, { attackPcap: BG, atNs: 0, target: '1.2.3.4' }), /--target does not apply to --attack-pcap/);
  await assert.rejects(injectAnomaly(BG, out, { kind: 'ddos', atNs: 0, forNs: S, rate: 1, loop: true }), /apply to --attack-pcap only/);
  await assert.rejects(injectAnomaly(BG, out, { attackPcap: BG, atNs: 0, loop: true }), /need --for/);
  const empty = join(dir, 'empty.pcap');
  writeFileSync(empty, Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex'));
  await assert.rejects(injectAnomaly(empty, out, { kind: 'ddos', atNs: 0, forNs: S, rate: 1 }), /has no packets/);
  await assert.rejects(injectAnomaly(join(dir, 'missing.pcap'), out, { kind: 'ddos', atNs: 0, forNs: S, rate: 1 }), (e: Error) => e.name === 'CaptureError');
});

test('a .gz output is gzip-compressed and reads back with the same packets', async () => {
  const gz = join(dir, 'out.pcap.gz');
  const r = await injectAnomaly(BG, gz, { kind: 'synflood', atNs: 1 * S, forNs: 1 * S, rate: 1000, seed: 8 });
  assert.deepEqual([...readFileSync(gz).subarray(0, 2)], [0x1f, 0x8b]);
  let n = 0;
  await forEachRecord(gz, () => void n++);
  assert.equal(n, r.outputPackets);
});
