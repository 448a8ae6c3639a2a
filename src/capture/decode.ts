/**
 * Packet decoding, the hot path: link layer -> IPv4/IPv6 (options, extension headers, fragments) -> TCP, UDP,
 * SCTP, ICMP, ICMPv6. Writes every column of packet i of a PacketBatch directly from the batch's own copy of the
 * bytes; no objects, strings or closures per packet.
 */
import { PacketFlag, type PacketBatch } from './batch.ts';

/** Link types decoded here (pcap LINKTYPE_* numbers). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const LINK_NAMES: Record<number, string> = {
  0: 'BSD loopback (NULL)',
  1: 'Ethernet',
  12: 'raw IP (12)',
  14: 'raw IP (14)',
  101: 'raw IP',
  108: 'OpenBSD loopback',
  113: 'Linux cooked (SLL)',
  228: 'raw IPv4',
  229: 'raw IPv6',
  276: 'Linux cooked v2 (SLL2)',
};

export function linkTypeName(t: number): string {
  return LINK_NAMES[t] ?? `unknown (${t})`;
}

/** Network-layer kinds returned (in the low 3 bits) by {@link locateNetwork}. */
export const NetKind = { NON_IP: 0, IPV4: 1, IPV6: 2, UNKNOWN_LINK: 3, TRUNCATED: 4 } as const;

function etherKind(type: number): number {
  return type === 0x0800 ? NetKind.IPV4 : type === 0x86dd ? NetKind.IPV6 : NetKind.NON_IP;
}

function versionKind(d: Uint8Array, p: number, end: number): number {
  if (p >= end) return NetKind.TRUNCATED;
  const v = d[p]! >> 4;
  return v === 4 ? NetKind.IPV4 : v === 6 ? NetKind.IPV6 : NetKind.NON_IP;
}

/**
 * Finds the network layer of a captured frame: returns `offset * 8 + kind` (kind = {@link NetKind}). Handles
 * Ethernet with any number of 802.1Q/802.1ad/QinQ tags, MPLS label stacks and PPPoE session frames, raw IP,
 * Linux SLL and SLL2, BSD NULL/LOOP.
 */
export function locateNetwork(d: Uint8Array, off: number, end: number, linkType: number): number {
  let p: number;
  let type: number;
  switch (linkType) {
    case 1: {
      p = off + 12;
      if (p + 2 > end) return off * 8 + NetKind.TRUNCATED;
      type = (d[p]! << 8) | d[p + 1]!;
      p += 2;
      while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
        if (p + 4 > end) return p * 8 + NetKind.TRUNCATED;
        type = (d[p + 2]! << 8) | d[p + 3]!;
        p += 4;
      }
      break;
    }
    case 101:
    case 12:
    case 14:
      return off * 8 + versionKind(d, off, end);
    case 228:
      return off * 8 + (off < end ? NetKind.IPV4 : NetKind.TRUNCATED);
    case 229:
      return off * 8 + (off < end ? NetKind.IPV6 : NetKind.TRUNCATED);
    case 113:
      p = off + 16;
      if (p > end) return off * 8 + NetKind.TRUNCATED;
      type = (d[off + 14]! << 8) | d[off + 15]!;
      break;
    case 276:
      p = off + 20;
      if (p > end) return off * 8 + NetKind.TRUNCATED;
      type = (d[off]! << 8) | d[off + 1]!;
      break;
    case 0:
    case 108: {
      p = off + 4;
      if (p > end) return off * 8 + NetKind.TRUNCATED;
      // NULL: the family is in the capturing host's byte order; read it little-endian and swap if implausible.
      let fam = linkType === 108
        ? ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0
        : (d[off]! | (d[off + 1]! << 8) | (d[off + 2]! << 16) | (d[off + 3]! << 24)) >>> 0;
      if (fam > 0xffff) fam = ((d[off]! << 24) | (d[off + 1]! << 16) | (d[off + 2]! << 8) | d[off + 3]!) >>> 0;
      if (fam === 2) return p * 8 + NetKind.IPV4;
      if (fam === 24 || fam === 28 || fam === 30) return p * 8 + NetKind.IPV6;
      return p * 8 + NetKind.NON_IP;
    }
    default:
      return off * 8 + NetKind.UNKNOWN_LINK;
  }
  // Ethertype-based link layers: optional MPLS stack and PPPoE session.
  if (type === 0x8847 || type === 0x8848) {
    for (;;) {
      if (p + 4 > end) return p * 8 + NetKind.TRUNCATED;
      const bos = d[p + 2]! & 1;
      p += 4;
      if (bos) return p * 8 + versionKind(d, p, end);
    }
  }
  if (type === 0x8864) {
    if (p + 8 > end) return p * 8 + NetKind.TRUNCATED;
    const ppp = (d[p + 6]! << 8) | d[p + 7]!;
    p += 8;
    return p * 8 + (ppp === 0x0021 ? NetKind.IPV4 : ppp === 0x0057 ? NetKind.IPV6 : NetKind.NON_IP);
  }
  return p * 8 + etherKind(type);
}

/**
 * Decodes packet i, whose captured bytes are batch.bytes[off, end), into every column of the batch (all columns
 * are written, so a reused batch never shows stale values).
 */
export function decodePacket(b: PacketBatch, i: number, off: number, end: number, linkType: number): void {
  const d = b.bytes;
  const w = 4 * i;
  const src = b.src;
  const dst = b.dst;
  src[w] = 0; src[w + 1] = 0; src[w + 2] = 0; src[w + 3] = 0;
  dst[w] = 0; dst[w + 1] = 0; dst[w + 2] = 0; dst[w + 3] = 0;
  b.srcPort[i] = 0;
  b.dstPort[i] = 0;
  b.tcpFlags[i] = 0;
  b.proto[i] = 0;
  b.ipVersion[i] = 0;
  b.payloadOffset[i] = end;
  b.payloadLen[i] = 0;
  transportOffset = -1;
  const loc = locateNetwork(d, off, end, linkType);
  const kind = loc & 7;
  const p = (loc - kind) / 8;
  if (kind === NetKind.IPV4) b.flags[i] = decodeIpv4(b, i, d, p, end);
  else if (kind === NetKind.IPV6) b.flags[i] = decodeIpv6(b, i, d, p, end);
  else if (kind === NetKind.NON_IP) b.flags[i] = 0;
  else if (kind === NetKind.TRUNCATED) b.flags[i] = PacketFlag.TRUNCATED;
  else b.flags[i] = PacketFlag.UNDECODABLE;
}

function decodeIpv4(b: PacketBatch, i: number, d: Uint8Array, p: number, end: number): number {
  if (p + 20 > end) return PacketFlag.TRUNCATED;
  const vihl = d[p]!;
  const ihl = (vihl & 15) * 4;
  if (vihl >> 4 !== 4 || ihl < 20) return PacketFlag.UNDECODABLE;
  const w = 4 * i;
  b.ipVersion[i] = 4;
  const proto = d[p + 9]!;
  b.proto[i] = proto;
  b.src[w + 2] = 0xffff;
  b.dst[w + 2] = 0xffff;
  b.src[w + 3] = ((d[p + 12]! << 24) | (d[p + 13]! << 16) | (d[p + 14]! << 8) | d[p + 15]!) >>> 0;
  b.dst[w + 3] = ((d[p + 16]! << 24) | (d[p + 17]! << 16) | (d[p + 18]! << 8) | d[p + 19]!) >>> 0;
  const q = p + ihl;
  if (q > end) return PacketFlag.TRUNCATED;
  const total = (d[p + 2]! << 8) | d[p + 3]!;
  // The IP total length excludes link-layer padding (e.g. Ethernet trailers); a bogus one falls back to caplen.
  const e = total >= ihl && p + total < end ? p + total : end;
  const frag = (d[p + 6]! << 8) | d[p + 7]!;
  let flags = 0;
  if (frag & 0x3fff) {
    flags = PacketFlag.FRAGMENT;
    if (frag & 0x1fff) {
      b.payloadOffset[i] = q;
      b.payloadLen[i] = e - q;
      return flags | PacketFlag.NON_FIRST_FRAGMENT;
    }
  }
  return flags | decodeL4(b, i, d, q, e, proto);
}

function decodeIpv6(b: PacketBatch, i: number, d: Uint8Array, p: number, end: number): number {
  if (p + 40 > end) return PacketFlag.TRUNCATED;
  if (d[p]! >> 4 !== 6) return PacketFlag.UNDECODABLE;
  const w = 4 * i;
  b.ipVersion[i] = 6;
  const src = b.src;
  const dst = b.dst;
  for (let k = 0; k < 4; k++) {
    const s = p + 8 + 4 * k;
    src[w + k] = ((d[s]! << 24) | (d[s + 1]! << 16) | (d[s + 2]! << 8) | d[s + 3]!) >>> 0;
    const t = s + 16;
    dst[w + k] = ((d[t]! << 24) | (d[t + 1]! << 16) | (d[t + 2]! << 8) | d[t + 3]!) >>> 0;
  }
  const plen = (d[p + 4]! << 8) | d[p + 5]!;
  const e = plen > 0 && p + 40 + plen < end ? p + 40 + plen : end;
  let nh = d[p + 6]!;
  let q = p + 40;
  let flags = 0;
  for (let hops = 0; hops < 16; hops++) {
    if (nh === 0 || nh === 43 || nh === 60 || nh === 51 || nh === 44 || nh === 135 || nh === 139 || nh === 140) {
      if (q + 8 > e) {
        b.proto[i] = nh;
        return flags | PacketFlag.TRUNCATED;
      }
      const next = d[q]!;
      if (nh === 44) {
        flags |= PacketFlag.FRAGMENT;
        const fo = ((d[q + 2]! << 8) | d[q + 3]!) & 0xfff8;
        q += 8;
        nh = next;
        if (fo !== 0) {
          b.proto[i] = nh;
          b.payloadOffset[i] = q;
          b.payloadLen[i] = e - q;
          return flags | PacketFlag.NON_FIRST_FRAGMENT;
        }
        continue;
      }
      q += nh === 51 ? (d[q + 1]! + 2) * 4 : (d[q + 1]! + 1) * 8;
      nh = next;
      continue;
    }
    break;
  }
  b.proto[i] = nh;
  if (q > e) return flags | PacketFlag.TRUNCATED;
  return flags | decodeL4(b, i, d, q, e, nh);
}

let transportOffset = -1;

/**
 * Offset (in the batch's bytes) of the transport header of the packet decoded last, or -1 if it had none (non-IP,
 * non-first fragment, truncated network header). For tools that rewrite packets (retime); not a batch column.
 */
export function lastTransportOffset(): number {
  return transportOffset;
}

/** Transport header at [q, e): ports, TCP flags and the payload span. Returns extra flags. */
function decodeL4(b: PacketBatch, i: number, d: Uint8Array, q: number, e: number, proto: number): number {
  transportOffset = q;
  let hdr: number;
  switch (proto) {
    case 6:
      if (q + 20 > e) return partialPorts(b, i, d, q, e);
      b.tcpFlags[i] = d[q + 13]!;
      hdr = (d[q + 12]! >> 4) * 4;
      if (hdr < 20) hdr = 20;
      break;
    case 17:
      if (q + 8 > e) return partialPorts(b, i, d, q, e);
      hdr = 8;
      break;
    case 132:
      if (q + 12 > e) return partialPorts(b, i, d, q, e);
      hdr = 12;
      break;
    case 1:
    case 58:
      if (q + 8 > e) {
        b.payloadOffset[i] = e;
        return PacketFlag.TRUNCATED;
      }
      b.payloadOffset[i] = q + 8;
      b.payloadLen[i] = e - q - 8;
      return 0;
    default:
      b.payloadOffset[i] = q;
      b.payloadLen[i] = e - q;
      return 0;
  }
  b.srcPort[i] = (d[q]! << 8) | d[q + 1]!;
  b.dstPort[i] = (d[q + 2]! << 8) | d[q + 3]!;
  const po = q + hdr;
  if (po > e) {
    b.payloadOffset[i] = e;
    return PacketFlag.TRUNCATED;
  }
  b.payloadOffset[i] = po;
  b.payloadLen[i] = e - po;
  return 0;
}

function partialPorts(b: PacketBatch, i: number, d: Uint8Array, q: number, e: number): number {
  if (q + 4 <= e) {
    b.srcPort[i] = (d[q]! << 8) | d[q + 1]!;
    b.dstPort[i] = (d[q + 2]! << 8) | d[q + 3]!;
  }
  b.payloadOffset[i] = e;
  return PacketFlag.TRUNCATED;
}
