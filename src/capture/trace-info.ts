/**
 * `trace info`: everything reported about one trace, computed in one streaming pass over its batches.
 *
 * Flows follow ../shared/data/pcap/PROVENANCE.md: a 5-tuple is (src IP, dst IP, IP protocol, src port, dst port)
 * over IP packets; ports are 0 for protocols other than TCP/UDP/SCTP and for non-first fragments. "One-way"
 * counts each direction separately; "both-ways" merges (a -> b) with (b -> a).
 */
import { PacketFlag } from './batch.ts';
import { linkTypeName } from './decode.ts';
import { KeySet } from './key-set.ts';
import { readBatches, type BatchOptions } from './read-batches.ts';
import type { CaptureWarning } from './record.ts';

export interface TraceInfo {
  file: string;
  format: string;
  gzip: boolean;
  linkTypes: { type: number; name: string }[];
  snaplen: number;
  packets: number;
  wireBytes: number;
  capturedBytes: number;
  /** Earliest and latest packet timestamp (ns since the epoch); null for a trace without packets. */
  firstNs: bigint | null;
  lastNs: bigint | null;
  firstIso: string | null;
  lastIso: string | null;
  durationS: number;
  protocols: { tcp: number; udp: number; icmp: number; icmpv6: number; otherIp: number; nonIp: number };
  /** Packets whose link type is unknown or whose headers could not be decoded at all. */
  undecodable: number;
  /** IP packets whose headers were cut by the snaplen. */
  truncatedHeaders: number;
  fragments: number;
  distinctIps: number;
  flowsOneWay: number;
  flowsBothWays: number;
  reordered: number;
  truncatedRecords: number;
  corruptRecords: number;
  skippedBytes: number;
  batches: number;
  emptyBatches: number;
  gapsSkipped: number;
  warnings: CaptureWarning[];
}

export type TraceInfoOptions = BatchOptions;

export async function traceInfo(path: string, opts: TraceInfoOptions = {}): Promise<TraceInfo> {
  const stream = readBatches(path, opts);
  const ips = new KeySet(4, 256);
  const oneWay = new KeySet(10, 256);
  const bothWays = new KeySet(10, 256);
  const proto = { tcp: 0, udp: 0, icmp: 0, icmpv6: 0, otherIp: 0, nonIp: 0 };
  let undecodable = 0, truncatedHeaders = 0, fragments = 0;
  let first: bigint | null = null;
  let last: bigint | null = null;
  const ik = ips.key, ok = oneWay.key, bk = bothWays.key;
  for await (const b of stream) {
    const n = b.count;
    if (n === 0) continue;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const t = b.offsetNs[i]!;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
      const f = b.flags[i]!;
      if (f & PacketFlag.UNDECODABLE) undecodable++;
      if (f & PacketFlag.FRAGMENT) fragments++;
      const v = b.ipVersion[i]!;
      if (v === 0) {
        proto.nonIp++;
        continue;
      }
      if (f & PacketFlag.TRUNCATED) truncatedHeaders++;
      const p = b.proto[i]!;
      if (p === 6) proto.tcp++;
      else if (p === 17) proto.udp++;
      else if (p === 1 && v === 4) proto.icmp++;
      else if (p === 58 && v === 6) proto.icmpv6++;
      else proto.otherIp++;
      const w = 4 * i;
      for (let k = 0; k < 4; k++) ik[k] = b.src[w + k]!;
      ips.addScratch();
      for (let k = 0; k < 4; k++) ik[k] = b.dst[w + k]!;
      ips.addScratch();
      const sp = b.srcPort[i]!, dp = b.dstPort[i]!;
      for (let k = 0; k < 4; k++) {
        ok[k] = b.src[w + k]!;
        ok[4 + k] = b.dst[w + k]!;
      }
      ok[8] = p;
      ok[9] = ((sp << 16) | dp) >>> 0;
      oneWay.addScratch();
      // Both-ways key: the (address, port) endpoint that sorts first goes first.
      let swap = false;
      for (let k = 0; k < 4; k++) {
        const s = b.src[w + k]!, d = b.dst[w + k]!;
        if (s !== d) {
          swap = s > d;
          break;
        }
        if (k === 3) swap = sp > dp;
      }
      for (let k = 0; k < 4; k++) {
        bk[k] = swap ? b.dst[w + k]! : b.src[w + k]!;
        bk[4 + k] = swap ? b.src[w + k]! : b.dst[w + k]!;
      }
      bk[8] = p;
      bk[9] = swap ? ((dp << 16) | sp) >>> 0 : ((sp << 16) | dp) >>> 0;
      bothWays.addScratch();
    }
    const tLo = b.startNs + BigInt(lo);
    const tHi = b.startNs + BigInt(hi);
    if (first === null || tLo < first) first = tLo;
    if (last === null || tHi > last) last = tHi;
  }
  const st = stream.stats;
  return {
    file: path,
    format: st.format,
    gzip: st.gzip,
    linkTypes: st.linkTypes.map((t) => ({ type: t, name: linkTypeName(t) })),
    snaplen: st.snaplen,
    packets: st.packets,
    wireBytes: st.wireBytes,
    capturedBytes: st.capturedBytes,
    firstNs: first,
    lastNs: last,
    firstIso: first === null ? null : isoNs(first),
    lastIso: last === null ? null : isoNs(last),
    durationS: first === null || last === null ? 0 : Number(last - first) / 1e9,
    protocols: proto,
    undecodable,
    truncatedHeaders,
    fragments,
    distinctIps: ips.size,
    flowsOneWay: oneWay.size,
    flowsBothWays: bothWays.size,
    reordered: st.reordered,
    truncatedRecords: st.truncatedRecords,
    corruptRecords: st.corruptRecords,
    skippedBytes: st.skippedBytes,
    batches: st.batches,
    emptyBatches: st.emptyBatches,
    gapsSkipped: st.gapsSkipped,
    warnings: st.warnings,
  };
}

/** ISO-8601 UTC with nanoseconds, e.g. 2021-04-28T10:30:21.123456789Z. */
export function isoNs(ns: bigint): string {
  let sec = ns / 1_000_000_000n;
  let frac = ns - sec * 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    sec -= 1n;
  }
  const d = new Date(Number(sec) * 1000);
  if (Number.isNaN(d.getTime())) return `${ns}ns`;
  return `${d.toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}
