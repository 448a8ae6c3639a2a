/**
 * `application`: packets and bytes per application class, classified by a port map (CoMo `apps`). A packet's
 * class is the class of its destination port if mapped, else of its source port, else `other` (TCP/UDP) or
 * `non-tcp-udp`. Port classes are per transport (a port may be mapped for TCP, UDP or both).
 *
 * Correction (Horvitz-Thompson): each processed packet counts 1/p (bytes x 1/p) at the rate of its batch.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { htWeight, IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';

/** An application class: TCP and UDP ports (and port ranges `[lo, hi]`). */
export interface AppClass {
  readonly name: string;
  readonly tcp?: readonly (number | readonly [number, number])[];
  readonly udp?: readonly (number | readonly [number, number])[];
}

/** Default classes (IANA well-known ports plus common P2P ports). */
export const DEFAULT_APP_CLASSES: readonly AppClass[] = [
  { name: 'http', tcp: [80, 8080, 8000, 8008, 3128] },
  { name: 'https', tcp: [443, 8443], udp: [443] },
  { name: 'dns', tcp: [53], udp: [53, 5353] },
  { name: 'ssh', tcp: [22] },
  { name: 'smtp', tcp: [25, 465, 587] },
  { name: 'mail', tcp: [110, 143, 993, 995] },
  { name: 'ntp', udp: [123] },
  { name: 'snmp', udp: [161, 162] },
  { name: 'smb', tcp: [139, 445], udp: [137, 138] },
  { name: 'p2p', tcp: [[6881, 6889], 6346, 6347, 4662, 8333, 4672], udp: [[6881, 6889], 6346, 6347, 4672, 8333] },
];

export interface AppStats {
  packets: number;
  bytes: number;
}

export type ApplicationValue = Record<string, AppStats>;

export interface ApplicationOptions {
  readonly classes?: readonly AppClass[];
}

const TCP = 6;
const UDP = 17;

export class ApplicationQuery implements Query<ApplicationValue> {
  readonly name = 'application';
  readonly sampling = 'packet' as const;
  readonly correction = 'horvitz-thompson' as const;
  /** Class names; index classes.length = other, classes.length + 1 = non-tcp-udp. */
  readonly classNames: string[];
  /** Port -> class index + 1 (0 = unmapped), for TCP and UDP. */
  private readonly tcpMap = new Uint8Array(65536);
  private readonly udpMap = new Uint8Array(65536);
  private readonly packets: Float64Array;
  private readonly bytes: Float64Array;
  private readonly stats = new IntervalStats();

  constructor(opts: ApplicationOptions = {}) {
    const classes = opts.classes ?? DEFAULT_APP_CLASSES;
    if (classes.length > 250) throw new UserError('queries.too-many-classes', `application query: ${classes.length} classes given, at most 250 fit its one-byte class codes`, 'merge classes (a class may list many ports and port ranges)');
    this.classNames = [...classes.map((c) => c.name), 'other', 'non-tcp-udp'];
    classes.forEach((c, k) => {
      fill(this.tcpMap, c.tcp ?? [], k + 1, c.name);
      fill(this.udpMap, c.udp ?? [], k + 1, c.name);
    });
    this.packets = new Float64Array(this.classNames.length);
    this.bytes = new Float64Array(this.classNames.length);
  }

  /** Class index of packet i (see {@link classNames}). */
  classify(batch: PacketBatch, i: number): number {
    const p = batch.proto[i]!;
    const other = this.classNames.length - 2;
    let map: Uint8Array;
    if (p === TCP) map = this.tcpMap;
    else if (p === UDP) map = this.udpMap;
    else return other + 1;
    let c = map[batch.dstPort[i]!]!;
    if (c === 0) c = map[batch.srcPort[i]!]!;
    return c === 0 ? other : c - 1;
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const w = htWeight(ctx.rate);
    const idx = sel.idx;
    const len = batch.wireLen;
    for (let j = 0; j < sel.length; j++) {
      const i = idx[j]!;
      const c = this.classify(batch, i);
      this.packets[c] = this.packets[c]! + w;
      this.bytes[c] = this.bytes[c]! + w * len[i]!;
    }
  }

  flush(ctx: FlushContext): QueryResult<ApplicationValue> {
    const value: ApplicationValue = {};
    this.classNames.forEach((n, k) => {
      value[n] = { packets: this.packets[k]!, bytes: this.bytes[k]! };
    });
    this.packets.fill(0);
    this.bytes.fill(0);
    return this.stats.result(this.name, this.correction, ctx, value);
  }
}

function fill(map: Uint8Array, ports: readonly (number | readonly [number, number])[], code: number, name: string): void {
  for (const p of ports) {
    const [lo, hi] = typeof p === 'number' ? [p, p] : p;
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 0 && hi <= 65535 && lo <= hi)) {
      throw new UserError('queries.bad-port', `application class ${name}: bad port or range ${JSON.stringify(p)}`, 'ports are integers 0..65535');
    }
    for (let q = lo; q <= hi; q++) if (map[q] === 0) map[q] = code;
  }
}

export function createApplication(opts: ApplicationOptions = {}): ApplicationQuery {
  return new ApplicationQuery(opts);
}
