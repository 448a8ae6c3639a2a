/**
 * PacketBatch: one fixed time bin of packets (100 ms by default) as a struct of typed arrays. No per-packet
 * objects exist anywhere downstream of the decoder: features, samplers and queries read these columns by index.
 *
 * Addresses use one scheme for both IP versions: 4 x u32 words per packet (`src`/`dst`, stride 4, network
 * order within a word, word 0 first). IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`): words [0, 0, 0xffff, addr],
 * so `src[4 * i + 3]` is the IPv4 address as a u32 and code that hashes all four words treats v4 and v6 alike.
 * Non-IP packets have all-zero addresses and `ipVersion` 0.
 *
 * Timestamps: `startNs` (bigint, ns since the Unix epoch) is the bin start; `offsetNs[i]` is the packet's
 * time relative to it in ns (a float64 holds integers exactly up to 2^53 ns = 104 days). A late (out-of-order)
 * packet placed in the current batch may have a negative offset.
 *
 * Lifetime: a reader reuses batches; a batch is valid until the reader yields the next one. Call
 * {@link PacketBatch.clone} to keep one.
 */
export class PacketBatch {
  /** Bin start, ns since the Unix epoch. */
  startNs = 0n;
  /** Bin width in ns (100 ms = 1e8). */
  durationNs = 1e8;
  /** Number of packets in the batch. */
  count = 0;
  /** Bytes used in {@link bytes}. */
  byteLength = 0;
  /** Packets in this batch whose timestamp was earlier than a packet read before them. */
  reordered = 0;
  /**
   * 1 when the reader collapsed a timestamp gap longer than its `maxGapNs` just before this batch: the empty
   * bins of that gap were not emitted and this batch starts a new bin grid at its first packet (0 otherwise).
   */
  gapsSkipped = 0;

  offsetNs: Float64Array;
  /** Original length on the wire. */
  wireLen: Uint32Array;
  /** Captured length (bytes present in {@link bytes}). */
  capLen: Uint32Array;
  /** Link type (pcap LINKTYPE_*) of the interface the packet came from. */
  linkType: Uint16Array;
  /** 0 = not IP / not decodable, 4, 6. */
  ipVersion: Uint8Array;
  /** IP protocol number (IPv6: the final next-header after the extension chain); 0 when not IP. */
  proto: Uint8Array;
  /** Source address, 4 words per packet (see class doc). */
  src: Uint32Array;
  /** Destination address, 4 words per packet (see class doc). */
  dst: Uint32Array;
  /** TCP/UDP/SCTP ports; 0 for other protocols and for non-first fragments. */
  srcPort: Uint16Array;
  dstPort: Uint16Array;
  /** TCP flags byte (FIN=1, SYN=2, RST=4, PSH=8, ACK=16, URG=32, ECE=64, CWR=128); 0 otherwise. */
  tcpFlags: Uint8Array;
  /** Bit set of {@link PacketFlag}. */
  flags: Uint8Array;
  /** Offset of the packet's first captured byte (link header) in {@link bytes}. */
  dataOffset: Uint32Array;
  /** Offset of the L4 payload (after TCP/UDP/ICMP header) in {@link bytes}; equals the end of data if none. */
  payloadOffset: Uint32Array;
  /** Captured payload length in bytes (may be less than the on-wire payload when snaplen cut it). */
  payloadLen: Uint32Array;
  /** Captured bytes of every packet, back to back. */
  bytes: Uint8Array;

  constructor(capacity = 4096, byteCapacity = 1 << 20) {
    this.offsetNs = new Float64Array(capacity);
    this.wireLen = new Uint32Array(capacity);
    this.capLen = new Uint32Array(capacity);
    this.linkType = new Uint16Array(capacity);
    this.ipVersion = new Uint8Array(capacity);
    this.proto = new Uint8Array(capacity);
    this.src = new Uint32Array(capacity * 4);
    this.dst = new Uint32Array(capacity * 4);
    this.srcPort = new Uint16Array(capacity);
    this.dstPort = new Uint16Array(capacity);
    this.tcpFlags = new Uint8Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.dataOffset = new Uint32Array(capacity);
    this.payloadOffset = new Uint32Array(capacity);
    this.payloadLen = new Uint32Array(capacity);
    this.bytes = new Uint8Array(byteCapacity);
  }

  /** Packet capacity before the next {@link ensureCapacity} has to grow the columns. */
  get capacity(): number {
    return this.wireLen.length;
  }

  /** Empties the batch for reuse, keeping its buffers. */
  reset(startNs: bigint, durationNs: number): void {
    this.startNs = startNs;
    this.durationNs = durationNs;
    this.count = 0;
    this.byteLength = 0;
    this.reordered = 0;
    this.gapsSkipped = 0;
  }

  /** Grows the columns (geometrically) so that `packets` packets and `bytes` captured bytes fit. */
  ensureCapacity(packets: number, bytes: number): void {
    if (packets > this.capacity) {
      const n = Math.max(packets, this.capacity * 2);
      this.offsetNs = grow(this.offsetNs, n);
      this.wireLen = grow(this.wireLen, n);
      this.capLen = grow(this.capLen, n);
      this.linkType = grow(this.linkType, n);
      this.ipVersion = grow(this.ipVersion, n);
      this.proto = grow(this.proto, n);
      this.src = grow(this.src, n * 4);
      this.dst = grow(this.dst, n * 4);
      this.srcPort = grow(this.srcPort, n);
      this.dstPort = grow(this.dstPort, n);
      this.tcpFlags = grow(this.tcpFlags, n);
      this.flags = grow(this.flags, n);
      this.dataOffset = grow(this.dataOffset, n);
      this.payloadOffset = grow(this.payloadOffset, n);
      this.payloadLen = grow(this.payloadLen, n);
    }
    if (bytes > this.bytes.length) this.bytes = grow(this.bytes, Math.max(bytes, this.bytes.length * 2));
  }

  /** Absolute timestamp of packet i in ns since the epoch. */
  timestampNs(i: number): bigint {
    return this.startNs + BigInt(this.offsetNs[i]!);
  }

  /** The captured bytes of packet i (a view, not a copy). */
  packetBytes(i: number): Uint8Array {
    const o = this.dataOffset[i]!;
    return this.bytes.subarray(o, o + this.capLen[i]!);
  }

  /** Deep copy with exactly-sized buffers, independent of the reader's reuse. */
  clone(): PacketBatch {
    const b = new PacketBatch(Math.max(1, this.count), Math.max(1, this.byteLength));
    b.startNs = this.startNs;
    b.durationNs = this.durationNs;
    b.count = this.count;
    b.byteLength = this.byteLength;
    b.reordered = this.reordered;
    b.gapsSkipped = this.gapsSkipped;
    const n = this.count;
    b.offsetNs.set(this.offsetNs.subarray(0, n));
    b.wireLen.set(this.wireLen.subarray(0, n));
    b.capLen.set(this.capLen.subarray(0, n));
    b.linkType.set(this.linkType.subarray(0, n));
    b.ipVersion.set(this.ipVersion.subarray(0, n));
    b.proto.set(this.proto.subarray(0, n));
    b.src.set(this.src.subarray(0, 4 * n));
    b.dst.set(this.dst.subarray(0, 4 * n));
    b.srcPort.set(this.srcPort.subarray(0, n));
    b.dstPort.set(this.dstPort.subarray(0, n));
    b.tcpFlags.set(this.tcpFlags.subarray(0, n));
    b.flags.set(this.flags.subarray(0, n));
    b.dataOffset.set(this.dataOffset.subarray(0, n));
    b.payloadOffset.set(this.payloadOffset.subarray(0, n));
    b.payloadLen.set(this.payloadLen.subarray(0, n));
    b.bytes.set(this.bytes.subarray(0, this.byteLength));
    return b;
  }
}

/** Bits of {@link PacketBatch.flags}. */
export const PacketFlag = {
  /** IPv4 fragment (MF set or offset > 0) or IPv6 with a Fragment header. */
  FRAGMENT: 1,
  /** A fragment other than the first: no L4 header, ports are 0. */
  NON_FIRST_FRAGMENT: 2,
  /** Headers were cut by the snaplen or were inconsistent; fields decoded so far are kept. */
  TRUNCATED: 4,
  /** The link type is unknown or the link/network header could not be decoded at all. */
  UNDECODABLE: 8,
} as const;

type AnyTypedArray =
  | Float64Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

function grow<T extends AnyTypedArray>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/**
 * A selection vector: the indices of the packets a sampler kept, in ascending order. Sampling never copies
 * packets; it produces one of these.
 */
export interface Selection {
  /** Kept packet indices; only the first {@link length} entries are meaningful. */
  readonly idx: Uint32Array;
  readonly length: number;
}

/** A selection of every packet in the batch. */
export function selectAll(batch: PacketBatch, into?: Uint32Array): Selection {
  const idx = into && into.length >= batch.count ? into : new Uint32Array(Math.max(1, batch.count));
  for (let i = 0; i < batch.count; i++) idx[i] = i;
  return { idx, length: batch.count };
}

/** IPv4 address (u32) of packet i's source; meaningful when ipVersion[i] === 4. */
export function src4(batch: PacketBatch, i: number): number {
  return batch.src[4 * i + 3]!;
}

/** IPv4 address (u32) of packet i's destination; meaningful when ipVersion[i] === 4. */
export function dst4(batch: PacketBatch, i: number): number {
  return batch.dst[4 * i + 3]!;
}
