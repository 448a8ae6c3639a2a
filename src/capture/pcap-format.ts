/**
 * Classic libpcap format: 24-byte file header, then 16-byte record headers followed by the captured bytes.
 * Both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d) magic.
 */
import { CaptureError } from '../errors.ts';
import type { RecordParser, TraceRecord } from './record.ts';
import { MAX_RECORD_CAPLEN } from './record.ts';

export const PCAP_HEADER_LEN = 24;
const REC_HDR = 16;

export class PcapParser implements RecordParser {
  readonly format: 'pcap' | 'pcap-ns';
  readonly littleEndian: boolean;
  readonly snaplen: number;
  readonly linkType: number;
  readonly interfaces: { linkType: number; snaplen: number }[];
  /** Largest caplen accepted as plausible. */
  private readonly capBound: number;
  private readonly fracScale: number;
  private viewOf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(new ArrayBuffer(0));

  constructor(header: Uint8Array, private readonly file: string) {
    const le = header[0] === 0xd4 || header[0] === 0x4d;
    this.littleEndian = le;
    const magic = u32(header, 0, le);
    const nano = magic === 0xa1b23c4d;
    this.format = nano ? 'pcap-ns' : 'pcap';
    this.fracScale = nano ? 1 : 1000;
    this.snaplen = u32(header, 16, le);
    // The upper 16 bits of the link-type field carry FCS information (pcap-linktype(7)); the type is the low 16.
    this.linkType = u32(header, 20, le) & 0xffff;
    this.interfaces = [{ linkType: this.linkType, snaplen: this.snaplen }];
    this.capBound = this.snaplen > MAX_RECORD_CAPLEN && this.snaplen <= 1 << 24 ? this.snaplen : MAX_RECORD_CAPLEN;
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number, rec: TraceRecord): number {
    if (end - pos < REC_HDR) return 0;
    if (buf !== this.viewOf) {
      this.viewOf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const v = this.view;
    const le = this.littleEndian;
    const sec = v.getUint32(pos, le);
    const frac = v.getUint32(pos + 4, le);
    const capLen = v.getUint32(pos + 8, le);
    const wireLen = v.getUint32(pos + 12, le);
    if (capLen > this.capBound || capLen > wireLen) {
      throw new CaptureError(
        'capture.corrupt-record',
        `corrupt pcap record header: captured length ${capLen}, original length ${wireLen} ` +
          `(captured length must be <= ${this.capBound} and <= original length)`,
        { file: this.file, offset: base + pos, hint: 'Use --skip-corrupt to skip to the next plausible record.' },
      );
    }
    const total = REC_HDR + capLen;
    if (end - pos < total) return 0;
    rec.tsSec = sec;
    rec.tsFrac = frac * this.fracScale;
    rec.ifIndex = 0;
    rec.linkType = this.linkType;
    rec.capLen = capLen;
    rec.wireLen = wireLen;
    rec.dataOff = pos + REC_HDR;
    rec.isPacket = true;
    return total;
  }

  /**
   * Resynchronisation after a corrupt header: the first offset after `pos` where a record header is plausible
   * (lengths within bounds, timestamp within a day of the last good one) and, if the bytes are available, the
   * record after it is plausible too. Returns -1 when no candidate exists in the window.
   */
  resync(buf: Uint8Array, pos: number, end: number, lastSec: number, eof: boolean): number {
    for (let p = pos + 1; p + REC_HDR <= end; p++) {
      if (!this.plausibleAt(buf, p, lastSec)) continue;
      // The record after the candidate must be plausible too (or the candidate must end exactly at EOF).
      const next = p + REC_HDR + u32(buf, p + 8, this.littleEndian);
      if (next + REC_HDR <= end) {
        if (!this.plausibleAt(buf, next, lastSec)) continue;
      } else if (!eof) return -2;
      else if (next !== end) continue;
      return p;
    }
    return -1;
  }

  private plausibleAt(buf: Uint8Array, p: number, lastSec: number): boolean {
    const le = this.littleEndian;
    const sec = u32(buf, p, le);
    const frac = u32(buf, p + 4, le);
    const cap = u32(buf, p + 8, le);
    const wire = u32(buf, p + 12, le);
    if (frac >= (this.fracScale === 1 ? 1e9 : 1e6)) return false;
    if (cap === 0 || cap > this.capBound || cap > wire || wire > 1 << 24) return false;
    return lastSec < 0 || Math.abs(sec - lastSec) <= 86400;
  }
}

export function u32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
    : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

export function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
}
