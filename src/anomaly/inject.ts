/**
 * `injectAnomaly`: writes a copy of a background trace with an anomaly merged in, in time order, streaming:
 * the background is read batch by batch and the anomaly's packets are produced lazily as the merge advances
 * (never more than one background batch and one anomaly packet or batch in memory).
 *
 * Time: `atNs` is relative to the background's first packet (so 10 s means 10 s into the trace); the anomaly
 * occupies [at, at + for). On equal timestamps the background packet goes first.
 *
 * Output: classic pcap with nanosecond timestamps (so neither the background's nor the generated times are
 * rounded), snaplen 262144, gzip when the name ends in .gz, in the link type of the background's first packet.
 * Background packets of another link type (pcapng with several interfaces) are converted to it when they
 * carry IP (counted in `backgroundConverted`), otherwise dropped and counted in `backgroundSkipped`.
 * Synthetic packets are written in the output link type (Ethernet, raw IP, SLL or SLL2; see frame.ts).
 *
 * A real attack capture (`attackPcap`) is first retimed by the capture layer (`retimeTrace`: start at `at`,
 * `speed`, repetitions with per-repetition address remapping) into a temporary file, then merged the same
 * way, cut at `at + for` and converted to the background's link type.
 */
import { randomBytes } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PcapWriter, readBatches, retimeTrace, traceSpan, type PacketBatch } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../random.ts';
import { ArrivalProcess, type ArrivalModel } from './arrivals.ts';
import { linkHeaderLength } from './frame.ts';
import { ANOMALY_KINDS, DEFAULT_TARGET, makeKindGenerator, type AnomalyKind } from './kinds.ts';
import { CaptureSource, frameInLinkType, SyntheticSource, type InjectionSource } from './sources.ts';

/** Default on/off period of the DDoS (on 1 s, off 1 s: "idle every other second", seed 004 VI-A). */
export const DDOS_ON_OFF_NS = 1e9;
/** Packets per large-packet burst and their spacing: 1514-byte frames back to back at 1 Gbit/s. */
export const BIG_BURST_LENGTH = 16;
export const BIG_BURST_GAP_NS = (1514 + 4 + 8 + 12) * 8; // frame + FCS + preamble + inter-frame gap, 8 ns/byte

export interface InjectOptions {
  /** Synthetic anomaly kind; omit when `attackPcap` is given. */
  kind?: AnomalyKind;
  /** Start of the anomaly, ns after the background's first packet (>= 0). */
  atNs: number;
  /** Duration in ns (required for synthetic kinds; for an attack capture it cuts the replay). */
  forNs?: number;
  /** Packets per second while the source is on (synthetic kinds). */
  rate?: number;
  /** On/off period in ns (default 1 s for ddos, 0 = always on for the others). */
  onOffNs?: number;
  /** Seed of every random choice (default 1). */
  seed?: number;
  /** Target IPv4 address (default 198.51.100.10). */
  target?: string;
  port?: number;
  proto?: 'tcp' | 'udp';
  /** Arrival process (default 'poisson'). */
  model?: ArrivalModel;
  /** Final infected-set size of the worm (default 1024). */
  maxInfected?: number;
  /** A real attack capture to merge instead of a synthetic kind. */
  attackPcap?: string;
  /** Attack capture replay speed (default 1; > 1 compresses time). */
  speed?: number;
  /** Replay the attack capture back to back until `forNs` is filled. */
  loop?: boolean;
  /** Choose the speed so that one replay of the attack capture lasts exactly `forNs`. */
  fit?: boolean;
  /** Called after each background batch with the background packets and file bytes read so far. */
  onProgress?: (backgroundPackets: number, bytesRead: number) => void;
}

export interface InjectReport {
  input: string;
  output: string;
  /** The synthetic kind, or 'pcap' for an attack capture. */
  kind: AnomalyKind | 'pcap';
  attackPcap: string | null;
  seed: number;
  atNs: number;
  forNs: number | null;
  rate: number | null;
  onOffNs: number;
  model: ArrivalModel | null;
  target: string | null;
  port: number | null;
  proto: 'tcp' | 'udp' | null;
  speed: number | null;
  loops: number | null;
  linkType: number;
  backgroundPackets: number;
  /** Background packets converted from another link type. */
  backgroundConverted: number;
  /** Background packets dropped because they could not be expressed in the output link type. */
  backgroundSkipped: number;
  injectedPackets: number;
  injectedBytes: number;
  /** Attack-capture packets without an IP packet that could not be converted to the output link type. */
  attackSkipped: number;
  /** Attack-capture packets after `at + for` that were cut. */
  attackCut: number;
  outputPackets: number;
  backgroundFirstNs: bigint;
  backgroundLastNs: bigint;
  firstInjectedNs: bigint | null;
  lastInjectedNs: bigint | null;
  /** Time of the first/last injected packet relative to the background's first packet, seconds. */
  firstInjectedS: number | null;
  lastInjectedS: number | null;
}

function bad(code: string, message: string, hint?: string): never {
  throw new UserError(code, message, hint);
}

function validate(o: InjectOptions): void {
  if (!(o.atNs >= 0) || !Number.isFinite(o.atNs)) bad('anomaly.bad-at', `--at must be a time >= 0 (got ${o.atNs} ns)`);
  if (o.forNs !== undefined && !(o.forNs > 0 && Number.isFinite(o.forNs))) bad('anomaly.bad-for', `--for must be a positive duration (got ${o.forNs} ns)`);
  if (o.onOffNs !== undefined && !(o.onOffNs >= 0 && Number.isFinite(o.onOffNs))) bad('anomaly.bad-on-off', `--on-off must be a duration >= 0 (got ${o.onOffNs} ns)`);
  if (o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= 0xffffffff)) {
    bad('anomaly.bad-seed', `--seed must be an integer in [0, 2^32) (got ${o.seed})`);
  }
  if (o.attackPcap !== undefined) {
    if (o.kind !== undefined) bad('anomaly.kind-and-pcap', 'give either --kind or --attack-pcap, not both');
    if (o.rate !== undefined) bad('anomaly.rate-with-pcap', '--rate does not apply to --attack-pcap (its packets keep their own timing)', 'Use --speed to replay it faster or --fit to stretch it over --for.');
    if ((o.loop || o.fit) && o.forNs === undefined) bad('anomaly.need-for', '--loop and --fit need --for (the length of the window to fill)');
    if (o.speed !== undefined && !(o.speed > 0 && Number.isFinite(o.speed))) bad('anomaly.bad-speed', `--speed must be a positive number (got ${o.speed})`);
    if (o.speed !== undefined && o.fit) bad('anomaly.speed-and-fit', 'give either --speed or --fit, not both');
    const synthOnly = { target: '--target', port: '--port', proto: '--proto', onOffNs: '--on-off', model: '--model', maxInfected: '--max-infected' } as const;
    for (const [k, flag] of Object.entries(synthOnly)) {
      if (o[k as keyof typeof synthOnly] !== undefined) bad('anomaly.flag-with-pcap', `${flag} does not apply to --attack-pcap (it applies to --kind)`);
    }
    return;
  }
  if (o.speed !== undefined || o.loop || o.fit) bad('anomaly.replay-flag', '--speed, --loop and --fit apply to --attack-pcap only');
  if (o.kind === undefined) bad('anomaly.no-kind', 'no anomaly given', `Use --kind ${ANOMALY_KINDS.join('|')} or --attack-pcap FILE.`);
  if (!ANOMALY_KINDS.includes(o.kind)) bad('anomaly.bad-kind', `unknown anomaly kind '${o.kind}'`, `Use one of: ${ANOMALY_KINDS.join(', ')}.`);
  if (o.forNs === undefined) bad('anomaly.need-for', `--for is required for --kind ${o.kind}`, 'e.g. --for 20s');
  if (!(o.rate !== undefined && o.rate > 0 && Number.isFinite(o.rate))) bad('anomaly.bad-rate', `--rate must be a positive packet rate (got ${o.rate})`, 'e.g. --rate 50000');
}

/** Merges an anomaly into `input` and writes `out`; see the module doc. */
export async function injectAnomaly(input: string, out: string, opts: InjectOptions): Promise<InjectReport> {
  validate(opts);
  if (resolve(input) === resolve(out)) bad('anomaly.same-file', `output '${out}' is the input trace`, 'Write to a new file.');
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const arrivalRng = rng.fork();
  const headerRng = rng.fork();
  const retimeSeed = rng.nextU32();

  const bgStream = readBatches(input);
  const bgIt = bgStream[Symbol.asyncIterator]();
  let batch: PacketBatch | undefined;
  for (;;) {
    const r = await bgIt.next();
    if (r.done) bad('anomaly.empty-background', `background trace '${input}' has no packets`, 'Inject into a trace with at least one packet.');
    if (r.value.count > 0) {
      batch = r.value;
      break;
    }
  }
  const baseNs = batch.timestampNs(0);
  const linkType = batch.linkType[0]!;

  const report: InjectReport = {
    input,
    output: out,
    kind: opts.kind ?? 'pcap',
    attackPcap: opts.attackPcap ?? null,
    seed,
    atNs: opts.atNs,
    forNs: opts.forNs ?? null,
    rate: opts.rate ?? null,
    onOffNs: 0,
    model: null,
    target: null,
    port: null,
    proto: null,
    speed: null,
    loops: null,
    linkType,
    backgroundPackets: 0,
    backgroundConverted: 0,
    backgroundSkipped: 0,
    injectedPackets: 0,
    injectedBytes: 0,
    attackSkipped: 0,
    attackCut: 0,
    outputPackets: 0,
    backgroundFirstNs: baseNs,
    backgroundLastNs: baseNs,
    firstInjectedNs: null,
    lastInjectedNs: null,
    firstInjectedS: null,
    lastInjectedS: null,
  };

  let source!: InjectionSource;
  let tmp: string | undefined;
  let available = 0;
  const endNs = opts.forNs === undefined ? Infinity : opts.atNs + opts.forNs;
  try {
    linkHeaderLength(linkType); // throws a UserError for link types the injector cannot write
    if (opts.attackPcap !== undefined) {
      await stat(opts.attackPcap).catch(() => bad('anomaly.no-attack-file', `attack capture '${opts.attackPcap}' does not exist`));
      const span = await traceSpan(opts.attackPcap);
      if (span.packets === 0) bad('anomaly.empty-attack', `attack capture '${opts.attackPcap}' has no packets`, 'Give a capture with at least one packet.');
      const spanNs = Number(span.lastNs - span.firstNs);
      const gapNs = span.packets > 1 ? spanNs / (span.packets - 1) : 1000;
      let speed = opts.speed ?? 1;
      if (opts.fit && opts.forNs !== undefined) speed = spanNs > 0 ? spanNs / opts.forNs : 1;
      const periodNs = (spanNs + Math.max(gapNs, 1)) / speed;
      const loops = opts.loop && opts.forNs !== undefined ? Math.min(65535, Math.max(1, Math.ceil(opts.forNs / periodNs))) : 1;
      tmp = join(tmpdir(), `loadcast-attack-${process.pid}-${randomBytes(6).toString('hex')}.pcap`);
      await retimeTrace(opts.attackPcap, tmp, { speed, startNs: baseNs + BigInt(Math.round(opts.atNs)), loop: loops, seed: retimeSeed });
      available = span.packets * loops;
      report.speed = speed;
      report.loops = loops;
      source = new CaptureSource(tmp, baseNs, endNs, linkType);
    } else {
      const kind = opts.kind!;
      const onOffNs = opts.onOffNs ?? (kind === 'ddos' ? DDOS_ON_OFF_NS : 0);
      const arrivals = new ArrivalProcess(
        {
          startNs: opts.atNs,
          endNs,
          rate: opts.rate!,
          onOffNs,
          model: opts.model,
          burstLength: kind === 'bigpackets' ? BIG_BURST_LENGTH : 1,
          burstGapNs: kind === 'bigpackets' ? BIG_BURST_GAP_NS : 0,
        },
        arrivalRng,
      );
      const gen = makeKindGenerator(kind, headerRng, {
        target: opts.target,
        port: opts.port,
        proto: opts.proto,
        forNs: opts.forNs!,
        maxInfected: opts.maxInfected,
      });
      report.onOffNs = onOffNs;
      report.model = opts.model ?? 'poisson';
      report.target = kind === 'worm' ? null : kind === 'bigpackets' && opts.target === undefined ? null : (opts.target ?? DEFAULT_TARGET);
      report.port = opts.port ?? ({ ddos: 80, synflood: 80, worm: opts.proto === 'udp' ? 1434 : 445, bigpackets: 443 } as const)[kind];
      report.proto = kind === 'ddos' ? (opts.proto ?? 'udp') : kind === 'worm' ? (opts.proto ?? 'tcp') : 'tcp';
      source = new SyntheticSource(arrivals, gen, linkType, opts.atNs, headerRng);
    }
  } catch (e) {
    await bgIt.return?.();
    if (tmp) await rm(tmp, { force: true });
    throw e;
  }

  let w: PcapWriter | undefined;
  try {
    w = await PcapWriter.open(out, { linkType, snaplen: 262144, nanosecond: true, gzip: out.endsWith('.gz') });
    const relinkBuf = new Uint8Array(262144 + 64);
    let last = baseNs;
    for (;;) {
      const b = batch!;
      const batchRel = Number(b.startNs - baseNs);
      for (let i = 0; i < b.count; i++) {
        const t = batchRel + b.offsetNs[i]!;
        for (;;) {
          if (source.needsFill) await source.fill();
          if (!(source.nextNs < t)) break;
          source.emit(w, baseNs);
        }
        report.backgroundPackets++;
        const data = frameInLinkType(b, i, linkType, relinkBuf);
        if (data === undefined) {
          report.backgroundSkipped++;
          continue;
        }
        if (b.linkType[i] !== linkType) report.backgroundConverted++;
        const ts = b.startNs + BigInt(b.offsetNs[i]!);
        if (ts > last) last = ts;
        w.write(ts, data, b.wireLen[i]! + data.length - b.capLen[i]!);
      }
      opts.onProgress?.(report.backgroundPackets, bgStream.bytesRead);
      const r = await bgIt.next();
      if (r.done) break;
      batch = r.value;
    }
    for (;;) {
      if (source.needsFill) await source.fill();
      if (source.nextNs === Infinity) break;
      source.emit(w, baseNs);
    }
    await w.close();
    report.backgroundLastNs = last;
  } catch (e) {
    await w?.close().catch(() => undefined);
    throw e;
  } finally {
    await source.close();
    await bgIt.return?.();
    if (tmp) await rm(tmp, { force: true });
  }

  const s = source.stats;
  report.injectedPackets = s.packets;
  report.injectedBytes = s.bytes;
  report.attackSkipped = s.skipped;
  if (opts.attackPcap !== undefined) report.attackCut = available - s.packets - s.skipped;
  report.outputPackets = w.packets;
  if (s.packets > 0) {
    report.firstInjectedNs = baseNs + BigInt(Math.round(s.firstNs));
    report.lastInjectedNs = baseNs + BigInt(Math.round(s.lastNs));
    report.firstInjectedS = s.firstNs / 1e9;
    report.lastInjectedS = s.lastNs / 1e9;
  }
  return report;
}
