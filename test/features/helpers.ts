/** Builders of hand-made PacketBatches for the feature tests (on the shared builders of test/helpers/batch.ts). */
import type { PacketBatch, Selection } from '../../src/capture/index.ts';
import type { Rng } from '../../src/random.ts';
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

/** A packet sample (rate p) or a "flow" sample (by the source address's low bits), ascending indices. */
export function sample(b: PacketBatch, rng: Rng, p: number, byFlow: boolean): Selection {
  const idx = new Uint32Array(Math.max(1, b.count));
  let m = 0;
  const salt = rng.nextU32();
  for (let i = 0; i < b.count; i++) {
    const keep = byFlow ? (Math.imul(b.src[4 * i + 3]! ^ salt, 0x9e3779b1) >>> 0) / 2 ** 32 < p : rng.next() < p;
    if (keep) idx[m++] = i;
  }
  return { idx, length: m };
}
