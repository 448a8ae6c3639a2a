/**
 * Retiming: speed a trace up or down, move its start, and repeat it back to back (`loop`) to build long or
 * dense traces from short real ones.
 *
 * Time: t' = start + (t - first) / speed + r * period for repetition r, where first/last are the earliest and
 * latest timestamps and period = (last - first + mean inter-packet gap) / speed, so repetitions do not overlap.
 *
 * Addresses: repetition 0 is unchanged; repetition r >= 1 XORs the low 16 bits of every IPv4 address (the host
 * part of a /16, so prefixes and the flow structure are kept) and the low 32 bits of every IPv6 address with a
 * per-repetition key drawn from the seeded Rng (distinct and non-zero for every repetition, so at most 65,535
 * repetitions). The mapping is a bijection per repetition, so each repetition's flows are new flows (unless the
 * trace itself holds two flows that differ exactly by the XOR of two keys, which is negligible). The IPv4 header
 * checksum and the TCP, UDP (when not 0) and ICMPv6 checksums are updated incrementally (RFC 1624): a checksum
 * that was right stays right; one that was wrong stays wrong by the same amount.
 */
import { CaptureError } from '../errors.ts';
import { Rng } from '../random.ts';
import { PacketBatch, PacketFlag } from './batch.ts';
import { decodePacket, lastTransportOffset, locateNetwork, NetKind } from './decode.ts';
import { PcapWriter } from './pcap-writer.ts';
import { forEachRecord, traceSpan } from './records.ts';

export interface RetimeOptions {
  /** > 1 plays faster (compresses time), < 1 slower. Default 1. */
  speed?: number;
  /** New start time (ns since the epoch); default: the trace's own first timestamp. */
  startNs?: bigint;
  /** Number of back-to-back repetitions (default 1). */
  loop?: number;
  /** Seed of the per-repetition address keys (default 1). */
  seed?: number;
  chunkSize?: number;
  skipCorrupt?: boolean;
}

export async function retimeTrace(input: string, out: string, opts: RetimeOptions = {}): Promise<{ packets: number }> {
  const speed = opts.speed ?? 1;
  const loop = opts.loop ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new CaptureError('capture.bad-speed', `speed ${speed} must be a positive number`);
  if (!Number.isInteger(loop) || loop < 1 || loop > 65535) {
    throw new CaptureError('capture.bad-loop', `loop ${loop} must be an integer between 1 and 65535`);
  }
  const ro = { chunkSize: opts.chunkSize ?? 1 << 20, skipCorrupt: opts.skipCorrupt };
  // Pass 1: time span and link type.
  const { firstNs: first, lastNs: last, packets: n, linkType, otherLinkType, stats: st } = await traceSpan(input, ro);
  if (otherLinkType >= 0) {
    throw new CaptureError('capture.mixed-linktypes', `cannot retime: the trace mixes link types ${linkType} and ${otherLinkType}`, {
      file: input,
      hint: 'Split the trace by interface first.',
    });
  }
  const span = last - first;
  const gap = n > 1 ? span / BigInt(n - 1) : 1000n;
  const period = scale(span + (gap > 0n ? gap : 1n), speed);
  const start = opts.startNs ?? first;
  const keys = repetitionKeys(loop, opts.seed ?? 1);
  const w = await PcapWriter.open(out, {
    linkType: linkType < 0 ? (st.linkTypes[0] ?? 1) : linkType,
    snaplen: Math.min(262144, Math.max(st.snaplen, 65535)),
    nanosecond: true,
    gzip: out.endsWith('.gz'),
  });
  const scratch = new PacketBatch(1, 262144);
  try {
    for (let r = 0; r < loop; r++) {
      const base = start + BigInt(r) * period;
      const k4 = keys[r]! & 0xffff;
      const k6 = keys[r]!;
      await forEachRecord(input, (rec) => {
        const t = base + scale(rec.tsNs - first, speed);
        if (r === 0) {
          w.write(t, rec.data, rec.wireLen);
          return;
        }
        const d = scratch.bytes;
        d.set(rec.data, 0);
        remapAddresses(scratch, rec.capLen, rec.linkType, k4, k6);
        w.write(t, d.subarray(0, rec.capLen), rec.wireLen);
      }, ro);
    }
  } finally {
    await w.close();
  }
  return { packets: w.packets };
}

function scale(ns: bigint, speed: number): bigint {
  return speed === 1 ? ns : BigInt(Math.round(Number(ns) / speed));
}

/** Distinct non-zero keys, one per repetition (index 0 unused: repetition 0 keeps its addresses). */
function repetitionKeys(loop: number, seed: number): number[] {
  const rng = new Rng(seed);
  const keys = [0];
  const seen = new Set<number>([0]);
  while (keys.length < loop) {
    const k = rng.nextU32();
    if (seen.has(k & 0xffff) || seen.has(k)) continue;
    seen.add(k & 0xffff);
    seen.add(k);
    keys.push(k);
  }
  return keys;
}

/** Rewrites the addresses of the packet in b.bytes[0, cap) and fixes the checksums incrementally. */
function remapAddresses(b: PacketBatch, cap: number, linkType: number, k4: number, k6: number): void {
  const d = b.bytes;
  const loc = locateNetwork(d, 0, cap, linkType);
  const kind = loc & 7;
  const p = (loc - kind) / 8;
  decodePacket(b, 0, 0, cap, linkType);
  const l4 = (b.flags[0]! & PacketFlag.NON_FIRST_FRAGMENT) === 0 ? lastTransportOffset() : -1;
  const proto = b.proto[0]!;
  if (!(kind === NetKind.IPV4 && b.ipVersion[0] === 4) && !(kind === NetKind.IPV6 && b.ipVersion[0] === 6)) return;
  let ipSum = -1, l4Sum = -1;
  if (kind === NetKind.IPV4) ipSum = p + 10;
  if (l4 >= 0) {
    if (proto === 6 && l4 + 18 <= cap) l4Sum = l4 + 16;
    else if (proto === 17 && l4 + 8 <= cap && (d[l4 + 6]! | d[l4 + 7]!) !== 0) l4Sum = l4 + 6;
    else if (proto === 58 && kind === NetKind.IPV6 && l4 + 4 <= cap) l4Sum = l4 + 2;
  }
  const udp = proto === 17;
  // XOR the low 16 bits of each IPv4 address, or the low 32 bits of each IPv6 address, with the key.
  if (kind === NetKind.IPV4) {
    xorWord(d, cap, p + 14, k4, ipSum, l4Sum, udp);
    xorWord(d, cap, p + 18, k4, ipSum, l4Sum, udp);
  } else {
    const hi = k6 >>> 16, lo = k6 & 0xffff;
    xorWord(d, cap, p + 20, hi, ipSum, l4Sum, udp);
    xorWord(d, cap, p + 22, lo, ipSum, l4Sum, udp);
    xorWord(d, cap, p + 36, hi, ipSum, l4Sum, udp);
    xorWord(d, cap, p + 38, lo, ipSum, l4Sum, udp);
  }
}

/** XORs the 16-bit word at `at` with `key` (if captured) and updates the checksums at `ipSum`/`l4Sum` (-1 = none). */
function xorWord(d: Uint8Array, cap: number, at: number, key: number, ipSum: number, l4Sum: number, udp: boolean): void {
  if (at + 2 > cap) return;
  const old = (d[at]! << 8) | d[at + 1]!;
  const neu = old ^ key;
  d[at] = neu >> 8;
  d[at + 1] = neu & 0xff;
  if (ipSum >= 0 && ipSum + 2 <= cap) updateChecksum(d, ipSum, old, neu, false);
  if (l4Sum >= 0) updateChecksum(d, l4Sum, old, neu, udp);
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). For UDP a result of 0 is sent as 0xffff. */
function updateChecksum(d: Uint8Array, at: number, oldWord: number, newWord: number, udp: boolean): void {
  const hc = (d[at]! << 8) | d[at + 1]!;
  let s = (~hc & 0xffff) + (~oldWord & 0xffff) + newWord;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  let c = ~s & 0xffff;
  if (udp && c === 0) c = 0xffff;
  d[at] = c >> 8;
  d[at + 1] = c & 0xff;
}
