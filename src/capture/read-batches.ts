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
    const binNs = this.opts.binNs ?? DEFAULT_BIN_NS;
    const maxGap = this.opts.maxGapNs ?? DEFAULT_MAX_GAP_NS;
    const st = this.stats;
    const rs = r.stats;
    const rec = r.rec;
    const batch = new PacketBatch(1024, 1 << 18);
    let started = false;
    let baseSec = 0; // run base: whole seconds since the epoch
    let binStart = 0; // current bin start, ns after baseSec (exact integer)
    let seenReordered = 0;
    let gapPending = 0;

    let ended = false;
    let fromBuf = r.buf;
    let fromView: DataView = new DataView(fromBuf.buffer, fromBuf.byteOffset, fromBuf.byteLength);
    let toBuf = batch.bytes;
    let toView: DataView = new DataView(toBuf.buffer, toBuf.byteOffset, toBuf.byteLength);
    for (;;) {
      while (r.next()) {
        let rel = (rec.tsSec - baseSec) * 1e9 + rec.tsFrac;
        if (!started || rel - binStart - binNs > maxGap || binStart - rel > maxGap) {
          if (started) {
            st.gapsSkipped++;
            gapPending = 1;
            yield this.counted(batch);
          }
          started = true;
          // New bin grid at this packet (BigInt only here, once per run).
          const bin = BigInt(binNs);
          const abs = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsFrac);
          const t0 = abs - (((abs % bin) + bin) % bin);
          let s = t0 / 1_000_000_000n;
          if (s * 1_000_000_000n > t0) s -= 1n;
          baseSec = Number(s);
          binStart = Number(t0 - s * 1_000_000_000n);
          batch.reset(BigInt(baseSec) * 1_000_000_000n + BigInt(binStart), binNs);
          batch.gapsSkipped = gapPending;
          gapPending = 0;
          rel = (rec.tsSec - baseSec) * 1e9 + rec.tsFrac;
        } else if (rel >= binStart + binNs) {
          // Close the current bin and emit the empty ones up to the packet's bin.
          do {
            yield this.counted(batch);
            binStart += binNs;
            if (binStart >= REBASE_NS) {
              const shift = Math.floor(binStart / 1e9);
              baseSec += shift;
              binStart -= shift * 1e9;
              rel = (rec.tsSec - baseSec) * 1e9 + rec.tsFrac;
            }
            batch.reset(BigInt(baseSec) * 1_000_000_000n + BigInt(binStart), binNs);
          } while (rel >= binStart + binNs);
        }
        // Append the packet.
        const i = batch.count;
        const cap = rec.capLen;
        const o = batch.byteLength;
        if (i >= batch.capacity || o + cap > batch.bytes.length) {
          if (i >= MAX_BATCH_PACKETS || o + cap > MAX_BATCH_BYTES) {
            throw new CaptureError(
              'capture.batch-too-large',
              `one ${binNs / 1e6} ms batch would hold more than ${MAX_BATCH_PACKETS} packets or ${MAX_BATCH_BYTES} bytes ` +
                '(timestamps frozen or far out of order?)',
              { file: this.path, offset: r.src.offset, hint: 'Use a smaller --batch width, or retime the trace first.' },
            );
          }
          batch.ensureCapacity(i + 1, o + cap);
        }
        const dOff = rec.dataOff;
        if (cap <= 256) {
          // Small packets: 4 bytes at a time through DataViews (unaligned access is fine) beats subarray + set.
          const from = r.buf;
          if (from !== fromBuf) {
            fromBuf = from;
            fromView = new DataView(from.buffer, from.byteOffset, from.byteLength);
          }
          const bytes = batch.bytes;
          if (bytes !== toBuf) {
            toBuf = bytes;
            toView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          }
          let k = 0;
          for (; k + 4 <= cap; k += 4) toView.setUint32(o + k, fromView.getUint32(dOff + k));
          for (; k < cap; k++) bytes[o + k] = from[dOff + k]!;
        } else batch.bytes.set(r.buf.subarray(dOff, dOff + cap), o);
        batch.offsetNs[i] = rel - binStart;
        batch.wireLen[i] = rec.wireLen;
        batch.capLen[i] = cap;
        batch.linkType[i] = rec.linkType;
        batch.dataOffset[i] = o;
        decodePacket(batch, i, o, o + cap, rec.linkType);
        batch.count = i + 1;
        batch.byteLength = o + cap;
        if (rs.reordered !== seenReordered) {
          seenReordered = rs.reordered;
          batch.reordered++;
        }
      }
      if (r.done || ended) break;
      // At EOF the loop above runs once more to report the remainder.
      if (!(await r.fill())) ended = true;
    }
    if (started) yield this.counted(batch);
  }

  /** Counts `batch` in the statistics as it is handed out. */
  private counted(batch: PacketBatch): PacketBatch {
    this.stats.batches++;
    if (batch.count === 0) this.stats.emptyBatches++;
    return batch;
  }
}

function emptyStats(file: string): BatchStats {
  return { ...emptyTraceStats(file), batches: 0, emptyBatches: 0, gapsSkipped: 0 };
}
