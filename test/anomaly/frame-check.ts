/** Test-only decoder of the injector's frames: returns header fields and whether every checksum verifies. */
import { internetChecksum, ipv4L4Checksum } from '../../src/anomaly/checksum.ts';

export interface DecodedFrame {
  ipOffset: number;
  ipLen: number;
  ipChecksumOk: boolean;
  l4ChecksumOk: boolean;
  proto: number;
  src: number;
  dst: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  payloadLen: number;
}

const u16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

/** Decodes an IPv4 TCP/UDP frame of link type 1, 12/14/101/228, 113 or 276; returns undefined for anything else. */
export function decodeFrame(frame: Uint8Array, linkType: number): DecodedFrame | undefined {
  let ip: number;
  if (linkType === 1) {
    ip = 14;
    while (u16(frame, ip - 2) === 0x8100) ip += 4;
    if (u16(frame, ip - 2) !== 0x0800) return undefined;
  } else if (linkType === 12 || linkType === 14 || linkType === 101 || linkType === 228) ip = 0;
  else if (linkType === 113) {
    if (u16(frame, 14) !== 0x0800) return undefined;
    ip = 16;
  } else if (linkType === 276) {
    if (u16(frame, 0) !== 0x0800) return undefined;
    ip = 20;
  } else return undefined;
  if (frame[ip]! >>> 4 !== 4) return undefined;
  const ihl = (frame[ip]! & 15) * 4;
  const ipLen = u16(frame, ip + 2);
  const proto = frame[ip + 9]!;
  const l4 = ip + ihl;
  const end = ip + ipLen;
  const l4Ok = ipv4L4Checksum(frame, ip + 12, proto, l4, end) === 0;
  return {
    ipOffset: ip,
    ipLen,
    ipChecksumOk: internetChecksum(frame, ip, ip + ihl) === 0,
    l4ChecksumOk: l4Ok,
    proto,
    src: u32(frame, ip + 12),
    dst: u32(frame, ip + 16),
    srcPort: u16(frame, l4),
    dstPort: u16(frame, l4 + 2),
    tcpFlags: proto === 6 ? frame[l4 + 13]! : 0,
    payloadLen: end - l4 - (proto === 6 ? (frame[l4 + 12]! >>> 4) * 4 : 8),
  };
}
