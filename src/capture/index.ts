/** Public entry of the capture layer: trace reading (batches and raw records), writing, merge, retime, info. */
export { PacketBatch, PacketFlag, selectAll, src4, dst4 } from './batch.ts';
export type { Selection } from './batch.ts';
export { readBatches, BatchStream, DEFAULT_BIN_NS, DEFAULT_MAX_GAP_NS } from './read-batches.ts';
export type { BatchOptions, BatchStats } from './read-batches.ts';
export { forEachRecord, traceSpan } from './records.ts';
export type { RawRecord, RecordOptions, TraceSpan } from './records.ts';
export type { CaptureWarning, TraceStats } from './record.ts';
export { PcapWriter } from './pcap-writer.ts';
export type { PcapWriterOptions } from './pcap-writer.ts';
export { mergeTraces } from './merge.ts';
export { retimeTrace } from './retime.ts';
export type { RetimeOptions } from './retime.ts';
export { traceInfo } from './trace-info.ts';
export { KeySet } from './key-set.ts';
export type { TraceInfo, TraceInfoOptions } from './trace-info.ts';
export { LinkType, linkTypeName, locateNetwork, NetKind } from './decode.ts';
export { CaptureError } from '../errors.ts';
