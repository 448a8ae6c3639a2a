/**
 * Encoding of the injector's packets as real frames: link header (Ethernet, Linux SLL/SLL2 or none for raw
 * IP), IPv4 header with a correct header checksum, TCP or UDP header with a correct checksum over the IPv4
 * pseudo-header, then the payload. Also converts captured frames from one link type to another so that a
 * real attack capture can be merged into a background of a different link type.
 *
 * One {@link PacketFields} record is reused for every packet: the generators overwrite its fields and
 * {@link encodeFrame} writes into a caller-owned buffer, so no per-packet objects are created.
 */
import { LinkType, locateNetwork, NetKind } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { internetChecksum, ipv4L4Checksum } from './checksum.ts';

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** TCP flag bits. */
export const TcpFlag = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 } as const;

/** Minimum Ethernet frame without FCS; shorter frames are zero-padded, as a NIC would do on the wire. */
const ETHERNET_MIN_FRAME = 60;

/**
 * Locally administered MAC addresses of the two routers the injected traffic appears to cross
 * (02:4c:43 = "LC" with the local bit set): the injected frames are distinguishable from the background
 * at layer 2 but valid.
 */
const SRC_MAC = Uint8Array.of(0x02, 0x4c, 0x43, 0x00, 0x00, 0x01);
const DST_MAC = Uint8Array.of(0x02, 0x4c, 0x43, 0x00, 0x00, 0x02);

/** The header fields of one injected packet; one instance is reused for every packet. */
export class PacketFields {
  /** IPv4 source address as a u32 (a.b.c.d = a << 24 | ...). */
  src = 0;
  dst = 0;
  srcPort = 0;
  dstPort = 0;
  /** {@link IPPROTO_TCP} or {@link IPPROTO_UDP}. */
  proto = IPPROTO_TCP;
  /** TCP flags byte (ignored for UDP). */
  tcpFlags = 0;
  seq = 0;
  ack = 0;
  window = 64240;
  ttl = 64;
  ipId = 0;
  /** Sets the IPv4 Don't Fragment bit. */
  dontFragment = true;
  /** L4 payload length in bytes. */
  payloadLen = 0;
  /** Fill the payload with seeded random bytes (true) or zeros (false). */
  randomPayload = false;
  /** Link-layer source and destination addresses (6 bytes, not copied; default: the injector's two routers). */
  srcMac: Uint8Array = SRC_MAC;
  dstMac: Uint8Array = DST_MAC;
}

/**
 * Seeded random bytes that payloads are copied from (at a random offset per packet): drawing 1460 fresh
 * random bytes per packet cost ~10x the rest of the encoding, and a 64 KiB pool gives ~64k distinct payloads.
 */
export class PayloadPool {
  readonly bytes: Uint8Array;

  constructor(rng: Rng, size = 1 << 16) {
    this.bytes = new Uint8Array(size + 1500);
    for (let i = 0; i < this.bytes.length; i += 4) {
      const r = rng.nextU32();
      this.bytes[i] = r & 0xff;
      this.bytes[i + 1] = (r >>> 8) & 0xff;
      this.bytes[i + 2] = (r >>> 16) & 0xff;
      this.bytes[i + 3] = r >>> 24;
    }
  }
}

/** Length of the link-layer header written for `linkType`. */
export function linkHeaderLength(linkType: number): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      return 14;
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.RAW:
    case LinkType.IPV4:
      return 0;
    case LinkType.LINUX_SLL:
      return 16;
    case LinkType.LINUX_SLL2:
      return 20;
    default:
      throw new UserError(
        'anomaly.unsupported-link-type',
        `cannot inject into a trace with link type ${linkType}`,
        'Supported background link types: Ethernet (1), raw IP (12, 14, 101, 228), Linux cooked SLL (113) and SLL2 (276).',
      );
  }
}

/** Largest frame {@link encodeFrame} can produce for an IPv4 packet of `ipLen` bytes. */
export function maxFrameLength(ipLen: number): number {
  return Math.max(ETHERNET_MIN_FRAME, 20 + ipLen);
}

/**
 * Writes `ethertype`'s link header for `linkType` at `buf[0..)` and returns its length. For SLL/SLL2 the
 * packet type is "sent to us" (0) and the link-layer address is `srcMac`.
 */
function writeLinkHeader(
  buf: Uint8Array,
  linkType: number,
  ethertype: number,
  srcMac: Uint8Array,
  dstMac: Uint8Array,
): number {
  switch (linkType) {
    case LinkType.ETHERNET:
      buf.set(dstMac, 0);
      buf.set(srcMac, 6);
      buf[12] = ethertype >>> 8;
      buf[13] = ethertype & 0xff;
      return 14;
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.RAW:
    case LinkType.IPV4:
      return 0;
    case LinkType.LINUX_SLL:
      buf[0] = 0; // packet type: to us
      buf[1] = 0;
      buf[2] = 0; // ARPHRD_ETHER
      buf[3] = 1;
      buf[4] = 0; // address length 6
      buf[5] = 6;
      buf.set(srcMac, 6);
      buf[12] = 0;
      buf[13] = 0;
      buf[14] = ethertype >>> 8;
      buf[15] = ethertype & 0xff;
      return 16;
    case LinkType.LINUX_SLL2:
      buf[0] = ethertype >>> 8;
      buf[1] = ethertype & 0xff;
      buf[2] = 0; // reserved
      buf[3] = 0;
      buf[4] = 0; // interface index 1
      buf[5] = 0;
      buf[6] = 0;
      buf[7] = 1;
      buf[8] = 0; // ARPHRD_ETHER
      buf[9] = 1;
      buf[10] = 0; // packet type: to us
      buf[11] = 6; // address length
      buf.set(srcMac, 12);
      buf[18] = 0;
      buf[19] = 0;
      return 20;
    default:
      return linkHeaderLength(linkType); // throws
  }
}

function put16(buf: Uint8Array, o: number, v: number): void {
  buf[o] = (v >>> 8) & 0xff;
  buf[o + 1] = v & 0xff;
}

function put32(buf: Uint8Array, o: number, v: number): void {
  buf[o] = (v >>> 24) & 0xff;
  buf[o + 1] = (v >>> 16) & 0xff;
  buf[o + 2] = (v >>> 8) & 0xff;
  buf[o + 3] = v & 0xff;
}

/**
 * Encodes `f` as a frame of `linkType` into `buf` (which must hold {@link maxFrameLength} bytes) and returns
 * the frame length. A random payload is copied from `pool` at an offset drawn from `rng`.
 */
export function encodeFrame(buf: Uint8Array, linkType: number, f: PacketFields, pool: PayloadPool, rng: Rng): number {
  const ip = writeLinkHeader(buf, linkType, 0x0800, f.srcMac, f.dstMac);
  const l4 = ip + 20;
  const l4HeaderLen = f.proto === IPPROTO_TCP ? 20 : 8;
  const payload = l4 + l4HeaderLen;
  const end = payload + f.payloadLen;
  const ipLen = end - ip;

  // IPv4 header (no options).
  buf[ip] = 0x45;
  buf[ip + 1] = 0;
  put16(buf, ip + 2, ipLen);
  put16(buf, ip + 4, f.ipId & 0xffff);
  put16(buf, ip + 6, f.dontFragment ? 0x4000 : 0);
  buf[ip + 8] = f.ttl;
  buf[ip + 9] = f.proto;
  put16(buf, ip + 10, 0);
  put32(buf, ip + 12, f.src);
  put32(buf, ip + 16, f.dst);
  put16(buf, ip + 10, internetChecksum(buf, ip, ip + 20));

  // Payload.
  if (f.randomPayload) {
    const n = f.payloadLen;
    const from = rng.int(pool.bytes.length - n + 1);
    buf.set(pool.bytes.subarray(from, from + n), payload);
  } else {
    buf.fill(0, payload, end);
  }

  // L4 header, checksum computed last over the pseudo-header and the whole segment.
  put16(buf, l4, f.srcPort);
  put16(buf, l4 + 2, f.dstPort);
  if (f.proto === IPPROTO_TCP) {
    put32(buf, l4 + 4, f.seq);
    put32(buf, l4 + 8, f.ack);
    buf[l4 + 12] = 5 << 4;
    buf[l4 + 13] = f.tcpFlags;
    put16(buf, l4 + 14, f.window);
    put16(buf, l4 + 16, 0);
    put16(buf, l4 + 18, 0);
    put16(buf, l4 + 16, ipv4L4Checksum(buf, ip + 12, IPPROTO_TCP, l4, end));
  } else {
    put16(buf, l4 + 4, end - l4);
    put16(buf, l4 + 6, 0);
    const c = ipv4L4Checksum(buf, ip + 12, IPPROTO_UDP, l4, end);
    // RFC 768: a computed checksum of zero is transmitted as all ones (zero means "no checksum").
    put16(buf, l4 + 6, c === 0 ? 0xffff : c);
  }

  if (linkType === LinkType.ETHERNET && end < ETHERNET_MIN_FRAME) {
    buf.fill(0, end, ETHERNET_MIN_FRAME);
    return ETHERNET_MIN_FRAME;
  }
  return end;
}

/**
 * Converts a captured frame from link type `from` to `to` by replacing its link header; returns the new
 * frame's length in `buf`, or -1 when the frame carries no IPv4/IPv6 packet or its link header is truncated (it
 * cannot be expressed in `to`; the caller counts it as skipped). The network layer is found by the capture
 * layer's {@link locateNetwork} (VLAN tags, MPLS and PPPoE are dropped with the old link header). The caller
 * adjusts the original (wire) length by the change in length. Ethernet padding after the IP packet is kept as
 * is (harmless trailing bytes).
 */
export function relinkFrame(frame: Uint8Array, from: number, to: number, buf: Uint8Array): number {
  const loc = locateNetwork(frame, 0, frame.length, from);
  const kind = loc & 7;
  if (kind !== NetKind.IPV4 && kind !== NetKind.IPV6) return -1;
  const off = (loc - kind) / 8;
  const h = writeLinkHeader(buf, to, kind === NetKind.IPV4 ? 0x0800 : 0x86dd, SRC_MAC, DST_MAC);
  buf.set(frame.subarray(off), h);
  return h + frame.length - off;
}
