/**
 * Pull-style record reader over a pcap / pcapng / gzip file: `next()` is synchronous and returns the next packet
 * record from the window (or false when the window needs refilling or the file ended); `fill()` is the only
 * await. Handles the format detection (by magic, never by name), truncated last records (warning), corrupt
 * headers (CaptureError, or resynchronisation with skipCorrupt) and wraps every failure in CaptureError.
 */
import { CaptureError, UserError } from '../errors.ts';
import { ByteSource, DEFAULT_CHUNK_SIZE } from './byte-source.ts';
import { PcapParser, PCAP_HEADER_LEN } from './pcap-format.ts';
import { PcapngParser } from './pcapng-format.ts';
import { TraceRecord, emptyTraceStats, type CaptureWarning, type RecordParser, type TraceStats } from './record.ts';

export interface ReadOptions {
  /** Bytes per read (default 4 MiB). */
  chunkSize?: number;
  /** Skip corrupt record headers (resynchronising on the next plausible one) instead of throwing. */
  skipCorrupt?: boolean;
  onWarning?: (w: CaptureWarning) => void;
}

export class TraceReader {
  readonly rec = new TraceRecord();
  readonly stats: TraceStats;
  /** Set when next() returned false: true = the file is done, false = call fill() and try again. */
  done = false;
  private lastSec = -1;
  private maxSec = -Infinity;
  private maxFrac = 0;
  /** Inside a resynchronisation run (one corrupt record, possibly spanning refills). */
  private resyncing = false;
  private runStart = 0;
  private runSkipped = 0;

  private constructor(
    readonly src: ByteSource,
    readonly parser: RecordParser,
    private readonly opts: ReadOptions,
  ) {
    this.stats = emptyTraceStats(src.path, parser.format, src.gzip);
    this.refreshInterfaces();
  }

  /** The window buffer holding the current record's bytes (at rec.dataOff). */
  get buf(): Uint8Array {
    return this.src.buf;
  }

  static async open(path: string, opts: ReadOptions = {}): Promise<TraceReader> {
    const src = await ByteSource.open(path, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
    try {
      while (src.available < PCAP_HEADER_LEN && (await src.fill())) {
        /* read the header */
      }
      const b = src.buf;
      const n = src.available;
      if (n === 0) throw new CaptureError('capture.empty', 'empty file: not a pcap or pcapng file', { file: path });
      const m = n >= 4 ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : -1;
      let parser: RecordParser;
      if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) {
        if (n < PCAP_HEADER_LEN) {
          throw new CaptureError('capture.truncated-header', `pcap file header is truncated (${n} of 24 bytes)`, { file: path, offset: 0 });
        }
        parser = new PcapParser(b.subarray(0, PCAP_HEADER_LEN), path);
        src.pos = PCAP_HEADER_LEN;
      } else if (m === 0x0a0d0d0a) {
        parser = new PcapngParser(path);
      } else {
        const hex = Array.from(b.subarray(0, Math.min(n, 16)), (x) => x.toString(16).padStart(2, '0')).join(' ');
        throw new CaptureError('capture.bad-magic', `not a pcap or pcapng file (first bytes: ${hex})`, {
          file: path,
          offset: 0,
          hint: 'Expected a libpcap (a1b2c3d4 / a1b23c4d, either byte order) or pcapng (0a0d0d0a) magic number, optionally gzip-compressed.',
        });
      }
      return new TraceReader(src, parser, opts);
    } catch (e) {
      await src.close();
      throw asCaptureError(e, path);
    }
  }

  /**
   * Advances to the next packet record. Returns false when the window must be refilled (`done` false: await
   * {@link fill}) or the file is finished (`done` true).
   */
  next(): boolean {
    const src = this.src;
    const rec = this.rec;
    for (;;) {
      if (this.resyncing) {
        if (!this.skip()) {
          if (src.eof && !this.done) this.finish();
          return false;
        }
        continue;
      }
      let n: number;
      try {
        n = this.parser.parse(src.buf, src.pos, src.end, src.base, rec);
      } catch (e) {
        if (!this.opts.skipCorrupt || !(e instanceof CaptureError)) throw e;
        if (!this.skip()) return false;
        continue;
      }
      if (n === 0) {
        if (src.eof) this.finish();
        return false;
      }
      src.pos += n;
      if (!rec.isPacket) {
        this.refreshInterfaces();
        continue;
      }
      const st = this.stats;
      st.packets++;
      st.wireBytes += rec.wireLen;
      st.capturedBytes += rec.capLen;
      const sec = rec.tsSec;
      if (sec < this.maxSec || (sec === this.maxSec && rec.tsFrac < this.maxFrac)) st.reordered++;
      else {
        this.maxSec = sec;
        this.maxFrac = rec.tsFrac;
      }
      this.lastSec = sec;
      return true;
    }
  }

  /** Reads more input; false at the end of the input (then {@link next} reports the remainder). */
  async fill(): Promise<boolean> {
    try {
      return await this.src.fill();
    } catch (e) {
      if (e instanceof CaptureError && e.code === 'capture.gzip') {
        this.warn('truncated-gzip', e.message, e.offset ?? this.src.offset);
        return false;
      }
      throw asCaptureError(e, this.src.path);
    }
  }

  async close(): Promise<void> {
    await this.src.close();
  }

  /**
   * Skips a corrupt header: finds the next plausible record. Returns false when the window must be refilled
   * first (the scan resumes from the same corrupt record after the refill).
   */
  private skip(): boolean {
    const src = this.src;
    const from = src.pos;
    if (!this.resyncing) {
      this.stats.corruptRecords++;
      this.resyncing = true;
      this.runStart = src.base + from;
      this.runSkipped = 0;
    }
    const p = this.parser.resync(src.buf, from, src.end, this.lastSec, src.eof);
    if (p === -2) return false; // a candidate needs more bytes to be verified: refill and rescan
    // No candidate in the window: drop all but the last bytes (which may start a header) and refill.
    const to = p >= 0 ? p : src.eof ? src.end : Math.max(from + 1, src.end - 32);
    this.stats.skippedBytes += to - from;
    src.pos = to;
    if (p >= 0) {
      this.resyncing = false;
      this.warn('skipped-corrupt', `skipped ${this.runSkipped + to - from} bytes after a corrupt record header`, this.runStart);
      this.runSkipped = 0;
      return true;
    }
    this.runSkipped += to - from;
    if (src.eof) {
      this.resyncing = false;
      this.warn('skipped-corrupt', `skipped ${this.runSkipped} bytes after a corrupt record header (to the end of the file)`, this.runStart);
      this.finish();
    }
    return false;
  }

  private finish(): void {
    const src = this.src;
    if (!this.done && src.end > src.pos) {
      this.stats.truncatedRecords++;
      this.warn(
        'truncated-record',
        `file ends inside a record: ${src.end - src.pos} trailing bytes ignored`,
        src.base + src.pos,
      );
      src.pos = src.end;
    }
    this.done = true;
  }

  private warn(code: string, message: string, offset: number): void {
    const w: CaptureWarning = { code, message, file: this.src.path, offset };
    if (this.stats.warnings.length < 100) this.stats.warnings.push(w);
    this.opts.onWarning?.(w);
  }

  private refreshInterfaces(): void {
    const all = this.parser instanceof PcapngParser ? this.parser.allInterfaces : this.parser.interfaces;
    const types = new Set<number>();
    let snap = 0;
    for (const i of all) {
      types.add(i.linkType);
      snap = Math.max(snap, i.snaplen);
    }
    this.stats.linkTypes = [...types].sort((a, b) => a - b);
    this.stats.snaplen = snap;
  }
}

/** Any failure while reading becomes a CaptureError naming the file (nothing else escapes a reader). */
export function asCaptureError(e: unknown, file: string): CaptureError {
  if (e instanceof CaptureError) return e;
  if (e instanceof UserError) return new CaptureError(e.code, e.message, { file, hint: e.hint });
  const err = e as NodeJS.ErrnoException;
  return new CaptureError('capture.read', `cannot read trace: ${err?.code ?? err?.message ?? String(e)}`, { file });
}

/** Drives a reader to completion: `onRecord` for every packet, awaiting only when the window needs refilling. */
export async function pumpRecords(r: TraceReader, onRecord: (r: TraceReader) => void): Promise<void> {
  for (;;) {
    while (r.next()) onRecord(r);
    if (r.done) return;
    if (!(await r.fill())) {
      while (r.next()) onRecord(r);
      return;
    }
  }
}
