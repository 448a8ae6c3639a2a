/** Test helpers: build PacketBatch objects by hand, and a few plain-JS reference computations. */
import type { PacketBatch } from '../../src/capture/index.ts';
import { makeBatch, type Pkt } from '../helpers/batch.ts';

export { makeBatch, type Pkt };

/** Plain-string 5-tuple key of packet i (tests only). */
export function tupleKey(b: PacketBatch, i: number): string {
  const s = Array.from(b.src.subarray(4 * i, 4 * i + 4)).join('.');
  const d = Array.from(b.dst.subarray(4 * i, 4 * i + 4)).join('.');
  return `${b.proto[i]}|${s}|${d}|${b.srcPort[i]}|${b.dstPort[i]}`;
}

/** Deterministic small PRNG for building test traffic (not the code under test). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * A synthetic interval: `flows` flows with heavy-tailed sizes (1..~200 packets), spread over `batches` batches.
 */
export function syntheticBatches(flows: number, batches: number, seed: number): PacketBatch[] {
  const r = lcg(seed);
  const per: Pkt[][] = Array.from({ length: batches }, () => []);
  for (let f = 0; f < flows; f++) {
    const n = Math.max(1, Math.floor(1 / (r() * 0.995 + 0.005)));
    const proto = r() < 0.7 ? 6 : 17;
    const src = (0x0a000000 + Math.floor(r() * 65536)) >>> 0;
    const dst = (0xc0a80000 + Math.floor(r() * 4096)) >>> 0;
    const sport = 1024 + Math.floor(r() * 60000);
    const ports = [80, 443, 53, 22, 25, 123, 161, 6881, 9999, 12345];
    const dport = ports[Math.floor(r() * ports.length)]!;
    const len = 40 + Math.floor(r() * 1460);
    for (let k = 0; k < n; k++) {
      per[Math.floor(r() * batches)]!.push({ proto, src, dst, sport, dport, len: len + (k % 7) });
    }
  }
  return per.map((p, j) => makeBatch(p, BigInt(j) * 100_000_000n));
}
