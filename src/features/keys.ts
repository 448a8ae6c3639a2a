/**
 * Exact aggregate keys as u32 words (used by the exact counter, never on the estimator's hot path), and the
 * network-prefix rule shared with the hashes.
 */
import type { PacketBatch } from '../capture/index.ts';
import { Agg, AGGREGATE_COUNT } from './names.ts';

/** Words per key of each aggregate (index = aggregate). */
export const KEY_WIDTH: readonly number[] = [4, 4, 1, 8, 1, 1, 5, 5, 2, 10, 4, 4, 8];
export const MAX_KEY_WIDTH = 10;
if (KEY_WIDTH.length !== AGGREGATE_COUNT) throw new Error('key table out of sync');

/** True when the 4 address words at `o` are IPv4-mapped (`::ffff:a.b.c.d`). */
export function isV4Mapped(w: Uint32Array, o: number): boolean {
  return (w[o]! | w[o + 1]!) === 0 && w[o + 2] === 0xffff;
}

/**
 * Writes the network prefix of the address at `w[o..o+3]` into `out[p..p+3]`: an IPv4-mapped address keeps
 * its /24 (`a.b.c.0`), any other (IPv6) address keeps its /48 (words 0 and the high half of word 1; the rest
 * zero). The two families cannot collide: a mapped prefix has word 2 = 0xffff, a /48 has word 2 = 0.
 */
export function netMask(w: Uint32Array, o: number, out: Uint32Array, p: number): void {
  if (isV4Mapped(w, o)) {
    out[p] = 0;
    out[p + 1] = 0;
    out[p + 2] = 0xffff;
    out[p + 3] = w[o + 3]! & 0xffffff00;
  } else {
    out[p] = w[o]!;
    out[p + 1] = w[o + 1]! & 0xffff0000;
    out[p + 2] = 0;
    out[p + 3] = 0;
  }
}

function copy4(w: Uint32Array, o: number, out: Uint32Array, p: number): void {
  out[p] = w[o]!;
  out[p + 1] = w[o + 1]!;
  out[p + 2] = w[o + 2]!;
  out[p + 3] = w[o + 3]!;
}

/** Writes the key of aggregate `agg` for packet `i` into `out` (from 0); returns its width in words. */
export function writeKey(b: PacketBatch, i: number, agg: number, out: Uint32Array): number {
  const o = 4 * i;
  const proto = b.proto[i]!;
  const sp = b.srcPort[i]!;
  const dp = b.dstPort[i]!;
  switch (agg) {
    case Agg.SRC_IP:
      copy4(b.src, o, out, 0);
      break;
    case Agg.DST_IP:
      copy4(b.dst, o, out, 0);
      break;
    case Agg.PROTO:
      out[0] = proto;
      break;
    case Agg.SRC_DST_IP:
      copy4(b.src, o, out, 0);
      copy4(b.dst, o, out, 4);
      break;
    case Agg.PROTO_SRC_PORT:
      out[0] = ((proto << 16) | sp) >>> 0;
      break;
    case Agg.PROTO_DST_PORT:
      out[0] = ((proto << 16) | dp) >>> 0;
      break;
    case Agg.PROTO_SRC_IP_SRC_PORT:
      copy4(b.src, o, out, 0);
      out[4] = ((proto << 16) | sp) >>> 0;
      break;
    case Agg.PROTO_DST_IP_DST_PORT:
      copy4(b.dst, o, out, 0);
      out[4] = ((proto << 16) | dp) >>> 0;
      break;
    case Agg.PROTO_SRC_PORT_DST_PORT:
      out[0] = proto;
      out[1] = ((sp << 16) | dp) >>> 0;
      break;
    case Agg.FIVE_TUPLE:
      copy4(b.src, o, out, 0);
      copy4(b.dst, o, out, 4);
      out[8] = proto;
      out[9] = ((sp << 16) | dp) >>> 0;
      break;
    case Agg.SRC_NET:
      netMask(b.src, o, out, 0);
      break;
    case Agg.DST_NET:
      netMask(b.dst, o, out, 0);
      break;
    case Agg.SRC_DST_NET:
      netMask(b.src, o, out, 0);
      netMask(b.dst, o, out, 4);
      break;
    default:
      throw new RangeError(`aggregate ${agg} out of range`);
  }
  return KEY_WIDTH[agg]!;
}
