/**
 * Streaming classic-pcap writer (little-endian, microsecond or nanosecond magic), optionally gzip-compressed.
 * Records are buffered and flushed synchronously in 1 MiB blocks, so memory stays bounded whatever the output
 * size. A gzip output is a sequence of gzip members (one per flushed block), which gzip/zlib readers (and this
 * package's reader) treat as one stream.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { CaptureError } from '../errors.ts';

const FLUSH_AT = 1 << 20;

export interface PcapWriterOptions {
  linkType: number;
  /** Snaplen written in the header (default 262144); longer packets are cut to it. */
  snaplen?: number;
  /** Nanosecond timestamps (magic a1b23c4d); default microseconds. */
  nanosecond?: boolean;
  gzip?: boolean;
}

export class PcapWriter {
  private buf = new Uint8Array(FLUSH_AT + 65536);
  private view = new DataView(this.buf.buffer);
  private len = 0;
  private closed = false;
  /** Packets written so far. */
  packets = 0;

  private constructor(
    readonly path: string,
    private fd: number,
    private readonly opts: Required<PcapWriterOptions>,
  ) {}

  static async open(path: string, opts: PcapWriterOptions): Promise<PcapWriter> {
    const full: Required<PcapWriterOptions> = {
      linkType: opts.linkType,
      snaplen: opts.snaplen ?? 262144,
      nanosecond: opts.nanosecond ?? false,
      gzip: opts.gzip ?? false,
    };
    if (!Number.isInteger(full.linkType) || full.linkType < 0 || full.linkType > 0xffff) {
      throw new CaptureError('capture.bad-linktype', `link type ${opts.linkType} is not a 16-bit pcap LINKTYPE number`, { file: path });
    }
    if (!Number.isInteger(full.snaplen) || full.snaplen < 1) {
      throw new CaptureError('capture.bad-snaplen', `snaplen ${opts.snaplen} must be a positive integer`, { file: path });
    }
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new CaptureError('capture.write', `cannot create output: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        file: path,
        hint: 'Check that the directory exists and is writable.',
      });
    }
    const w = new PcapWriter(path, fd, full);
    const v = w.view;
    v.setUint32(0, full.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true);
    v.setUint32(12, 0, true);
    v.setUint32(16, full.snaplen, true);
    v.setUint32(20, full.linkType, true);
    w.len = 24;
    return w;
  }

  /** Appends one record; `wireLen` defaults to the data length. Timestamps before 1970 or after 2106 are errors. */
  write(tsNs: bigint, data: Uint8Array, wireLen = data.length): void {
    if (this.closed) throw new CaptureError('capture.write', 'write after close', { file: this.path });
    const cap = Math.min(data.length, this.opts.snaplen);
    if (this.len + 16 + cap > this.buf.length) {
      this.flush();
      if (16 + cap > this.buf.length) this.grow(16 + cap);
    }
    const sec = tsNs / 1_000_000_000n;
    if (tsNs < 0n || sec > 0xffffffffn) {
      throw new CaptureError('capture.write', `timestamp ${tsNs} ns (packet ${this.packets + 1}) is outside the range of classic pcap (1970-2106)`, {
        file: this.path,
        hint: 'Move the trace into range first (loadcast trace retime --start), or check the start time given.',
      });
    }
    const fracNs = Number(tsNs - sec * 1_000_000_000n);
    const v = this.view;
    const p = this.len;
    v.setUint32(p, Number(sec), true);
    v.setUint32(p + 4, this.opts.nanosecond ? fracNs : Math.floor(fracNs / 1000), true);
    v.setUint32(p + 8, cap, true);
    v.setUint32(p + 12, Math.max(wireLen, cap), true);
    this.buf.set(cap === data.length ? data : data.subarray(0, cap), p + 16);
    this.len = p + 16 + cap;
    this.packets++;
    if (this.len >= FLUSH_AT) this.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.len === 0) return;
    const data = this.opts.gzip ? gzipSync(this.buf.subarray(0, this.len)) : this.buf.subarray(0, this.len);
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    } catch (e) {
      throw new CaptureError('capture.write', `cannot write output: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        file: this.path,
      });
    }
    this.len = 0;
  }

  private grow(n: number): void {
    this.buf = new Uint8Array(n);
    this.view = new DataView(this.buf.buffer);
  }
}
