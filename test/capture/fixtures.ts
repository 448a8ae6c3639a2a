/** Byte-level builders for hand-made test traces (frames, classic pcap, pcapng). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tmp = mkdtempSync(join(tmpdir(), 'loadcast-capture-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

export function writeTmp(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const be16 = (v: number): number[] => [(v >> 8) & 255, v & 255];
export const be32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
export const le16 = (v: number): number[] => [v & 255, (v >> 8) & 255];
export const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

export function ip4(a: string): number[] {
  return a.split('.').map(Number);
}

/** A TCP header (20 bytes, or more with options words) followed by payload. */
export function tcp(sport: number, dport: number, flags: number, payload: number[] = [], optWords = 0): number[] {
  const hdr = [...be16(sport), ...be16(dport), ...be32(1), ...be32(0), ((5 + optWords) << 4), flags, ...be16(1024), 0, 0, 0, 0];
  for (let k = 0; k < optWords; k++) hdr.push(1, 1, 1, 1);
  return [...hdr, ...payload];
}

export function udp(sport: number, dport: number, payload: number[] = []): number[] {
  return [...be16(sport), ...be16(dport), ...be16(8 + payload.length), 0, 0, ...payload];
}

/** IPv4 header (with optional options words) + body; `frag` = the 16-bit flags/fragment-offset word. */
export function ipv4(src: string, dst: string, proto: number, body: number[], opts: { frag?: number; optWords?: number } = {}): number[] {
  const ihl = 5 + (opts.optWords ?? 0);
  const h = [0x40 | ihl, 0, ...be16(ihl * 4 + body.length), 0, 1, ...be16(opts.frag ?? 0), 64, proto, 0, 0, ...ip4(src), ...ip4(dst)];
  for (let k = 0; k < (opts.optWords ?? 0); k++) h.push(1, 1, 1, 1);
  let s = 0;
  for (let k = 0; k < h.length; k += 2) s += (h[k]! << 8) | h[k + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  h[10] = c >> 8;
  h[11] = c & 255;
  return [...h, ...body];
}

export function ip6addr(last: number): number[] {
  return [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last];
}

/** IPv6 header + extension headers + body. `ext`: [type, bytes] pairs in order; `nh` is the final protocol. */
export function ipv6(src: number, dst: number, nh: number, body: number[], ext: [number, number[]][] = []): number[] {
  const chain: number[] = [];
  for (let k = 0; k < ext.length; k++) {
    const next = k + 1 < ext.length ? ext[k + 1]![0] : nh;
    const bytes = [...ext[k]![1]];
    bytes[0] = next;
    chain.push(...bytes);
  }
  const first = ext.length ? ext[0]![0] : nh;
  return [0x60, 0, 0, 0, ...be16(chain.length + body.length), first, 64, ...ip6addr(src), ...ip6addr(dst), ...chain, ...body];
}

export function ether(type: number, body: number[], vlans: [number, number][] = []): number[] {
  const h = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
  for (const [tpid, vid] of vlans) h.push(...be16(tpid), ...be16(vid));
  return [...h, ...be16(type), ...body];
}

export interface Pkt {
  sec: number;
  frac: number;
  data: number[];
  wire?: number;
}

/** Classic pcap file; `nano` selects the ns magic, `bigEndian` the byte order. */
export function pcapFile(linkType: number, pkts: Pkt[], opts: { nano?: boolean; bigEndian?: boolean; snaplen?: number } = {}): Uint8Array {
  const w32 = opts.bigEndian ? be32 : le32;
  const w16 = opts.bigEndian ? be16 : le16;
  const parts: number[][] = [[...w32(opts.nano ? 0xa1b23c4d : 0xa1b2c3d4), ...w16(2), ...w16(4), ...w32(0), ...w32(0), ...w32(opts.snaplen ?? 65535), ...w32(linkType)]];
  for (const p of pkts) parts.push([...w32(p.sec), ...w32(p.frac), ...w32(p.data.length), ...w32(p.wire ?? p.data.length), ...p.data]);
  return concat(...parts);
}

/** pcapng blocks (either byte order). */
export class Ng {
  constructor(readonly le = true) {}
  private w32 = (v: number): number[] => (this.le ? le32(v) : be32(v));
  private w16 = (v: number): number[] => (this.le ? le16(v) : be16(v));
  block(type: number, body: number[]): number[] {
    const pad = (4 - (body.length % 4)) % 4;
    const len = 12 + body.length + pad;
    return [...this.w32(type), ...this.w32(len), ...body, ...new Array<number>(pad).fill(0), ...this.w32(len)];
  }
  shb(): number[] {
    return this.block(0x0a0d0d0a, [...this.w32(0x1a2b3c4d), ...this.w16(1), ...this.w16(0), ...this.w32(0xffffffff), ...this.w32(0xffffffff)]);
  }
  idb(linkType: number, opts: { tsresol?: number; tsoffset?: number; snaplen?: number } = {}): number[] {
    const o: number[] = [];
    if (opts.tsresol !== undefined) o.push(...this.w16(9), ...this.w16(1), opts.tsresol, 0, 0, 0);
    if (opts.tsoffset !== undefined) {
      const lo = this.w32(opts.tsoffset >>> 0), hi = this.w32(Math.floor(opts.tsoffset / 4294967296));
      o.push(...this.w16(14), ...this.w16(8), ...(this.le ? [...lo, ...hi] : [...hi, ...lo]));
    }
    if (o.length) o.push(0, 0, 0, 0);
    return this.block(1, [...this.w16(linkType), 0, 0, ...this.w32(opts.snaplen ?? 0), ...o]);
  }
  /** Enhanced packet block; `units` = timestamp in interface units, as a bigint. */
  epb(ifid: number, units: bigint, data: number[], wire = data.length): number[] {
    const hi = Number(units >> 32n), lo = Number(units & 0xffffffffn);
    return this.block(6, [...this.w32(ifid), ...this.w32(hi), ...this.w32(lo), ...this.w32(data.length), ...this.w32(wire), ...data]);
  }
  spb(data: number[]): number[] {
    return this.block(3, [...this.w32(data.length), ...data]);
  }
  pb(ifid: number, units: bigint, data: number[]): number[] {
    const hi = Number(units >> 32n), lo = Number(units & 0xffffffffn);
    return this.block(2, [...this.w16(ifid), ...this.w16(0), ...this.w32(hi), ...this.w32(lo), ...this.w32(data.length), ...this.w32(data.length), ...data]);
  }
}
