/** Shared record-level types of the trace readers. */

/** Captured lengths above this (and above the snaplen) are treated as corrupt record headers. */
export const MAX_RECORD_CAPLEN = 262144;

/**
 * The reader's current record, overwritten in place for every record (no per-record object). The timestamp is
 * split into whole seconds since the epoch and nanoseconds within the second so that no BigInt is needed.
 */
export class TraceRecord {
  tsSec = 0;
  /** Nanoseconds within the second, 0..999,999,999. */
  tsFrac = 0;
  ifIndex = 0;
  linkType = 0;
  capLen = 0;
  wireLen = 0;
  /** Offset of the captured bytes in the reader's window buffer. */
  dataOff = 0;
  /** False for blocks that carry no packet (pcapng SHB, IDB, statistics, unknown blocks). */
  isPacket = false;
}

/** One container format's record parser. */
export interface RecordParser {
  readonly format: string;
  readonly interfaces: { linkType: number; snaplen: number }[];
  /**
   * Parses the record/block starting at `pos`. Returns the number of bytes it occupies (and fills `rec`), or 0
   * when more bytes are needed. Throws CaptureError for an impossible header; `base` is buf[0]'s file offset.
   */
  parse(buf: Uint8Array, pos: number, end: number, base: number, rec: TraceRecord): number;
  /**
   * First plausible record start after `pos`; -1 if none in [pos, end); -2 if a candidate cannot be verified
   * before more bytes are read (only when `eof` is false).
   */
  resync(buf: Uint8Array, pos: number, end: number, lastSec: number, eof: boolean): number;
}

/** Something the reader tolerated and reports instead of failing. */
export interface CaptureWarning {
  /** `truncated-record`, `skipped-corrupt`, `truncated-gzip`. */
  code: string;
  message: string;
  file: string;
  offset: number;
}

/** What a reader saw, filled in as it reads. */
export interface TraceStats {
  file: string;
  /** `pcap`, `pcap-ns` or `pcapng`. */
  format: string;
  gzip: boolean;
  /** Distinct link types of the interfaces seen, ascending. */
  linkTypes: number[];
  /** Largest snaplen over the interfaces. */
  snaplen: number;
  packets: number;
  wireBytes: number;
  capturedBytes: number;
  /** Packets whose timestamp is earlier than the latest one read before them. */
  reordered: number;
  /** 1 when the file ended inside a record (the partial record is dropped). */
  truncatedRecords: number;
  /** Corrupt record headers found (only non-zero with skipCorrupt; otherwise the first one throws). */
  corruptRecords: number;
  /** Bytes skipped while resynchronising after corrupt headers. */
  skippedBytes: number;
  warnings: CaptureWarning[];
}

/** Zeroed statistics for `file` (format and gzip filled in once the file is opened). */
export function emptyTraceStats(file: string, format = '', gzip = false): TraceStats {
  return {
    file,
    format,
    gzip,
    linkTypes: [],
    snaplen: 0,
    packets: 0,
    wireBytes: 0,
    capturedBytes: 0,
    reordered: 0,
    truncatedRecords: 0,
    corruptRecords: 0,
    skippedBytes: 0,
    warnings: [],
  };
}
