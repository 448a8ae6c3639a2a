/**
 * pcapng: Section Header (either byte order, several sections), Interface Description (link type, snaplen,
 * if_tsresol incl. power-of-2 resolutions, if_tsoffset), Enhanced Packet, Simple Packet and the obsolete
 * Packet block. Every other block type is skipped by its length.
 */
import { CaptureError } from '../errors.ts';
import type { RecordParser, TraceRecord } from './record.ts';
import { MAX_RECORD_CAPLEN } from './record.ts';
import { u16, u32 } from './pcap-format.ts';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const PB = 2;
const SPB = 3;
const EPB = 6;
const BOM = 0x1a2b3c4d;
/** Blocks longer than this are treated as corrupt (a packet block holds at most MAX_RECORD_CAPLEN bytes). */
const MAX_BLOCK = 1 << 24;

interface Iface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (10^k or 2^k). */
  unitsPerSec: number;
  /** ns per unit when integral (decimal resolutions up to 1 ns), else 0. */
  nsPerUnit: number;
  /** units per ns when integral (decimal resolutions finer than 1 ns), else 0. */
  unitsPerNs: number;
  offsetSec: number;
}

export class PcapngParser implements RecordParser {
  readonly format = 'pcapng';
  interfaces: Iface[] = [];
  /** Every interface of every section, for reporting. */
  readonly allInterfaces: { linkType: number; snaplen: number }[] = [];
  private le = true;
  private lastSec = 0;
  private lastFrac = 0;

  constructor(private readonly file: string) {}

  parse(buf: Uint8Array, pos: number, end: number, base: number, rec: TraceRecord): number {
    if (end - pos < 12) return 0;
    let type = u32(buf, pos, this.le);
    if (type === SHB) {
      const bom = u32(buf, pos + 8, true);
      if (bom === BOM) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else this.corrupt(`bad byte-order magic 0x${bom.toString(16)} in section header`, base + pos);
    }
    const le = this.le;
    if (type !== SHB) type = u32(buf, pos, le);
    const len = u32(buf, pos + 4, le);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) {
      this.corrupt(`block type 0x${type.toString(16)} has impossible length ${len}`, base + pos);
    }
    if (end - pos < len) return 0;
    if (u32(buf, pos + len - 4, le) !== len) {
      this.corrupt(`block type 0x${type.toString(16)}: trailing length does not match leading length ${len}`, base + pos);
    }
    rec.isPacket = false;
    switch (type) {
      case SHB:
        this.interfaces = [];
        break;
      case IDB:
        this.readIdb(buf, pos, len, base);
        break;
      case EPB:
      case PB: {
        if (len < 32) this.corrupt(`packet block of length ${len} is too short`, base + pos);
        const ifIndex = type === EPB ? u32(buf, pos + 8, le) : u16(buf, pos + 8, le);
        const capLen = u32(buf, pos + 20, le);
        const wireLen = u32(buf, pos + 24, le);
        const iface = this.interfaces[ifIndex];
        if (!iface) this.corrupt(`packet block names interface ${ifIndex} but only ${this.interfaces.length} are described`, base + pos);
        if (capLen > len - 32 || capLen > MAX_RECORD_CAPLEN) {
          this.corrupt(`packet block captured length ${capLen} does not fit its block length ${len}`, base + pos);
        }
        this.setTime(iface!, u32(buf, pos + 12, le), u32(buf, pos + 16, le), rec);
        rec.ifIndex = ifIndex;
        rec.linkType = iface!.linkType;
        rec.capLen = capLen;
        rec.wireLen = Math.max(wireLen, capLen);
        rec.dataOff = pos + 28;
        rec.isPacket = true;
        break;
      }
      case SPB: {
        if (len < 16) this.corrupt(`simple packet block of length ${len} is too short`, base + pos);
        const iface = this.interfaces[0];
        if (!iface) this.corrupt('simple packet block before any interface description', base + pos);
        const wireLen = u32(buf, pos + 8, le);
        let capLen = Math.min(wireLen, len - 16);
        if (iface!.snaplen > 0) capLen = Math.min(capLen, iface!.snaplen);
        // A simple packet block has no timestamp: it inherits the previous packet's time.
        rec.tsSec = this.lastSec;
        rec.tsFrac = this.lastFrac;
        rec.ifIndex = 0;
        rec.linkType = iface!.linkType;
        rec.capLen = capLen;
        rec.wireLen = wireLen;
        rec.dataOff = pos + 12;
        rec.isPacket = true;
        break;
      }
      default:
        break; // unknown or uninteresting block: skipped by its length
    }
    return len;
  }

  resync(buf: Uint8Array, pos: number, end: number, _lastSec: number, eof: boolean): number {
    const le = this.le;
    for (let p = pos + 4; p + 12 <= end; p += 4) {
      const t = u32(buf, p, le);
      if (t !== EPB && t !== SPB && t !== PB && t !== IDB && t !== SHB && t !== 5) continue;
      const len = u32(buf, p + 4, le);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) continue;
      if ((t === EPB || t === PB || t === SPB) && len > MAX_RECORD_CAPLEN + 65536) continue;
      if (p + len > end) {
        if (!eof) return -2;
        continue;
      }
      if (u32(buf, p + len - 4, le) !== len) continue;
      if (t === EPB && (u32(buf, p + 8, le) >= Math.max(1, this.interfaces.length) || len < 32)) continue;
      return p;
    }
    return -1;
  }

  private readIdb(buf: Uint8Array, pos: number, len: number, base: number): void {
    const le = this.le;
    if (len < 20) this.corrupt(`interface description block of length ${len} is too short`, base + pos);
    const iface: Iface = {
      linkType: u16(buf, pos + 8, le),
      snaplen: u32(buf, pos + 12, le),
      unitsPerSec: 1e6,
      nsPerUnit: 1000,
      unitsPerNs: 0,
      offsetSec: 0,
    };
    let p = pos + 16;
    const stop = pos + len - 4;
    while (p + 4 <= stop) {
      const code = u16(buf, p, le);
      const olen = u16(buf, p + 2, le);
      if (code === 0) break;
      if (p + 4 + olen > stop) break; // malformed options: keep what was read
      if (code === 9 && olen >= 1) {
        const v = buf[p + 4]!;
        const exp = v & 0x7f;
        if (v & 0x80) {
          iface.unitsPerSec = 2 ** exp;
          iface.nsPerUnit = 0;
          iface.unitsPerNs = 0;
        } else if (exp <= 9) {
          iface.unitsPerSec = 10 ** exp;
          iface.nsPerUnit = 10 ** (9 - exp);
          iface.unitsPerNs = 0;
        } else {
          iface.unitsPerSec = 10 ** exp;
          iface.nsPerUnit = 0;
          iface.unitsPerNs = 10 ** (exp - 9);
        }
      } else if (code === 14 && olen >= 8) {
        const lo = u32(buf, p + 4 + (le ? 0 : 4), le);
        const hi = u32(buf, p + 4 + (le ? 4 : 0), le) | 0; // signed
        iface.offsetSec = hi * 4294967296 + lo;
      }
      p += 4 + ((olen + 3) & ~3);
    }
    this.interfaces.push(iface);
    this.allInterfaces.push({ linkType: iface.linkType, snaplen: iface.snaplen });
  }

  /** Splits the 64-bit unit count hi:lo into seconds and ns without BigInt (exact for the usual resolutions). */
  private setTime(iface: Iface, hi: number, lo: number, rec: TraceRecord): void {
    const d = iface.unitsPerSec;
    let sec: number, rem: number;
    if (hi < 0x200000) {
      const units = hi * 4294967296 + lo; // < 2^53: exact
      sec = Math.floor(units / d);
      rem = units - sec * d;
    } else if (d <= 4294967296) {
      // Long division in 16-bit limbs: the remainder stays < d <= 2^32, so every step is exact.
      let r = 0;
      let cur = hi >>> 16;
      const q3 = Math.floor(cur / d);
      r = cur - q3 * d;
      cur = r * 65536 + (hi & 0xffff);
      const q2 = Math.floor(cur / d);
      r = cur - q2 * d;
      cur = r * 65536 + (lo >>> 16);
      const q1 = Math.floor(cur / d);
      r = cur - q1 * d;
      cur = r * 65536 + (lo & 0xffff);
      const q0 = Math.floor(cur / d);
      r = cur - q0 * d;
      const q = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0;
      sec = q;
      rem = r;
    } else {
      const units = (BigInt(hi) << 32n) | BigInt(lo);
      const D = BigInt(d);
      sec = Number(units / D);
      rem = Number(units % D);
    }
    let frac: number;
    if (iface.nsPerUnit > 0) frac = rem * iface.nsPerUnit;
    else if (iface.unitsPerNs > 0) frac = Math.floor(rem / iface.unitsPerNs);
    else frac = Math.min(999999999, Math.floor((rem / d) * 1e9)); // power-of-2 resolution: rounded down to 1 ns
    rec.tsSec = sec + iface.offsetSec;
    rec.tsFrac = frac;
    this.lastSec = rec.tsSec;
    this.lastFrac = frac;
  }

  private corrupt(what: string, offset: number): never {
    throw new CaptureError('capture.corrupt-record', `corrupt pcapng: ${what}`, {
      file: this.file,
      offset,
      hint: 'Use --skip-corrupt to skip to the next plausible block.',
    });
  }
}
