/**
 * `trace`: writes the packets it is given to a pcap file (CoMo `trace`, full packet capture), with their
 * original timestamps, captured bytes and on-wire lengths.
 *
 * Correction: none possible (a dropped packet is not in the file). The result reports what was written and the
 * coverage (processed / offered packets) with the rates, so a reader knows which share of the traffic the file
 * holds. The file has one link type (given at creation, Ethernet by default); packets of another link type are
 * not written and are counted in `skippedLinkType`.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { PcapWriter } from '../capture/index.ts';
import { IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';

/** What the trace query needs of a pcap writer (the capture layer's PcapWriter satisfies it). */
export interface TraceSink {
  write(tsNs: bigint, data: Uint8Array, wireLen?: number): void;
  close(): Promise<void> | void;
}

export interface TraceValue {
  path: string;
  /** Packets written in this interval, and since the file was opened. */
  packets: number;
  bytes: number;
  totalPackets: number;
  skippedLinkType: number;
}

export interface TraceOptions {
  /** Output pcap path. */
  readonly path: string;
  /** Link type of the file (pcap LINKTYPE_*; default 1, Ethernet). */
  readonly linkType?: number;
  /** Snap length (default 65535 or whatever the writer defaults to). */
  readonly snaplen?: number;
}

export class TraceQuery implements Query<TraceValue> {
  readonly name = 'trace';
  readonly sampling = 'packet' as const;
  readonly correction = 'coverage' as const;
  private readonly stats = new IntervalStats();
  private packets = 0;
  private bytes = 0;
  private total = 0;
  private skipped = 0;
  private closed = false;

  constructor(
    private readonly sink: TraceSink,
    readonly path: string,
    readonly linkType: number,
  ) {}

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const idx = sel.idx;
    const lt = this.linkType;
    for (let j = 0; j < sel.length; j++) {
      const i = idx[j]!;
      if (batch.linkType[i] !== lt) {
        this.skipped++;
        continue;
      }
      // One BigInt per written packet: the writer's timestamp API; trace cost is dominated by the copy anyway.
      this.sink.write(batch.startNs + BigInt(batch.offsetNs[i]!), batch.packetBytes(i), batch.wireLen[i]!);
      this.packets++;
      this.bytes += batch.capLen[i]!;
    }
  }

  flush(ctx: FlushContext): QueryResult<TraceValue> {
    this.total += this.packets;
    const value: TraceValue = {
      path: this.path,
      packets: this.packets,
      bytes: this.bytes,
      totalPackets: this.total,
      skippedLinkType: this.skipped,
    };
    this.packets = this.bytes = this.skipped = 0;
    return this.stats.result(this.name, this.correction, ctx, value);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sink.close();
  }
}

/** Opens the output pcap (with the capture layer's PcapWriter) and returns the trace query. */
export async function createTrace(opts: TraceOptions): Promise<TraceQuery> {
  const linkType = opts.linkType ?? 1;
  const sink = await PcapWriter.open(opts.path, { linkType, snaplen: opts.snaplen, nanosecond: true });
  return new TraceQuery(sink, opts.path, linkType);
}
