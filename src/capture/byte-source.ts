/**
 * Chunked byte input for trace readers: a growable window over the (decompressed) file. Plain files are read
 * with fixed-size reads straight into the window (no per-chunk allocation); gzip files (magic 1f 8b, detected
 * from the bytes, never the name) are streamed through zlib. Memory is bounded by the chunk size plus the
 * largest record, never by the file size.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { CaptureError } from '../errors.ts';

export const DEFAULT_CHUNK_SIZE = 4 << 20;

export class ByteSource {
  /** The window; bytes [pos, end) are unread. */
  buf: Uint8Array;
  pos = 0;
  end = 0;
  /** Offset in the (decompressed) file of buf[0]. */
  base = 0;
  /** True once the underlying input is exhausted. */
  eof = false;
  readonly gzip: boolean;
  /** Two staging buffers for read-ahead (plain files only); the one not being copied is being filled. */
  private readonly stages: Uint8Array[] = [];
  private stageIdx = 0;
  private pending: Promise<{ bytesRead: number; buffer: Uint8Array }> | undefined;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle | undefined,
    private readonly gz: AsyncIterator<Buffer> | undefined,
    private readonly chunkSize: number,
  ) {
    this.gzip = gz !== undefined;
    this.buf = new Uint8Array(Math.max(2 * chunkSize, 1 << 16));
    if (fh) this.stages.push(new Uint8Array(chunkSize), new Uint8Array(chunkSize));
  }

  private readStage(b: Uint8Array): Promise<{ bytesRead: number; buffer: Uint8Array }> {
    const p = this.fh!.read(b, 0, b.length, null);
    p.catch(() => undefined); // an error is reported by the fill() that awaits it
    return p;
  }

  static async open(path: string, chunkSize = DEFAULT_CHUNK_SIZE): Promise<ByteSource> {
    if (!(chunkSize >= 16) || !Number.isInteger(chunkSize)) {
      throw new CaptureError('capture.bad-chunk-size', `chunk size ${chunkSize} must be an integer >= 16`, { file: path });
    }
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new CaptureError('capture.open', `cannot open trace: ${err.code ?? err.message}`, {
        file: path,
        hint: 'Check the path and that the file is readable.',
      });
    }
    const head = new Uint8Array(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    if (bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b) {
      await fh.close();
      const stream = createReadStream(path, { highWaterMark: chunkSize }).pipe(
        createGunzip({ chunkSize: Math.max(64, Math.min(chunkSize, 1 << 20)) }),
      );
      return new ByteSource(path, undefined, stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>, chunkSize);
    }
    return new ByteSource(path, fh, undefined, chunkSize);
  }

  /** Unread bytes in the window. */
  get available(): number {
    return this.end - this.pos;
  }

  /** File offset of the next unread byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  /**
   * Reads at least one more chunk into the window (moving unread bytes to the front first, and growing the
   * window when `want` unread bytes would not fit). Returns false when nothing more could be read (EOF).
   * A truncated or corrupt gzip stream ends the input with a CaptureError whose offset is the decompressed
   * offset reached so far; callers convert it to a warning where appropriate.
   */
  async fill(want = 0): Promise<boolean> {
    if (this.eof) return false;
    const unread = this.end - this.pos;
    if (this.pos > 0) {
      if (unread > 0) this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.pos = 0;
      this.end = unread;
    }
    const need = Math.max(want, unread) + this.chunkSize;
    if (need > this.buf.length) this.growTo(need);
    if (this.fh) {
      // Double buffering: the next chunk is read into a staging buffer while the caller decodes this one.
      const staged = this.pending ?? this.readStage(this.stages[this.stageIdx]!);
      const { bytesRead, buffer } = await staged;
      this.pending = undefined;
      if (bytesRead === 0) {
        this.eof = true;
        return false;
      }
      this.buf.set(buffer.subarray(0, bytesRead), this.end);
      this.end += bytesRead;
      this.stageIdx ^= 1;
      this.pending = this.readStage(this.stages[this.stageIdx]!);
      return true;
    }
    let r: IteratorResult<Buffer>;
    try {
      r = await this.gz!.next();
    } catch (e) {
      this.eof = true;
      throw new CaptureError('capture.gzip', `gzip stream is corrupt or truncated: ${(e as Error).message}`, {
        file: this.path,
        offset: this.base + this.end,
        hint: 'The decompressed data up to this offset was read; re-create or re-download the .gz file.',
      });
    }
    if (r.done) {
      this.eof = true;
      return false;
    }
    const chunk = r.value;
    if (this.end + chunk.length > this.buf.length) this.growTo(this.end + chunk.length);
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
    return true;
  }

  private growTo(n: number): void {
    const b = new Uint8Array(Math.max(n, this.buf.length * 2));
    b.set(this.buf.subarray(0, this.end));
    this.buf = b;
  }

  async close(): Promise<void> {
    if (this.pending) await this.pending.catch(() => undefined);
    this.pending = undefined;
    if (this.fh) await this.fh.close().catch(() => undefined);
    if (this.gz?.return) await this.gz.return(undefined).catch(() => undefined);
    this.eof = true;
  }
}
