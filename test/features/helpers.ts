/** Builders of hand-made PacketBatches for the feature tests (on the shared builders of test/helpers/batch.ts). */
import type { PacketBatch } from '../../src/capture/index.ts';
import { makeBatch as makeAnyBatch, setIPv4Packet, type Pkt } from '../helpers/batch.ts';

export type { Pkt };

/**
 * A batch starting at `startNs` with the given packets; a packet's captured and wire length are its `capLen`
 * (default 60, a minimum Ethernet frame): the features count captured bytes.
 */
export function makeBatch(startNs: bigint, pkts: readonly Pkt[], durationNs = 1e8): PacketBatch {
  return makeAnyBatch(pkts.map((p) => ({ ...p, len: p.capLen ?? 60, capLen: p.capLen ?? 60 })), startNs, durationNs);
}

/**
 * Fills `b` (reused) with `n` IPv4 TCP packets whose source is `srcBase + k` (k = 0..n-1, optionally
 * scrambled by a multiplier so addresses are not sequential), fixed destination 10.0.0.1:80 and source port
 * `srcBase + k` (mod 2^16).
 */
export function fillFlood(b: PacketBatch, startNs: bigint, n: number, srcBase: number, mult = 1): void {
  b.ensureCapacity(n, 16);
  b.reset(startNs, 1e8);
  for (let k = 0; k < n; k++) setIPv4Packet(b, k, Math.imul(srcBase + k, mult) >>> 0, 0x0a000001, 6, (srcBase + k) & 0xffff, 80);
  b.count = n;
}
