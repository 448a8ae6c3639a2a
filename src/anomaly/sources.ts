/**
 * Sources of injected packets for the streaming merge: a lazy generator of synthetic anomaly packets, and a
 * reader of a (retimed) real attack capture. Both present the time of their next packet (ns relative to the
 * background's first packet) so the merge can interleave them with the background without buffering.
 */
import { readBatches, type PacketBatch, type PcapWriter } from '../capture/index.ts';
import type { Rng } from '../random.ts';
import type { ArrivalProcess } from './arrivals.ts';
import { encodeFrame, maxFrameLength, PacketFields, PayloadPool, relinkFrame } from './frame.ts';
import type { KindGenerator } from './kinds.ts';

/** Counters every source keeps. */
export interface SourceStats {
  packets: number;
  /** Bytes written (captured = wire length for synthetic packets). */
  bytes: number;
  /** Packets that could not be written in the output's link type (no IP packet inside). */
  skipped: number;
  /** Relative ns of the first and last written packet (NaN before the first). */
  firstNs: number;
  lastNs: number;
}

export interface InjectionSource {
  /** When true, await {@link fill} before reading {@link nextNs}. */
  readonly needsFill: boolean;
  /** Time of the next packet (ns relative to the background start); Infinity when exhausted. */
  readonly nextNs: number;
  fill(): Promise<void>;
  /** Writes the packet at {@link nextNs} (absolute time `baseNs + nextNs`) and advances. */
  emit(w: PcapWriter, baseNs: bigint): void;
  close(): Promise<void>;
  readonly stats: SourceStats;
}

/**
 * Packet i of `b` as a frame of `linkType`: its own bytes when it already has that link type, else converted
 * into `buf` by {@link relinkFrame}; undefined when it carries no IP packet (it cannot be converted). The wire
 * length of the result is `b.wireLen[i] + result.length - b.capLen[i]`.
 */
export function frameInLinkType(b: PacketBatch, i: number, linkType: number, buf: Uint8Array): Uint8Array | undefined {
  const data = b.packetBytes(i);
  if (b.linkType[i] === linkType) return data;
  const n = relinkFrame(data, b.linkType[i]!, linkType, buf);
  return n < 0 ? undefined : buf.subarray(0, n);
}

function newStats(): SourceStats {
  return { packets: 0, bytes: 0, skipped: 0, firstNs: Number.NaN, lastNs: Number.NaN };
}

/** Synthetic packets: arrival times from `arrivals`, headers from `kind`, frames in `linkType`. */
export class SyntheticSource implements InjectionSource {
  readonly needsFill = false;
  nextNs: number;
  readonly stats = newStats();
  private readonly fields = new PacketFields();
  private readonly buf = new Uint8Array(maxFrameLength(1500) + 64);
  private readonly pool: PayloadPool;

  constructor(
    private readonly arrivals: ArrivalProcess,
    private readonly kind: KindGenerator,
    private readonly linkType: number,
    /** Start of the anomaly (relative ns), the origin of the kind generator's clock. */
    private readonly atNs: number,
    private readonly rng: Rng,
  ) {
    this.pool = new PayloadPool(rng);
    this.nextNs = arrivals.next();
  }

  async fill(): Promise<void> {}

  emit(w: PcapWriter, baseNs: bigint): void {
    const t = this.nextNs;
    this.kind.fill(this.fields, t - this.atNs);
    const len = encodeFrame(this.buf, this.linkType, this.fields, this.pool, this.rng);
    w.write(baseNs + BigInt(Math.round(t)), this.buf.subarray(0, len), len);
    const s = this.stats;
    if (s.packets === 0) s.firstNs = t;
    s.lastNs = t;
    s.packets++;
    s.bytes += len;
    this.nextNs = this.arrivals.next();
  }

  async close(): Promise<void> {}
}

/**
 * Packets of a capture already retimed onto the background's clock, cut at `endNs` (relative), converted to
 * the output link type when the capture's differs (packets without an IP packet are skipped and counted).
 */
export class CaptureSource implements InjectionSource {
  needsFill = true;
  nextNs = Infinity;
  readonly stats = newStats();
  private readonly it: AsyncIterator<PacketBatch>;
  private batch: PacketBatch | undefined;
  private i = 0;
  /** Start of the current batch relative to the background's first packet (ns). */
  private batchRel = 0;
  private done = false;
  private readonly relinkBuf = new Uint8Array(262144 + 64);

  constructor(
    path: string,
    private readonly baseNs: bigint,
    private readonly endNs: number,
    private readonly linkType: number,
  ) {
    this.it = readBatches(path)[Symbol.asyncIterator]();
  }

  async fill(): Promise<void> {
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.finish();
        return;
      }
      const b = r.value;
      if (b.count === 0) continue;
      this.batch = b;
      this.i = 0;
      this.batchRel = Number(b.startNs - this.baseNs);
      this.needsFill = false;
      this.setNext();
      return;
    }
  }

  private finish(): void {
    this.done = true;
    this.needsFill = false;
    this.nextNs = Infinity;
  }

  private setNext(): void {
    const t = this.batchRel + this.batch!.offsetNs[this.i]!;
    if (t >= this.endNs) this.finish();
    else this.nextNs = t;
  }

  emit(w: PcapWriter, baseNs: bigint): void {
    const b = this.batch!;
    const i = this.i;
    const t = this.nextNs;
    const data = frameInLinkType(b, i, this.linkType, this.relinkBuf);
    const s = this.stats;
    if (data === undefined) s.skipped++;
    else {
      w.write(baseNs + BigInt(Math.round(t)), data, b.wireLen[i]! + data.length - b.capLen[i]!);
      if (s.packets === 0) s.firstNs = t;
      s.lastNs = t;
      s.packets++;
      s.bytes += data.length;
    }
    if (++this.i >= b.count) this.needsFill = true;
    else this.setNext();
  }

  async close(): Promise<void> {
    this.done = true;
    await this.it.return?.();
  }
}
