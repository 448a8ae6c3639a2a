/**
 * Record-level access for tools that copy packets rather than analyse them (merge, retime, inject): a
 * synchronous callback per record with the raw bytes. BigInt timestamps are fine here (not the scan hot path).
 */
import type { CaptureWarning, TraceStats } from './record.ts';
import { TraceReader, asCaptureError, pumpRecords } from './trace-reader.ts';

export interface RawRecord {
  /** ns since the Unix epoch. */
  tsNs: bigint;
  /** pcapng interface index (0 for classic pcap). */
  ifIndex: number;
  linkType: number;
  capLen: number;
  wireLen: number;
  /** The captured bytes: a view valid only during the callback. */
  data: Uint8Array;
}

export interface RecordOptions {
  chunkSize?: number;
  skipCorrupt?: boolean;
  onWarning?: (w: CaptureWarning) => void;
}

/** Calls `cb` for every packet record in file order; resolves with the reader's statistics. */
export async function forEachRecord(
  path: string,
  cb: (rec: RawRecord) => void,
  opts: RecordOptions = {},
): Promise<TraceStats> {
  const r = await TraceReader.open(path, opts);
  const out: RawRecord = { tsNs: 0n, ifIndex: 0, linkType: 0, capLen: 0, wireLen: 0, data: new Uint8Array(0) };
  let cbError: { e: unknown } | undefined;
  try {
    await pumpRecords(r, (rd) => {
      const rec = rd.rec;
      out.tsNs = BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsFrac);
      out.ifIndex = rec.ifIndex;
      out.linkType = rec.linkType;
      out.capLen = rec.capLen;
      out.wireLen = rec.wireLen;
      out.data = rd.buf.subarray(rec.dataOff, rec.dataOff + rec.capLen);
      try {
        cb(out);
      } catch (e) {
        cbError = { e };
        throw e;
      }
    });
  } catch (e) {
    if (cbError && cbError.e === e) throw e; // the callback's own error passes through unchanged
    throw asCaptureError(e, path);
  } finally {
    await r.close();
  }
  return r.stats;
}

/** Time span and link types of a trace's packet records (one pass of {@link forEachRecord}). */
export interface TraceSpan {
  /** Earliest and latest timestamp, ns since the epoch (0n when there are no packets). */
  firstNs: bigint;
  lastNs: bigint;
  packets: number;
  /** Link type of the first packet (-1 when there are no packets). */
  linkType: number;
  /** First link type seen that differs from {@link linkType} (-1 when all packets share one). */
  otherLinkType: number;
  stats: TraceStats;
}

/** Reads `path` once and returns its time span, packet count and link types. */
export async function traceSpan(path: string, opts: RecordOptions = {}): Promise<TraceSpan> {
  let firstNs = 0n, lastNs = 0n, packets = 0, linkType = -1, otherLinkType = -1;
  const stats = await forEachRecord(path, (rec) => {
    if (packets === 0 || rec.tsNs < firstNs) firstNs = rec.tsNs;
    if (packets === 0 || rec.tsNs > lastNs) lastNs = rec.tsNs;
    if (linkType < 0) linkType = rec.linkType;
    else if (otherLinkType < 0 && rec.linkType !== linkType) otherLinkType = rec.linkType;
    packets++;
  }, opts);
  return { firstNs, lastNs, packets, linkType, otherLinkType, stats };
}
