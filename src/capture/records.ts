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
