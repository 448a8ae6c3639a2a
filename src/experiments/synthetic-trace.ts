/**
 * A generated background trace for machines without `../shared/data` (the demo says when it uses one), written
 * as a real Ethernet pcap through the capture layer's {@link PcapWriter}. Frames are built by src/anomaly's
 * {@link encodeFrame} (correct IPv4 header, TCP and UDP checksums over the whole packet) and captured with a
 * snaplen of 128 bytes by default, as a monitor captures: the record keeps the true wire length, so packet and
 * byte counts are those of the full packets while the file is ~6x smaller. The structure is documented because
 * tests check it:
 *
 * - Hosts: `clients` hosts in 10.1.0.0/16 (the monitored edge network) and `servers` hosts in 198.18.0.0/15
 *   (RFC 2544 benchmarking space), plus `resolvers` DNS servers in 198.51.100.0/24. Each flow picks its client
 *   and server by Zipf popularity (exponent `zipf`), so a few hosts carry much of the traffic.
 * - Flow arrivals: a Poisson process (exponential gaps) whose rate is set so the mean packet rate is `rate`.
 *   Arrivals start `warmupSeconds` before the trace so it opens in steady state (packets before 0 are dropped,
 *   as are packets after the end: flows are cut at the capture edges like in a real capture).
 * - Flow mix: `tcpShare` TCP connections (80% downloads, 20% uploads; server port 443, 80, 8080, 22 or 25 by
 *   fixed weights) and the rest UDP DNS exchanges (query to port 53, answer after one RTT; 3% unanswered).
 * - TCP connection: SYN, SYN-ACK, ACK, a request (PSH-ACK, 80-700 bytes), N data segments of 1460 bytes (the
 *   last one shorter) in slow-start rounds (initial window 10, doubling to 64, one round per RTT, segments
 *   spaced by the flow's bottleneck rate), one ACK per two data segments and one for the last, then FIN,
 *   FIN-ACK, ACK. Sequence and acknowledgement numbers are consistent, from random initial numbers.
 * - Sizes: N = min(floor(2 U^(-1/alpha)), maxFlowPackets), a Pareto tail (alpha 1.1 by default): most flows are
 *   mice of a handful of segments, a few elephants carry thousands.
 * - RTT lognormal (median 30 ms, sigma 0.7, clamped to 1-600 ms); bottleneck rate lognormal (median 20 Mbit/s).
 *   The monitor sits at the edge: client packets are seen when sent, server packets one RTT after the client
 *   packet that caused them, client ACKs 0.2 ms after the data they acknowledge.
 *
 * Packets are produced in time order by a heap of pending packet events (struct of typed arrays, no per-packet
 * objects): when a flow arrives all its packets are scheduled; the heap's earliest event is written whenever it
 * precedes the next flow arrival.
 */
import { LinkType, PcapWriter } from '../capture/index.ts';
import { encodeFrame, IPPROTO_TCP, IPPROTO_UDP, maxFrameLength, PacketFields, PayloadPool, TcpFlag as F } from '../anomaly/index.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../random.ts';

export interface SyntheticTraceOptions {
  /** Trace length in seconds (default 60). */
  seconds?: number;
  /** Target mean packet rate, packets/s (default 30,000). */
  rate?: number;
  clients?: number;
  servers?: number;
  resolvers?: number;
  /** Zipf exponent of host popularity (default 1.0). */
  zipf?: number;
  /** Share of flows that are TCP connections (default 0.8); the rest are DNS exchanges. */
  tcpShare?: number;
  /** Pareto tail index of TCP data segments per flow (default 1.1). */
  alpha?: number;
  /** Cap on data segments per flow (default 20,000). */
  maxFlowPackets?: number;
  /** Seconds of flow arrivals simulated before the trace starts (default 5). */
  warmupSeconds?: number;
  /** First packet time, ns since the epoch (default 2024-01-01T00:00:00Z). */
  startNs?: bigint;
  /**
   * Bytes captured per packet (default 128: the headers and the start of the payload, as a monitor captures;
   * the record keeps the true wire length). 65535 keeps whole packets (about 6x larger files).
   */
  snaplen?: number;
  seed?: number;
}

export interface SyntheticTraceReport {
  path: string;
  packets: number;
  /** Wire bytes of all packets (full frame lengths, not the captured bytes written to the file). */
  bytes: number;
  seconds: number;
  /** Flows that sent at least one packet inside the trace. */
  tcpFlows: number;
  dnsFlows: number;
  hosts: number;
  /** Expected packets per flow (from the size distribution) and the flow arrival rate it implies. */
  meanPacketsPerFlow: number;
  flowArrivalRate: number;
  seed: number;
}

const MSS = 1460;
/** Captured bytes per packet by default: Ethernet + IPv4 + TCP headers (54) and 74 bytes of payload. */
const DEFAULT_SNAPLEN = 128;
const CLIENT_NET = 0x0a010000; // 10.1.0.0/16
const SERVER_NET = 0xc6120000; // 198.18.0.0/15
const RESOLVER_NET = 0xc6336400; // 198.51.100.0/24
const SERVER_PORTS = [443, 80, 8080, 22, 25];
const SERVER_PORT_WEIGHTS = [0.62, 0.25, 0.06, 0.04, 0.03];
/**
 * The two routers of the monitored edge link (locally administered, 02:00:5e:...): client packets go from the
 * edge router to the upstream one, server packets the other way; distinct from the anomaly injector's MACs.
 */
const EDGE_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, 0x01);
const UPSTREAM_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, 0x02);
/** Client-side delay between seeing a server packet and the client's answer (ACK, next request). */
const CLIENT_DELAY_S = 0.0002;

/** Expected total packets of one TCP connection with N ~ min(floor(2 U^(-1/alpha)), cap) data segments. */
export function expectedTcpPackets(alpha: number, cap: number): number {
  // P(N >= k) = min(1, (2/k)^alpha) for k >= 2; N >= 2 always.
  const tail = (k: number): number => (k <= 2 ? 1 : Math.pow(2 / k, alpha));
  let e = 0;
  for (let k = 2; k <= cap; k++) {
    const p = k === cap ? tail(k) : tail(k) - tail(k + 1);
    e += p * (7 + k + Math.ceil(k / 2));
  }
  return e;
}

function zipfCdf(n: number, s: number): Float64Array {
  const c = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) c[i] = acc += 1 / Math.pow(i + 1, s);
  for (let i = 0; i < n; i++) c[i]! /= acc;
  return c;
}

function pick(cdf: Float64Array, u: number): number {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid]! > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A copy of `a` in an array of the same type and twice the length. */
function doubled<T extends Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** Pending packet events: a binary min-heap on time over slots of a struct of typed arrays. */
class EventHeap {
  time = new Float64Array(1 << 16);
  flow = new Int32Array(1 << 16);
  /** Bit 7: sent by the server; bits 0-4: TCP flags (0 for UDP). */
  kind = new Uint8Array(1 << 16);
  seq = new Uint32Array(1 << 16);
  ack = new Uint32Array(1 << 16);
  payload = new Uint16Array(1 << 16);
  heap = new Int32Array(1 << 16);
  size = 0;
  private free = new Int32Array(1 << 16);
  private freeTop = 0;
  private slots = 0;

  push(t: number, flow: number, kind: number, seq: number, ack: number, payload: number): void {
    let s: number;
    if (this.freeTop > 0) s = this.free[--this.freeTop]!;
    else {
      if (this.slots === this.time.length) this.grow();
      s = this.slots++;
    }
    this.time[s] = t;
    this.flow[s] = flow;
    this.kind[s] = kind;
    this.seq[s] = seq >>> 0;
    this.ack[s] = ack >>> 0;
    this.payload[s] = payload;
    let i = this.size++;
    const h = this.heap, tm = this.time;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (tm[h[p]!]! <= t) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = s;
  }

  /** Removes the earliest event and returns its slot (valid until the next push). */
  pop(): number {
    const h = this.heap, tm = this.time;
    const top = h[0]!;
    const last = h[--this.size]!;
    const n = this.size;
    const t = tm[last]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && tm[h[c + 1]!]! < tm[h[c]!]!) c++;
      if (tm[h[c]!]! >= t) break;
      h[i] = h[c]!;
      i = c;
    }
    if (n > 0) h[i] = last;
    this.free[this.freeTop++] = top;
    return top;
  }

  peekTime(): number {
    return this.size === 0 ? Infinity : this.time[this.heap[0]!]!;
  }

  private grow(): void {
    this.time = doubled(this.time);
    this.flow = doubled(this.flow);
    this.kind = doubled(this.kind);
    this.seq = doubled(this.seq);
    this.ack = doubled(this.ack);
    this.payload = doubled(this.payload);
    this.heap = doubled(this.heap);
    this.free = doubled(this.free);
  }
}

/** Per-flow addresses and state, in slots reused once a flow's last packet is written. */
class FlowTable {
  client = new Uint32Array(1024);
  server = new Uint32Array(1024);
  cport = new Uint16Array(1024);
  sport = new Uint16Array(1024);
  proto = new Uint8Array(1024);
  pending = new Int32Array(1024);
  /** 1 once a packet of the flow fell inside the trace. */
  seen = new Uint8Array(1024);
  private free: number[] = [];
  private n = 0;

  alloc(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.n === this.client.length) {
      this.client = doubled(this.client);
      this.server = doubled(this.server);
      this.cport = doubled(this.cport);
      this.sport = doubled(this.sport);
      this.proto = doubled(this.proto);
      this.pending = doubled(this.pending);
      this.seen = doubled(this.seen);
    }
    return this.n++;
  }

  release(f: number): void {
    this.free.push(f);
  }
}

/** Generates the trace at `path` (overwritten). Deterministic for a given seed and options. */
export async function writeSyntheticTrace(path: string, opts: SyntheticTraceOptions = {}): Promise<SyntheticTraceReport> {
  const seconds = opts.seconds ?? 60;
  const rate = opts.rate ?? 30000;
  const nClients = opts.clients ?? 240;
  const nServers = opts.servers ?? 120;
  const nResolvers = opts.resolvers ?? 4;
  const tcpShare = opts.tcpShare ?? 0.8;
  const alpha = opts.alpha ?? 1.1;
  const cap = opts.maxFlowPackets ?? 20000;
  const warmup = opts.warmupSeconds ?? 5;
  const startNs = opts.startNs ?? 1_704_067_200_000_000_000n;
  const seed = opts.seed ?? 1;
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  if (!Number.isInteger(snaplen) || snaplen < 64) {
    throw new UserError(
      'experiment.bad-synthetic-options',
      `synthetic trace snaplen ${snaplen} is too small`,
      'use a snaplen of at least 64 bytes so the Ethernet, IPv4 and TCP headers are captured',
    );
  }
  if (!(seconds > 0) || !(rate > 0) || nClients < 1 || nServers < 1 || nResolvers < 1 || !(alpha > 1) || cap < 2) {
    throw new UserError(
      'experiment.bad-synthetic-options',
      `synthetic trace options out of range (seconds ${seconds}, rate ${rate}, alpha ${alpha}, hosts ${nClients}/${nServers}/${nResolvers})`,
      'use seconds > 0, rate > 0, alpha > 1, at least one host of each kind and maxFlowPackets >= 2',
    );
  }
  const rng = new Rng(seed);
  const meanTcp = expectedTcpPackets(alpha, cap);
  const meanPerFlow = tcpShare * meanTcp + (1 - tcpShare) * (2 * 0.97 + 0.03);
  const flowRate = rate / meanPerFlow;
  const clientCdf = zipfCdf(nClients, opts.zipf ?? 1.0);
  const serverCdf = zipfCdf(nServers, opts.zipf ?? 1.0);
  const portCdf = new Float64Array(SERVER_PORT_WEIGHTS.length);
  SERVER_PORT_WEIGHTS.reduce((a, w, i) => (portCdf[i] = a + w), 0);
  // Host addresses: spread over the prefixes so they do not look sequential.
  const clientIp = Uint32Array.from({ length: nClients }, (_, i) => (CLIENT_NET | ((i * 40503 + 1) & 0xffff)) >>> 0);
  const serverIp = Uint32Array.from({ length: nServers }, (_, i) => (SERVER_NET | ((i * 2654435761) & 0x1ffff)) >>> 0);
  const resolverIp = Uint32Array.from({ length: nResolvers }, (_, i) => (RESOLVER_NET | (i + 53)) >>> 0);

  // Payload bytes come from their own generator so the flow structure does not depend on the encoding.
  const payloadRng = rng.fork();
  const pool = new PayloadPool(payloadRng);
  const frame = new Uint8Array(maxFrameLength(20 + 8 + MSS) + 64);
  const pkt = new PacketFields();
  pkt.window = 65535;
  pkt.randomPayload = true;
  const ev = new EventHeap();
  const flows = new FlowTable();
  const writer = await PcapWriter.open(path, { linkType: LinkType.ETHERNET, snaplen });
  const endS = seconds;
  let tcpFlows = 0, dnsFlows = 0, packets = 0, bytes = 0, ipId = rng.nextU32();
  const hostsSeen = new Set<number>();

  /** Schedules every packet of a new flow starting at t (seconds relative to the trace start). */
  const startFlow = (t: number): void => {
    const f = flows.alloc();
    flows.seen[f] = 0;
    const rtt = Math.min(0.6, Math.max(0.001, 0.03 * Math.exp(0.7 * rng.normal())));
    flows.cport[f] = 32768 + rng.int(28232);
    let n = 0;
    if (rng.next() < tcpShare) {
      flows.proto[f] = IPPROTO_TCP;
      flows.client[f] = clientIp[pick(clientCdf, rng.next())]!;
      flows.server[f] = serverIp[pick(serverCdf, rng.next())]!;
      flows.sport[f] = SERVER_PORTS[pick(portCdf, rng.next())]!;
      const upload = rng.next() < 0.2;
      const data = Math.min(cap, Math.floor(2 * Math.pow(1 - rng.next(), -1 / alpha)));
      const bottleneck = 20e6 * Math.exp(0.8 * rng.normal());
      const gap = (8 * (MSS + 54)) / bottleneck;
      const ci = rng.nextU32(), si = rng.nextU32();
      const S = 0x80; // sent by the server
      const req = 80 + rng.int(621);
      // Handshake and request (client at t, server answers one RTT later).
      ev.push(t, f, F.SYN, ci, 0, 0);
      ev.push(t + rtt, f, S | F.SYN | F.ACK, si, ci + 1, 0);
      ev.push(t + rtt + CLIENT_DELAY_S, f, F.ACK, ci + 1, si + 1, 0);
      ev.push(t + rtt + 2 * CLIENT_DELAY_S, f, F.PSH | F.ACK, ci + 1, si + 1, req);
      n += 4;
      // Data in slow-start rounds from the sender; ACKs from the receiver.
      const sender = upload ? 0 : S;
      const receiver = upload ? S : 0;
      const sIsn = upload ? ci + 1 + req : si + 1;
      const rIsn = upload ? si + 1 : ci + 1 + req;
      // Downloads start when the request reached the server and its first segment came back (one RTT);
      // uploads start right after the request. Server->client packets appear one RTT after the cause.
      let roundStart = t + rtt + 2 * CLIENT_DELAY_S + (upload ? CLIENT_DELAY_S : rtt);
      const ackDelay = upload ? rtt : CLIENT_DELAY_S;
      let cwnd = 10, sent = 0, off = 0, last = roundStart;
      while (sent < data) {
        const burst = Math.min(cwnd, data - sent);
        for (let j = 0; j < burst; j++) {
          const len = sent === data - 1 ? 1 + ((req * 7919 + data) % MSS) : MSS;
          const ts = roundStart + j * gap;
          ev.push(ts, f, sender | F.ACK | (sent === data - 1 ? F.PSH : 0), sIsn + off, rIsn, len);
          off += len;
          sent++;
          n++;
          if (sent % 2 === 0 || sent === data) {
            ev.push(ts + ackDelay, f, receiver | F.ACK, rIsn, sIsn + off, 0);
            n++;
          }
          last = ts;
        }
        roundStart += Math.max(rtt, burst * gap);
        cwnd = Math.min(64, cwnd * 2);
      }
      // Teardown: the server closes; the client answers with FIN-ACK; the server's last ACK follows one RTT later.
      const cFin = upload ? sIsn + off : rIsn;
      const sFin = upload ? rIsn : sIsn + off;
      const tf = last + (upload ? rtt : 0) + 2 * CLIENT_DELAY_S;
      ev.push(tf, f, S | F.FIN | F.ACK, sFin, cFin, 0);
      ev.push(tf + CLIENT_DELAY_S, f, F.FIN | F.ACK, cFin, sFin + 1, 0);
      ev.push(tf + CLIENT_DELAY_S + rtt, f, S | F.ACK, sFin + 1, cFin + 1, 0);
      n += 3;
    } else {
      flows.proto[f] = IPPROTO_UDP;
      flows.client[f] = clientIp[pick(clientCdf, rng.next())]!;
      flows.server[f] = resolverIp[rng.int(nResolvers)]!;
      flows.sport[f] = 53;
      const q = 28 + rng.int(40);
      ev.push(t, f, 0, 0, 0, q);
      n++;
      if (rng.next() >= 0.03) {
        ev.push(t + rtt, f, 0x80, 0, 0, q + 16 + rng.int(300));
        n++;
      }
    }
    flows.pending[f] = n;
  };

  let nextFlow = -warmup + -Math.log(1 - rng.next()) / flowRate;
  for (;;) {
    const te = ev.peekTime();
    if (nextFlow < endS && nextFlow <= te) {
      startFlow(nextFlow);
      nextFlow += -Math.log(1 - rng.next()) / flowRate;
      continue;
    }
    if (te === Infinity) break;
    const s = ev.pop();
    const f = ev.flow[s]!;
    const t = ev.time[s]!;
    if (t >= 0 && t < endS) {
      const k = ev.kind[s]!;
      const fromServer = (k & 0x80) !== 0;
      const src = fromServer ? flows.server[f]! : flows.client[f]!;
      const dst = fromServer ? flows.client[f]! : flows.server[f]!;
      pkt.src = src;
      pkt.dst = dst;
      pkt.srcPort = fromServer ? flows.sport[f]! : flows.cport[f]!;
      pkt.dstPort = fromServer ? flows.cport[f]! : flows.sport[f]!;
      pkt.proto = flows.proto[f]!;
      pkt.tcpFlags = k & 0x1f;
      pkt.seq = ev.seq[s]!;
      pkt.ack = ev.ack[s]!;
      pkt.payloadLen = ev.payload[s]!;
      pkt.ipId = ipId++;
      pkt.srcMac = fromServer ? UPSTREAM_MAC : EDGE_MAC;
      pkt.dstMac = fromServer ? EDGE_MAC : UPSTREAM_MAC;
      const len = encodeFrame(frame, LinkType.ETHERNET, pkt, pool, payloadRng);
      writer.write(startNs + BigInt(Math.round(t * 1e9)), frame.subarray(0, len));
      packets++;
      bytes += len;
      if (!flows.seen[f]) {
        flows.seen[f] = 1;
        if (flows.proto[f] === IPPROTO_TCP) tcpFlows++;
        else dnsFlows++;
        hostsSeen.add(src);
        hostsSeen.add(dst);
      }
    }
    if (--flows.pending[f]! === 0) flows.release(f);
  }
  await writer.close();
  return {
    path,
    packets,
    bytes,
    seconds,
    tcpFlows,
    dnsFlows,
    hosts: hostsSeen.size,
    meanPacketsPerFlow: meanPerFlow,
    flowArrivalRate: flowRate,
    seed,
  };
}
