/**
 * Seeded hashing of the 13 aggregate keys of a packet into 32-bit values, without objects or strings.
 *
 * Scheme (simple tabulation, Zobrist/Carter-Wegman style, 3-independent): every key field has its own random
 * tables filled from the seeded {@link Rng}: an IPv4 address is hashed byte-wise with 4 tables of 256 u32
 * per role (source, destination), a port with 2 tables per role, the protocol with one table. A key made of
 * several fields hashes to the XOR of its fields' hashes, so a packet costs 13 table look-ups for all 13
 * aggregates. The /24 prefix hash is the address hash without its last byte's term (same tables), so it
 * costs nothing extra. IPv6 (not IPv4-mapped) addresses are hashed word by word with a seeded murmur3-style
 * mix ({@link mix32}); their /48 prefix hashes words 0 and the top half of word 1. Reseeding (new tables) is
 * one {@link reseed} call (~3.6k random draws), done at each measurement interval.
 */
import type { PacketBatch } from '../capture/batch.ts';
import { Rng } from '../random.ts';
import { Agg } from './names.ts';

// The hot loop below writes aggregate i at literal offset i (imported constants can compile to getters).
if (Agg.SRC_DST_NET !== 12 || Agg.FIVE_TUPLE !== 9 || Agg.SRC_NET !== 10) throw new Error('aggregate order changed: update hashPacket');

/** murmur3 fmix32 finaliser: a bijection on u32 with full avalanche. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Table layout in one Uint32Array of 256-entry tables.
const T_SRC = 0; // 4 tables, byte 0 (most significant) .. byte 3
const T_DST = 4;
const T_SPORT = 8; // 2 tables (low byte, high byte)
const T_DPORT = 10;
const T_PROTO = 12;
const TABLES = 13;

export class AggregateHasher {
  private readonly t = new Uint32Array(TABLES * 256);
  /** Seeds of the IPv6 word mix: [src, dst, src net, dst net]. */
  private readonly s6 = new Uint32Array(4);

  constructor(rng: Rng) {
    this.reseed(rng);
  }

  /** Fills fresh random tables (a new, independent hash function for every aggregate). */
  reseed(rng: Rng): void {
    for (let k = 0; k < this.t.length; k++) this.t[k] = rng.nextU32();
    for (let k = 0; k < 4; k++) this.s6[k] = rng.nextU32();
  }

  /**
   * Writes the 13 aggregate hashes of packet `i` into `out[a * stride + o]` for aggregate a (order of
   * names.ts): aggregate-major, so each aggregate's hashes are contiguous.
   */
  hashPacket(b: PacketBatch, i: number, out: Uint32Array, o: number, stride: number): void {
    const t = this.t;
    const a = 4 * i;
    const sw = b.src;
    const dw = b.dst;
    let hs: number, hsn: number, hd: number, hdn: number;
    if ((sw[a]! | sw[a + 1]!) === 0 && sw[a + 2] === 0xffff) {
      const v = sw[a + 3]!;
      hsn = t[(T_SRC << 8) | (v >>> 24)]! ^ t[((T_SRC + 1) << 8) | ((v >>> 16) & 255)]! ^ t[((T_SRC + 2) << 8) | ((v >>> 8) & 255)]!;
      hs = hsn ^ t[((T_SRC + 3) << 8) | (v & 255)]!;
    } else {
      hsn = this.hash6net(sw, a, this.s6[2]!);
      hs = this.hash6(sw, a, this.s6[0]!);
    }
    if ((dw[a]! | dw[a + 1]!) === 0 && dw[a + 2] === 0xffff) {
      const v = dw[a + 3]!;
      hdn = t[(T_DST << 8) | (v >>> 24)]! ^ t[((T_DST + 1) << 8) | ((v >>> 16) & 255)]! ^ t[((T_DST + 2) << 8) | ((v >>> 8) & 255)]!;
      hd = hdn ^ t[((T_DST + 3) << 8) | (v & 255)]!;
    } else {
      hdn = this.hash6net(dw, a, this.s6[3]!);
      hd = this.hash6(dw, a, this.s6[1]!);
    }
    const sp = b.srcPort[i]!;
    const dp = b.dstPort[i]!;
    const hsp = t[(T_SPORT << 8) | (sp & 255)]! ^ t[((T_SPORT + 1) << 8) | (sp >>> 8)]!;
    const hdp = t[(T_DPORT << 8) | (dp & 255)]! ^ t[((T_DPORT + 1) << 8) | (dp >>> 8)]!;
    const hp = t[(T_PROTO << 8) | b.proto[i]!]!;
    out[o] = hs;
    out[o + 1 * stride] = hd;
    out[o + 2 * stride] = hp;
    out[o + 3 * stride] = hs ^ hd;
    out[o + 4 * stride] = hp ^ hsp;
    out[o + 5 * stride] = hp ^ hdp;
    out[o + 6 * stride] = hp ^ hs ^ hsp;
    out[o + 7 * stride] = hp ^ hd ^ hdp;
    out[o + 8 * stride] = hp ^ hsp ^ hdp;
    out[o + 9 * stride] = hp ^ hs ^ hd ^ hsp ^ hdp;
    out[o + 10 * stride] = hsn;
    out[o + 11 * stride] = hdn;
    out[o + 12 * stride] = hsn ^ hdn;
  }

  private hash6(w: Uint32Array, a: number, seed: number): number {
    let h = mix32(w[a]! ^ seed);
    h = mix32(h ^ w[a + 1]!);
    h = mix32(h ^ w[a + 2]!);
    return mix32(h ^ w[a + 3]!);
  }

  private hash6net(w: Uint32Array, a: number, seed: number): number {
    const h = mix32(w[a]! ^ seed);
    return mix32(h ^ (w[a + 1]! & 0xffff0000));
  }
}
