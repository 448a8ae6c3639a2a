import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readBatches, type PacketBatch } from '../../src/capture/index.ts';
import { ether, ipv4, pcapFile, udp, writeTmp } from './fixtures.ts';

const DATA = '../shared/data/pcap';

function hashBatch(h: ReturnType<typeof createHash>, b: PacketBatch): void {
  const n = b.count;
  h.update(`${b.startNs}|${b.durationNs}|${n}|${b.byteLength}|${b.reordered}|${b.gapsSkipped}\n`);
  const cols = [b.offsetNs.subarray(0, n), b.wireLen.subarray(0, n), b.capLen.subarray(0, n), b.linkType.subarray(0, n),
    b.ipVersion.subarray(0, n), b.proto.subarray(0, n), b.src.subarray(0, 4 * n), b.dst.subarray(0, 4 * n),
    b.srcPort.subarray(0, n), b.dstPort.subarray(0, n), b.tcpFlags.subarray(0, n), b.flags.subarray(0, n),
    b.dataOffset.subarray(0, n), b.payloadOffset.subarray(0, n), b.payloadLen.subarray(0, n), b.bytes.subarray(0, b.byteLength)];
  for (const c of cols) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
}

async function digest(path: string, chunkSize: number): Promise<{ digest: string; batches: number; packets: number }> {
  const h = createHash('sha256');
  let batches = 0, packets = 0;
  for await (const b of readBatches(path, { chunkSize })) {
    hashBatch(h, b);
    batches++;
    packets += b.count;
  }
  return { digest: h.digest('hex'), batches, packets };
}

test('chunk sizes 64 B, 4 KiB and 4 MiB give identical batches (all columns)', async () => {
  for (const f of ['ndpi__1kxun.pcap', 'ndpi__KakaoTalk_talk.pcap', 'stopddos__amp.TCP.syn.optionallyACK.optionallysamePort.pcapng']) {
    const path = `${DATA}/${f}`;
    const big = await digest(path, 4 << 20);
    assert.ok(big.packets > 0);
    assert.deepEqual(await digest(path, 4096), big, f);
    assert.deepEqual(await digest(path, 64), big, f);
  }
});

const frame = ether(0x0800, ipv4('10.0.0.1', '10.0.0.2', 17, udp(1, 2, [0])));
const at = (sec: number, us: number) => ({ sec, frac: us, data: frame });

async function shape(pkts: { sec: number; frac: number; data: number[] }[], opts = {}) {
  const path = writeTmp(`bins-${Math.random().toString(36).slice(2)}.pcap`, pcapFile(1, pkts));
  const out: { start: bigint; count: number; reordered: number; gap: number; offsets: number[] }[] = [];
  const s = readBatches(path, opts);
  for await (const b of s) {
    out.push({ start: b.startNs, count: b.count, reordered: b.reordered, gap: b.gapsSkipped, offsets: [...b.offsetNs.subarray(0, b.count)] });
  }
  return { batches: out, stats: s.stats };
}

test('bins: t0 is the first packet floored to the bin width; empty bins are emitted', async () => {
  const { batches } = await shape([at(1000, 234_567), at(1000, 250_000), at(1000, 634_000)]);
  assert.deepEqual(batches.map((b) => b.start), [1000_200_000_000n, 1000_300_000_000n, 1000_400_000_000n, 1000_500_000_000n, 1000_600_000_000n]);
  assert.deepEqual(batches.map((b) => b.count), [2, 0, 0, 0, 1]);
  assert.deepEqual(batches[0]!.offsets, [34_567_000, 50_000_000]);
  // A bin width that does not divide a second still floors the absolute epoch time.
  const r = await shape([at(1000, 234_567)], { binNs: 300_000_000 });
  assert.equal(r.batches[0]!.start % 300_000_000n, 0n);
  assert.ok(r.batches[0]!.start <= 1000_234_567_000n && r.batches[0]!.start + 300_000_000n > 1000_234_567_000n);
});

test('out-of-order packets go into the current batch (negative offset) and are counted', async () => {
  const { batches, stats } = await shape([at(10, 150_000), at(10, 120_000), at(10, 250_000), at(10, 180_000)]);
  assert.deepEqual(batches.map((b) => [b.count, b.reordered]), [[2, 1], [2, 1]]);
  assert.equal(batches[1]!.offsets[1], -20_000_000);
  assert.equal(stats.reordered, 2);
});

test('gap rule: gaps longer than maxGapNs emit no empty bins and are counted; shorter ones do', async () => {
  const pk = [at(100, 0), at(100, 50_000), at(200, 10_000)];
  const collapsed = await shape(pk); // default maxGap 60 s
  assert.deepEqual(collapsed.batches.map((b) => [b.start, b.count, b.gap]), [[100_000_000_000n, 2, 0], [200_000_000_000n, 1, 1]]);
  assert.equal(collapsed.stats.gapsSkipped, 1);
  const kept = await shape(pk, { maxGapNs: 200e9 });
  assert.equal(kept.batches.length, 1001);
  assert.equal(kept.stats.emptyBatches, 999);
  assert.equal(kept.stats.gapsSkipped, 0);
  // A backwards jump beyond maxGap starts a new grid too instead of growing one batch forever.
  const back = await shape([at(5000, 0), at(1000, 0), at(1000, 10)]);
  assert.deepEqual(back.batches.map((b) => [b.start, b.count, b.gap]), [[5000_000_000_000n, 1, 0], [1000_000_000_000n, 2, 1]]);
});

test('ndpi__1kxun.pcap (jumps ~184 million s) yields a bounded number of batches', async () => {
  let batches = 0, packets = 0, gaps = 0;
  for await (const b of readBatches(`${DATA}/ndpi__1kxun.pcap`)) {
    batches++;
    packets += b.count;
    gaps += b.gapsSkipped;
  }
  assert.equal(packets, 1723);
  assert.ok(gaps >= 1);
  assert.ok(batches < 10_000, `${batches} batches`);
});
