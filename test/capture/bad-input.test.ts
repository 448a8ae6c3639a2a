import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CaptureError, forEachRecord, readBatches, traceInfo, type CaptureWarning } from '../../src/capture/index.ts';
import { Ng, concat, ether, ipv4, le32, pcapFile, udp, writeTmp } from './fixtures.ts';

const frame = ether(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, udp(1, 2, [1, 2, 3, 4])));
const pk = (k: number) => ({ sec: 100, frac: k, data: frame });

async function count(path: string, opts = {}): Promise<number> {
  let n = 0;
  for await (const b of readBatches(path, opts)) n += b.count;
  return n;
}

test('unknown magic: CaptureError showing the first bytes in hex', async () => {
  const p = writeTmp('text.pcap', new TextEncoder().encode('hello, not a trace'));
  await assert.rejects(count(p), (e: unknown) => e instanceof CaptureError && /not a pcap or pcapng file/.test(e.message) && /68 65 6c 6c 6f/.test(e.message));
  await assert.rejects(traceInfo(writeTmp('empty.pcap', new Uint8Array(0))), CaptureError);
  await assert.rejects(traceInfo(writeTmp('short.pcap', pcapFile(1, []).subarray(0, 10))), /truncated/);
  await assert.rejects(traceInfo('/nonexistent/x.pcap'), CaptureError);
});

test('truncated last record: everything before it is kept, a warning gives its byte offset', async () => {
  const full = pcapFile(1, [pk(0), pk(1), pk(2)]);
  const cut = full.subarray(0, full.length - 5);
  const warnings: CaptureWarning[] = [];
  const p = writeTmp('trunc.pcap', cut);
  assert.equal(await count(p, { onWarning: (w: CaptureWarning) => warnings.push(w) }), 2);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.code, 'truncated-record');
  assert.equal(warnings[0]!.offset, 24 + 2 * (16 + frame.length));
  const info = await traceInfo(p);
  assert.equal(info.truncatedRecords, 1);
  // A gzip stream cut short: the decompressed part is read, the rest reported.
  const gz = gzipSync(pcapFile(1, Array.from({ length: 200 }, (_, k) => pk(k))));
  const gp = writeTmp('trunc.gz', gz.subarray(0, gz.length - 20));
  const got: CaptureWarning[] = [];
  const n = await count(gp, { onWarning: (w: CaptureWarning) => got.push(w) });
  assert.ok(n > 0 && n <= 200);
  assert.ok(got.some((w) => w.code === 'truncated-gzip'));
});

test('impossible record length: CaptureError naming file and offset; skipCorrupt resynchronises and counts', async () => {
  const good = pcapFile(1, [pk(0), pk(1), pk(2), pk(3)]);
  const bad = Uint8Array.from(good);
  const rec2 = 24 + 2 * (16 + frame.length);
  bad.set(le32(0x7fffffff), rec2 + 8); // caplen of record 2
  const p = writeTmp('corrupt.pcap', bad);
  await assert.rejects(count(p), (e: unknown) => e instanceof CaptureError && e.offset === rec2 && e.file === p && /captured length/.test(e.message));
  const s = readBatches(p, { skipCorrupt: true });
  let n = 0;
  for await (const b of s) n += b.count;
  assert.equal(n, 3);
  assert.equal(s.stats.corruptRecords, 1);
  assert.equal(s.stats.skippedBytes, 16 + frame.length);
  // caplen > wirelen is impossible too.
  const bad2 = Uint8Array.from(good);
  bad2.set(le32(3), 24 + 12);
  await assert.rejects(count(writeTmp('cap-gt-wire.pcap', bad2)), CaptureError);
});

test('pcapng: bad block length and unknown interface are CaptureErrors', async () => {
  const ng = new Ng();
  const ok = concat(ng.shb(), ng.idb(1), ng.epb(0, 1n, frame), ng.epb(0, 2n, frame));
  const badLen = Uint8Array.from(ok);
  const epb1 = ng.shb().length + ng.idb(1).length;
  badLen.set(le32(13), epb1 + 4);
  await assert.rejects(count(writeTmp('badlen.pcapng', badLen)), (e: unknown) => e instanceof CaptureError && e.offset === epb1);
  const badIf = concat(ng.shb(), ng.idb(1), ng.epb(3, 1n, frame));
  await assert.rejects(count(writeTmp('badif.pcapng', badIf)), /interface 3/);
  const s = readBatches(writeTmp('badlen2.pcapng', badLen), { skipCorrupt: true });
  let n = 0;
  for await (const b of s) n += b.count;
  assert.equal(n, 1);
  assert.equal(s.stats.corruptRecords, 1);
});

test('a callback error in forEachRecord passes through unchanged', async () => {
  const p = writeTmp('cb.pcap', pcapFile(1, [pk(0)]));
  const mine = new RangeError('mine');
  await assert.rejects(forEachRecord(p, () => { throw mine; }), (e: unknown) => e === mine);
  assert.ok(readFileSync(p).length > 0);
});
