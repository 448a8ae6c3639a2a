/**
 * Reads a trace into fixed time bins of the trace clock (PacketBatch, default 100 ms).
 *
 * Binning rule: bin k covers [t0 + k*bin, t0 + (k+1)*bin) where t0 is the first packet's time floored to a
 * multiple of the bin width (ns since the epoch). Bins without packets are emitted (count 0). A packet earlier
 * than one read before it goes into the current batch (negative offset allowed) and is counted in `reordered`.
 *
 * Gap rule: when a packet lies more than `maxGapNs` (default 60 s) past the end of the current bin, or more than
 * `maxGapNs` before its start, the empty bins across that gap are not emitted: the current batch is closed and a
 * new bin grid starts at the packet (its time floored to the bin width), and the new batch has `gapsSkipped` = 1
 * (totals in {@link BatchStats.gapsSkipped}). So a trace that jumps 184 million seconds yields two runs of bins,
 * not billions of empty ones. Pass `maxGapNs: Infinity` to always emit every empty bin.
 *
 * No BigInt per packet: times are kept as (seconds, ns) and offsets relative to a per-run base second.
 */
import { CaptureError } from '../errors.ts';
import { PacketBatch } from './batch.ts';
import { decodePacket } from './decode.ts';
import { emptyTraceStats, type CaptureWarning, type TraceStats } from './record.ts';
import { TraceReader, asCaptureError } from './trace-reader.ts';

export interface BatchOptions {
  /** Bin width in ns (default 1e8 = 100 ms). */
  binNs?: number;
  /** Bytes per read (default 4 MiB). */
  chunkSize?: number;
  skipCorrupt?: boolean;
  /** Longest run of time without packets whose empty bins are still emitted (default 60 s). */
  maxGapNs?: number;
  onWarning?: (w: CaptureWarning) => void;
}

export interface BatchStats extends TraceStats {
  batches: number;
  emptyBatches: number;
  gapsSkipped: number;
}

export const DEFAULT_BIN_NS = 1e8;
export const DEFAULT_MAX_GAP_NS = 60e9;
/** Offsets are rebased once a run's bin start passes this many ns from its base second (keeps them exact). */
const REBASE_NS = 2 ** 50;
/** A single batch larger than this is refused (memory must not grow with the file size). */
const MAX_BATCH_PACKETS = 1 << 24;
const MAX_BATCH_BYTES = 1 << 30;

/** Streams the batches of a trace; the yielded batch is reused and valid until the next iteration. */
export function readBatches(path: string, opts: BatchOptions = {}): BatchStream {
  return new BatchStream(path, opts);
}

export class BatchStream implements AsyncIterable<PacketBatch> {
  /** Filled while iterating; complete once the iteration ended. */
  stats: BatchStats;

  constructor(
    readonly path: string,
    private readonly opts: BatchOptions = {},
  ) {
    const bin = opts.binNs ?? DEFAULT_BIN_NS;
    if (!Number.isInteger(bin) || bin < 1 || bin > 1e15) {
      throw new CaptureError('capture.bad-bin', `bin width ${bin} ns must be an integer between 1 ns and 1e15 ns`);
    }
    const gap = opts.maxGapNs ?? DEFAULT_MAX_GAP_NS;
    if (!(gap >= 0)) throw new CaptureError('capture.bad-max-gap', `maxGapNs ${gap} must be >= 0`);
    this.stats = emptyStats(path);
  }

  private reader: TraceReader | undefined;

  /** Offset reached in the (decompressed) input, for progress reporting. */
  get bytesRead(): number {
    return this.reader ? this.reader.src.offset : 0;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PacketBatch> {
    let r: TraceReader | undefined;
    this.stats = emptyStats(this.path); // each iteration reads the file afresh
    try {
      r = await TraceReader.open(this.path, this.opts);
      this.reader = r;
      yield* this.run(r);
    } catch (e) {
      throw asCaptureError(e, this.path);
    } finally {
      if (r) {
        Object.assign(this.stats, r.stats);
        await r.close();
      }
    }
  }

  private async *run(r: TraceReader): AsyncGenerator<PacketBatch> {
    const binner = new Binner(r, this.stats, this.path, this.opts.binNs ?? DEFAULT_BIN_NS, this.opts.maxGapNs ?? DEFAULT_MAX_GAP_NS);
    let ended = false;
    for (;;) {
      while (binner.step() === EMIT) yield this.counted(binner.batch);
      if (r.done || ended) break;
      // At EOF the loop above runs once more to report the remainder.
      if (!(await r.fill())) ended = true;
    }
    if (binner.started) yield this.counted(binner.batch);
  }

  /** Counts `batch` in the statistics as it is handed out. */
  private counted(batch: PacketBatch): PacketBatch {
    this.stats.batches++;
    if (batch.count === 0) this.stats.emptyBatches++;
    return batch;
  }
}

/** {@link Binner.step} results: the batch is complete (hand it out, then step again), or the window needs input. */
const EMIT = 0;
const NEED_INPUT = 1;

/**
 * The binning state machine behind {@link BatchStream}: synchronous, so that the per-packet loop runs outside
 * the async generator. In a generator, locals that live across a `yield` sit in its context, and every double
 * stored there (the packet's offset, ~1e9-1e11 ns) is a new heap number: ~9 bytes of garbage per packet,
 * which kept the monitor's young generation churning and triggered collections in its measured batches.
 * Here the state is in fields (stored unboxed) and the offsets in locals.
 */
class Binner {
  readonly batch = new PacketBatch(1024, 1 << 18);
  started = false;
  private baseSec = 0; // run base: whole seconds since the epoch
  private binStart = 0; // current bin start, ns after baseSec (exact integer)
  private seenReordered = 0;
  private gapPending = 0;
  /** The reader's current record is a packet not yet appended (it closed the previous bin). */
  private pending = false;
  /** The last EMIT closed the current bin: advance to the next one before going on. */
  private advance = false;
  private fromBuf: Uint8Array;
  private fromView: DataView;
  private toBuf: Uint8Array;
  private toView: DataView;

  constructor(
    private readonly r: TraceReader,
    private readonly st: BatchStats,
    private readonly path: string,
    private readonly binNs: number,
    private readonly maxGap: number,
  ) {
    this.fromBuf = r.buf;
    this.fromView = new DataView(this.fromBuf.buffer, this.fromBuf.byteOffset, this.fromBuf.byteLength);
    this.toBuf = this.batch.bytes;
    this.toView = new DataView(this.toBuf.buffer, this.toBuf.byteOffset, this.toBuf.byteLength);
  }

  /** Appends packets until the current bin is complete (EMIT: `batch` is ready) or the reader needs input. */
  step(): number {
    const r = this.r;
    const rec = r.rec;
    const binNs = this.binNs;
    const maxGap = this.maxGap;
    const batch = this.batch;
    if (this.advance) {
      this.advance = false;
      this.binStart += binNs;
      if (this.binStart >= REBASE_NS) {
        const shift = Math.floor(this.binStart / 1e9);
        this.baseSec += shift;
        this.binStart -= shift * 1e9;
      }
      batch.reset(BigInt(this.baseSec) * 1_000_000_000n + BigInt(this.binStart), binNs);
    }
    for (;;) {
      if (!this.pending) {
        if (!r.next()) return NEED_INPUT;
        this.pending = true;
      }
      const rel = (rec.tsSec - this.baseSec) * 1e9 + rec.tsFrac;
      const binStart = this.binStart;
      if (!this.started || rel - binStart - binNs > maxGap || binStart - rel > maxGap) {
        if (this.started) {
          // A gap: hand out the current batch; the packet starts a new bin grid on the next step.
          this.st.gapsSkipped++;
          this.gapPending = 1;
          this.started = false;
          return EMIT;
        }
        this.started = true;
        // New bin grid at this packet (BigInt only here, once per run).
        const bin = BigInt(binNs);
        const abs = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsFrac);
        const t0 = abs - (((abs % bin) + bin) % bin);
        let s = t0 / 1_000_000_000n;
        if (s * 1_000_000_000n > t0) s -= 1n;
        this.baseSec = Number(s);
        this.binStart = Number(t0 - s * 1_000_000_000n);
        batch.reset(BigInt(this.baseSec) * 1_000_000_000n + BigInt(this.binStart), binNs);
        batch.gapsSkipped = this.gapPending;
        this.gapPending = 0;
        continue; // the packet again, against the new grid
      }
      if (rel >= binStart + binNs) {
        // Close the current bin; the next steps emit the empty ones up to the packet's bin.
        this.advance = true;
        return EMIT;
      }
      this.pending = false;
      // Append the packet.
      const i = batch.count;
      const cap = rec.capLen;
      const o = batch.byteLength;
      if (i >= batch.capacity || o + cap > batch.bytes.length) {
        if (i >= MAX_BATCH_PACKETS || o + cap > MAX_BATCH_BYTES) {
          throw new CaptureError(
            'capture.batch-too-large',
            `one ${this.binNs / 1e6} ms batch would hold more than ${MAX_BATCH_PACKETS} packets or ${MAX_BATCH_BYTES} bytes ` +
              '(timestamps frozen or far out of order?)',
            { file: this.path, offset: r.src.offset, hint: 'Use a smaller --batch width, or retime the trace first.' },
          );
        }
        batch.ensureCapacity(i + 1, o + cap);
      }
      const dOff = rec.dataOff;
      // 4 bytes at a time through DataViews (unaligned access is fine), whatever the packet's size: it beats
      // subarray + set for small packets, and for large ones it is as fast (`loadcast trace scan` of the mixed
      // trace of bench/lib/dense-traces.ts: 2.8-4.2 Mpps against 3.2-3.9, three runs each, alternated), where
      // subarray allocated a view per packet: 31 of the 43 MB a monitor run on that trace allocated
      // (`npm run bench -- allocation`, before this change).
      const from = r.buf;
      if (from !== this.fromBuf) {
        this.fromBuf = from;
        this.fromView = new DataView(from.buffer, from.byteOffset, from.byteLength);
      }
      const bytes = batch.bytes;
      if (bytes !== this.toBuf) {
        this.toBuf = bytes;
        this.toView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      const fromView = this.fromView;
      const toView = this.toView;
      let k = 0;
      for (; k + 4 <= cap; k += 4) toView.setUint32(o + k, fromView.getUint32(dOff + k));
      for (; k < cap; k++) bytes[o + k] = from[dOff + k]!;
      batch.offsetNs[i] = rel - binStart;
      batch.wireLen[i] = rec.wireLen;
      batch.capLen[i] = cap;
      batch.linkType[i] = rec.linkType;
      batch.dataOffset[i] = o;
      decodePacket(batch, i, o, o + cap, rec.linkType);
      batch.count = i + 1;
      batch.byteLength = o + cap;
      const reordered = r.stats.reordered;
      if (reordered !== this.seenReordered) {
        this.seenReordered = reordered;
        batch.reordered++;
      }
    }
  }
}

function emptyStats(file: string): BatchStats {
  return { ...emptyTraceStats(file), batches: 0, emptyBatches: 0, gapsSkipped: 0 };
}
