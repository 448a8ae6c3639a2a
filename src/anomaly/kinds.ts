/**
 * The synthetic anomaly kinds (seed 004 section VI) as header generators. Each generator fills the reused
 * {@link PacketFields} for the packet at a given time; timing comes from {@link ArrivalProcess}.
 *
 * - `ddos`: a volume attack on one target: every packet has a spoofed source address and source port (uniform
 *   random, seeded), so nearly every packet is a new 5-tuple flow. UDP with an 18-byte random payload
 *   (a minimum-size 60-byte Ethernet frame) to the target port (default 80); `proto: 'tcp'` sends TCP SYNs
 *   instead. Idle every other second by default (on/off 1 s, set by the caller).
 * - `synflood`: TCP SYN, spoofed random source address, port, sequence number, TTL and IP ID, to one
 *   target:port (default 80), for the whole duration.
 * - `worm`: a random-scanning worm: many sources, many destinations, fixed destination port (TCP SYN to 445 as
 *   in WannaCry/Conficker by default; `proto: 'udp'` gives a Slammer-like 376-byte UDP payload to 1434).
 *   Sources are drawn uniformly from the infected set, which grows along a logistic (SI epidemic) curve from
 *   1 host to `maxInfected` (default 1024) over the duration (99% reached at the end). Newly infected hosts
 *   are the destinations of earlier scans, as in a real outbreak. Scan destinations are uniform random public
 *   addresses.
 * - `bigpackets`: 1500-byte IP packets (1460-byte random TCP payload, ACK|PSH, 1514-byte Ethernet frames) on
 *   4 long-lived TCP flows between a few hosts (sources 203.0.113.1-4, destinations 198.51.100.1-4 or all to
 *   the target), sequence numbers advancing per flow. Sent in bursts of 16 back-to-back packets at 1 Gbit/s
 *   spacing (set by the caller through the arrival process).
 *
 * Spoofed and scanned addresses are drawn uniformly from 1.0.0.0-223.255.255.255 minus 10/8 and 127/8.
 */
import { UserError } from '../errors.ts';
import type { Rng } from '../random.ts';
import { IPPROTO_TCP, IPPROTO_UDP, PacketFields, TcpFlag } from './frame.ts';

export type AnomalyKind = 'ddos' | 'synflood' | 'worm' | 'bigpackets';
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['ddos', 'synflood', 'worm', 'bigpackets'];

/** Default target (TEST-NET-2, RFC 5737) when none is given. */
export const DEFAULT_TARGET = '198.51.100.10';

export interface KindOptions {
  /** Target IPv4 address (ddos, synflood; bigpackets destination). */
  target?: string;
  /** Destination port (default per kind: 80, 80, 445 or 1434, 443). */
  port?: number;
  /** Transport for ddos and worm (default udp for ddos, tcp for worm). */
  proto?: 'tcp' | 'udp';
  /** Duration of the anomaly in ns (worm growth curve). */
  forNs: number;
  /** Final size of the worm's infected set. */
  maxInfected?: number;
}

/** Fills the fields of the packet sent at `tNs` ns after the anomaly starts. */
export interface KindGenerator {
  fill(f: PacketFields, tNs: number): void;
}

/** Parses a dotted-quad IPv4 address into a u32. */
export function parseIPv4(text: string, what = '--target'): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text.trim());
  const parts = m ? m.slice(1).map(Number) : [];
  if (!m || parts.some((p) => p > 255)) {
    throw new UserError('anomaly.bad-address', `${what}: '${text}' is not an IPv4 address`, 'Use dotted-quad form, e.g. 192.0.2.10.');
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Formats a u32 as a dotted quad. */
export function formatIPv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** A uniform random unicast public-looking address (see the module doc for the excluded ranges). */
function randomPublicIPv4(rng: Rng): number {
  for (;;) {
    const a = rng.nextU32();
    const first = a >>> 24;
    if (first !== 0 && first !== 10 && first !== 127 && first < 224) return a;
  }
}

/** A random ephemeral source port in [1024, 65535]. */
function randomPort(rng: Rng): number {
  return 1024 + rng.int(65536 - 1024);
}

function spoofedCommon(f: PacketFields, rng: Rng): void {
  f.src = randomPublicIPv4(rng);
  f.srcPort = randomPort(rng);
  f.ttl = 32 + rng.int(224);
  f.ipId = rng.int(65536);
}

function synInto(f: PacketFields, rng: Rng): void {
  f.proto = IPPROTO_TCP;
  f.tcpFlags = TcpFlag.SYN;
  f.seq = rng.nextU32();
  f.ack = 0;
  f.window = 64240;
  f.dontFragment = true;
  f.payloadLen = 0;
  f.randomPayload = false;
}

function udpInto(f: PacketFields, payloadLen: number): void {
  f.proto = IPPROTO_UDP;
  f.tcpFlags = 0;
  f.dontFragment = false;
  f.payloadLen = payloadLen;
  f.randomPayload = true;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UserError('anomaly.bad-port', `port ${port} is out of range`, 'Use a port between 1 and 65535.');
  }
  return port;
}

/**
 * Spoofed flood on one target:port: `ddos` (UDP with an 18-byte payload, or TCP SYN) and `synflood` (TCP SYN)
 * differ only in the transport and in their arrival process (set by the caller).
 */
class TargetFloodGenerator implements KindGenerator {
  constructor(
    private readonly rng: Rng,
    private readonly target: number,
    private readonly port: number,
    private readonly udp: boolean,
  ) {}

  fill(f: PacketFields): void {
    spoofedCommon(f, this.rng);
    f.dst = this.target;
    f.dstPort = this.port;
    if (this.udp) udpInto(f, 18);
    else synInto(f, this.rng);
  }
}

/** Random-scanning worm with a logistic infected-set growth (see the module doc). */
class WormGenerator implements KindGenerator {
  private readonly infected: Uint32Array;
  private infectedCount = 1;
  /** Logistic growth rate per ns so that the set reaches 99% of its cap at the end of the window. */
  private readonly growth: number;
  private lastScan: number;

  constructor(
    private readonly rng: Rng,
    private readonly port: number,
    private readonly udp: boolean,
    forNs: number,
    maxInfected: number,
  ) {
    this.infected = new Uint32Array(maxInfected);
    this.infected[0] = randomPublicIPv4(rng); // patient zero
    this.lastScan = this.infected[0]!;
    this.growth = maxInfected > 1 ? Math.log((maxInfected - 1) / (1 / 0.99 - 1)) / forNs : 0;
  }

  /** Size of the infected set at `tNs`: K / (1 + (K - 1) e^(-r t)). */
  infectedAt(tNs: number): number {
    const k = this.infected.length;
    return Math.min(k, Math.max(1, Math.floor(k / (1 + (k - 1) * Math.exp(-this.growth * tNs)))));
  }

  fill(f: PacketFields, tNs: number): void {
    const want = this.infectedAt(tNs);
    // At most one new infection per packet: the host scanned by the previous packet.
    if (this.infectedCount < want) this.infected[this.infectedCount++] = this.lastScan;
    f.src = this.infected[this.rng.int(this.infectedCount)]!;
    f.dst = randomPublicIPv4(this.rng);
    this.lastScan = f.dst;
    f.srcPort = randomPort(this.rng);
    f.dstPort = this.port;
    f.ttl = 64 + this.rng.int(65);
    f.ipId = this.rng.int(65536);
    // SQL Slammer's single 404-byte UDP datagram carries 376 bytes of payload.
    if (this.udp) udpInto(f, 376);
    else synInto(f, this.rng);
  }
}

/** Large-packet bursts on a few long-lived TCP flows. */
class BigPacketsGenerator implements KindGenerator {
  static readonly FLOWS = 4;
  static readonly PAYLOAD = 1460;
  private readonly seq = new Uint32Array(BigPacketsGenerator.FLOWS);
  private readonly srcPort = new Uint16Array(BigPacketsGenerator.FLOWS);

  constructor(
    private readonly rng: Rng,
    private readonly target: number | undefined,
    private readonly port: number,
  ) {
    for (let i = 0; i < BigPacketsGenerator.FLOWS; i++) {
      this.seq[i] = rng.nextU32();
      this.srcPort[i] = randomPort(rng);
    }
  }

  fill(f: PacketFields): void {
    const k = this.rng.int(BigPacketsGenerator.FLOWS);
    f.src = ((203 << 24) | (0 << 16) | (113 << 8) | (1 + k)) >>> 0;
    f.dst = this.target ?? ((198 << 24) | (51 << 16) | (100 << 8) | (1 + k)) >>> 0;
    f.srcPort = this.srcPort[k]!;
    f.dstPort = this.port;
    f.proto = IPPROTO_TCP;
    f.tcpFlags = TcpFlag.ACK | TcpFlag.PSH;
    f.seq = this.seq[k]!;
    this.seq[k] = (this.seq[k]! + BigPacketsGenerator.PAYLOAD) >>> 0;
    f.ack = 1;
    f.window = 501;
    f.ttl = 64;
    f.ipId = (f.ipId + 1) & 0xffff;
    f.dontFragment = true;
    f.payloadLen = BigPacketsGenerator.PAYLOAD;
    f.randomPayload = true;
  }
}

/** Builds the header generator for `kind`. */
export function makeKindGenerator(kind: AnomalyKind, rng: Rng, opts: KindOptions): KindGenerator {
  const targetText = opts.target ?? DEFAULT_TARGET;
  const target = parseIPv4(targetText);
  switch (kind) {
    case 'ddos':
      return new TargetFloodGenerator(rng, target, checkPort(opts.port ?? 80), (opts.proto ?? 'udp') === 'udp');
    case 'synflood':
      if (opts.proto === 'udp') {
        throw new UserError('anomaly.bad-proto', 'a SYN flood is TCP; --proto udp does not apply', 'Use --kind ddos --proto udp for a UDP flood.');
      }
      return new TargetFloodGenerator(rng, target, checkPort(opts.port ?? 80), false);
    case 'worm': {
      const udp = opts.proto === 'udp';
      const max = opts.maxInfected ?? 1024;
      if (!Number.isInteger(max) || max < 1) {
        throw new UserError('anomaly.bad-infected', `maxInfected ${max} must be a positive integer`);
      }
      return new WormGenerator(rng, checkPort(opts.port ?? (udp ? 1434 : 445)), udp, opts.forNs, max);
    }
    case 'bigpackets':
      if (opts.proto === 'udp') {
        throw new UserError('anomaly.bad-proto', 'bigpackets are TCP segments; --proto udp does not apply');
      }
      return new BigPacketsGenerator(rng, opts.target !== undefined ? target : undefined, checkPort(opts.port ?? 443));
    default:
      throw new UserError(
        'anomaly.bad-kind',
        `unknown anomaly kind '${String(kind)}'`,
        `Use one of: ${ANOMALY_KINDS.join(', ')}.`,
      );
  }
}
