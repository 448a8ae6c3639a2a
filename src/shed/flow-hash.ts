/**
 * Seeded simple-tabulation hash over exactly the 5-tuple bytes of a packet (research notes §3; Patrascu and
 * Thorup): h = XOR over key byte positions k of T_k[byte_k], with every table entry a random u32. Simple
 * tabulation is 3-independent, so the share of flows with h <= p x (2^32 - 1) is p in expectation for any set
 * of distinct keys, and every packet of a flow gets the same hash (flow consistency).
 *
 * Key bytes, in order (37 byte positions, one 256-entry table each):
 *   0        IP protocol
 *   1..16    source address, word 0 .. word 3, each word most significant byte first (network order)
 *   17..32   destination address, same layout
 *   33..34   source port (high byte, low byte)
 *   35..36   destination port
 * IPv4 packets (and non-IP packets, whose addresses are zero) hash only the IPv4 word (word 3) of each address:
 * positions 0, 13..16, 29..32, 33..36, i.e. exactly 13 bytes. IPv6 packets hash all 37. Nothing else (no
 * checksum, no TTL, no length) enters the hash: CoMo's bug of hashing a byte of the IP checksum cannot recur.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import type { Rng } from '../random.ts';

/** Number of key byte positions (proto + 16 + 16 + 2 + 2). */
export const FLOW_KEY_BYTES = 37;

/** One flat Uint32Array of 37 x 256 random entries; table k starts at k * 256. */
export type FlowHashTables = Uint32Array;

/** Fresh random tables drawn from `rng` (9,472 draws). */
export function newFlowHashTables(rng: Rng): FlowHashTables {
  const t = new Uint32Array(FLOW_KEY_BYTES * 256);
  for (let k = 0; k < t.length; k++) t[k] = rng.nextU32();
  return t;
}

// Table base offsets of the byte positions used below.
const PROTO = 0;
const SRC_W0 = 1 * 256;
const DST_W0 = 17 * 256;
const SPORT = 33 * 256;
const DPORT = 35 * 256;

/** XOR of the four table entries of a 32-bit word whose first (most significant) byte is at table base `b`. */
function word(t: FlowHashTables, b: number, w: number): number {
  return (
    t[b + (w >>> 24)]! ^
    t[b + 256 + ((w >>> 16) & 255)]! ^
    t[b + 512 + ((w >>> 8) & 255)]! ^
    t[b + 768 + (w & 255)]!
  );
}

/** The 32-bit flow hash of packet i under `tables`. */
export function flowHash(batch: PacketBatch, i: number, tables: FlowHashTables): number {
  const t = tables;
  const src = batch.src;
  const dst = batch.dst;
  const a = 4 * i;
  const sp = batch.srcPort[i]!;
  const dp = batch.dstPort[i]!;
  let h =
    t[PROTO + batch.proto[i]!]! ^
    word(t, SRC_W0 + 3 * 1024, src[a + 3]!) ^
    word(t, DST_W0 + 3 * 1024, dst[a + 3]!) ^
    t[SPORT + (sp >>> 8)]! ^
    t[SPORT + 256 + (sp & 255)]! ^
    t[DPORT + (dp >>> 8)]! ^
    t[DPORT + 256 + (dp & 255)]!;
  if (batch.ipVersion[i] === 6) {
    h ^=
      word(t, SRC_W0, src[a]!) ^
      word(t, SRC_W0 + 1024, src[a + 1]!) ^
      word(t, SRC_W0 + 2048, src[a + 2]!) ^
      word(t, DST_W0, dst[a]!) ^
      word(t, DST_W0 + 1024, dst[a + 1]!) ^
      word(t, DST_W0 + 2048, dst[a + 2]!);
  }
  return h >>> 0;
}

/**
 * Hashes every packet of `sel` (default: every packet of the batch) into `out[i]`, indexed like the batch.
 * Entries of packets outside `sel` are left untouched. `out` must hold at least `batch.count` entries.
 */
export function hashBatch(batch: PacketBatch, tables: FlowHashTables, out: Uint32Array, sel?: Selection): void {
  if (out.length < batch.count) throw new RangeError(`hashBatch: out holds ${out.length} < ${batch.count} entries`);
  if (sel === undefined) {
    for (let i = 0; i < batch.count; i++) out[i] = flowHash(batch, i, tables);
  } else {
    const idx = sel.idx;
    for (let j = 0; j < sel.length; j++) {
      const i = idx[j]!;
      out[i] = flowHash(batch, i, tables);
    }
  }
}
