/** Hand-made PacketBatches for the tests of every layer that consumes batches (features, queries, ...). */
import { PacketBatch } from '../../src/capture/index.ts';

export interface Pkt {
  /** IPv4 address as u32 (stored IPv4-mapped, as the capture layer does), or 4 words for IPv6. */
  src: number | readonly number[];
  dst: number | readonly number[];
  /** Default 6 (TCP). */
  proto?: number;
  sport?: number;
  dport?: number;
  /** Wire length (default 100). */
  len?: number;
  /** Captured length (default: the payload's length). */
  capLen?: number;
  /** Offset from the batch start (default: spread evenly over the batch). */
  offNs?: number;
  payload?: Uint8Array;
  /** Default 1 (Ethernet). */
  linkType?: number;
}

/** Writes address `a` (see {@link Pkt.src}) into words 4i..4i+3 of `w`. */
export function setAddress(w: Uint32Array, i: number, a: number | readonly number[]): void {
  if (typeof a === 'number') {
    w[4 * i] = 0;
    w[4 * i + 1] = 0;
    w[4 * i + 2] = 0xffff;
    w[4 * i + 3] = a >>> 0;
  } else {
    for (let k = 0; k < 4; k++) w[4 * i + k] = a[k]! >>> 0;
  }
}

/** Writes packet k of `b` as an IPv4 packet of `len` bytes (captured and on the wire), without payload bytes. */
export function setIPv4Packet(
  b: PacketBatch,
  k: number,
  src: number,
  dst: number,
  proto: number,
  sport: number,
  dport: number,
  len = 60,
): void {
  setAddress(b.src, k, src);
  setAddress(b.dst, k, dst);
  b.ipVersion[k] = 4;
  b.proto[k] = proto;
  b.srcPort[k] = sport;
  b.dstPort[k] = dport;
  b.capLen[k] = len;
  b.wireLen[k] = len;
}

/** A batch starting at `startNs` with the given packets; payloads are copied into the batch's bytes. */
export function makeBatch(pkts: readonly Pkt[], startNs = 0n, durationNs = 1e8): PacketBatch {
  const payloadBytes = pkts.reduce((s, p) => s + (p.payload?.length ?? 0), 0);
  const b = new PacketBatch(Math.max(1, pkts.length), Math.max(16, payloadBytes));
  b.reset(startNs, durationNs);
  let off = 0;
  pkts.forEach((p, i) => {
    setAddress(b.src, i, p.src);
    setAddress(b.dst, i, p.dst);
    b.ipVersion[i] = typeof p.src === 'number' ? 4 : 6;
    b.proto[i] = p.proto ?? 6;
    b.srcPort[i] = p.sport ?? 0;
    b.dstPort[i] = p.dport ?? 0;
    b.wireLen[i] = p.len ?? 100;
    b.offsetNs[i] = p.offNs ?? (i * durationNs) / Math.max(1, pkts.length);
    b.linkType[i] = p.linkType ?? 1;
    const pl = p.payload ?? new Uint8Array(0);
    b.bytes.set(pl, off);
    b.dataOffset[i] = off;
    b.payloadOffset[i] = off;
    b.payloadLen[i] = pl.length;
    b.capLen[i] = p.capLen ?? pl.length;
    off += pl.length;
  });
  b.count = pkts.length;
  b.byteLength = off;
  return b;
}
