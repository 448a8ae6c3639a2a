/** Builders of hand-made PacketBatches for the feature tests. */
import { PacketBatch } from '../../src/capture/batch.ts';

export interface Pkt {
  /** IPv4 as u32, or IPv6 as 4 words. */
  src: number | readonly number[];
  dst: number | readonly number[];
  proto?: number;
  sport?: number;
  dport?: number;
  capLen?: number;
}

/** A batch starting at `startNs` with the given packets. */
export function makeBatch(startNs: bigint, pkts: readonly Pkt[], durationNs = 1e8): PacketBatch {
  const b = new PacketBatch(Math.max(1, pkts.length), 16);
  b.reset(startNs, durationNs);
  pkts.forEach((p, i) => {
    setAddr(b.src, i, p.src);
    setAddr(b.dst, i, p.dst);
    b.ipVersion[i] = typeof p.src === 'number' ? 4 : 6;
    b.proto[i] = p.proto ?? 6;
    b.srcPort[i] = p.sport ?? 0;
    b.dstPort[i] = p.dport ?? 0;
    b.capLen[i] = p.capLen ?? 60;
    b.wireLen[i] = p.capLen ?? 60;
  });
  b.count = pkts.length;
  return b;
}

function setAddr(w: Uint32Array, i: number, a: number | readonly number[]): void {
  if (typeof a === 'number') {
    w[4 * i] = 0;
    w[4 * i + 1] = 0;
    w[4 * i + 2] = 0xffff;
    w[4 * i + 3] = a >>> 0;
  } else {
    for (let k = 0; k < 4; k++) w[4 * i + k] = a[k]! >>> 0;
  }
}

/**
 * Fills `b` (reused) with `n` IPv4 TCP packets whose source is `srcBase + k` (k = 0..n-1, optionally
 * scrambled by a multiplier so addresses are not sequential), fixed destination and ports from `portOf`.
 */
export function fillFlood(b: PacketBatch, startNs: bigint, n: number, srcBase: number, mult = 1): void {
  b.ensureCapacity(n, 16);
  b.reset(startNs, 1e8);
  for (let k = 0; k < n; k++) {
    b.src[4 * k] = 0;
    b.src[4 * k + 1] = 0;
    b.src[4 * k + 2] = 0xffff;
    b.src[4 * k + 3] = Math.imul(srcBase + k, mult) >>> 0;
    b.dst[4 * k] = 0;
    b.dst[4 * k + 1] = 0;
    b.dst[4 * k + 2] = 0xffff;
    b.dst[4 * k + 3] = 0x0a000001;
    b.ipVersion[k] = 4;
    b.proto[k] = 6;
    b.srcPort[k] = (srcBase + k) & 0xffff;
    b.dstPort[k] = 80;
    b.capLen[k] = 60;
  }
  b.count = n;
}
