/**
 * Inputs of the shedding experiment (seed 004 section VI): a dense background built from a real trace, and the
 * same background with the anomalies injected.
 *
 * Background: the source trace is repeated back to back (`retimeTrace --loop`, each repetition with its own
 * address keys, so repetitions are new flows) and sped up so that the result carries `rate` packets/s for
 * `seconds` seconds: loop = ceil(rate x seconds / packets), speed = loop x span / seconds. The default, 60,000
 * packets/s for 60 s, is about the density of the seed's own trace (103.67 M packets in 30 min = 57.6 kpps), so a
 * batch holds ~6,000 packets and a query's cost per batch is well above timer and scheduling noise.
 *
 * How much a trace's flows get compressed matters: a repetition lasts span / speed (a few ms to a second), so
 * the share of packets that open a new 5-tuple in an interval is about flows / packets of the source trace (Tinba
 * 0.74, gnutella 0.24). With a background that is already mostly new flows (Tinba), a spoofed DDoS barely
 * changes a flow query's cost per packet, and MLR has no signal to beat SLR with.
 *
 * Anomalies (src/anomaly): (a) a spoofed DDoS (random sources and ports against one target) idle every other
 * second, for Fig. 3; (b) a 20 s SYN flood with spoofed sources, for Figs. 4 and 5. With a real attack capture
 * (`attack` = a pcap path) the capture is merged in instead, looped and sped up to the same packet rate.
 */
import { join } from 'node:path';
import { injectAnomaly, type InjectReport } from '../anomaly/index.ts';
import { retimeTrace, traceInfo } from '../capture/index.ts';
import { UserError } from '../errors.ts';

export interface SheddingInputOptions {
  readonly background: string;
  /** 'synthetic' or the path of an attack capture. */
  readonly attack: string;
  readonly outDir: string;
  /** Background packets per second (default 60,000: the seed's trace carried 103.67 M packets in 30 min). */
  readonly rate?: number;
  /** Background length in seconds (default 60). */
  readonly seconds?: number;
  /** Anomaly start (s after the background's first packet; default 20, leaving a normal part for warm-up). */
  readonly attackAtS?: number;
  /** DDoS length (s, default 30) and SYN-flood length (s, default 20). */
  readonly ddosForS?: number;
  readonly synForS?: number;
  /** Attack packets per second while on, as a multiple of the background rate (default 2). */
  readonly attackFactor?: number;
  readonly seed?: number;
}

export interface SheddingInputs {
  readonly background: string;
  readonly ddos: string;
  readonly synflood: string;
  readonly backgroundPackets: number;
  readonly backgroundSeconds: number;
  readonly backgroundRate: number;
  readonly loop: number;
  readonly speed: number;
  readonly attackRate: number;
  readonly attackAtNs: number;
  readonly ddosForNs: number;
  readonly synForNs: number;
  readonly attack: string;
  readonly ddosReport: InjectReport;
  readonly synReport: InjectReport;
}

/** Builds the background and the two attacked traces in `outDir` (overwrites them). */
export async function buildSheddingInputs(o: SheddingInputOptions): Promise<SheddingInputs> {
  const rate = o.rate ?? 60000;
  const seconds = o.seconds ?? 60;
  const seed = o.seed ?? 1;
  const info = await traceInfo(o.background);
  if (info.packets < 100 || info.firstNs === null || info.lastNs === null || info.durationS <= 0) {
    throw new UserError('experiment.background-too-small', `background ${o.background} has ${info.packets} packets over ${info.durationS} s`, 'use a trace with at least 100 packets spread over time');
  }
  const loop = Math.ceil((rate * seconds) / info.packets);
  if (loop > 65535) throw new UserError('experiment.background-too-small', `background ${o.background} would need ${loop} repetitions`, 'use a larger trace or a lower --rate');
  // One repetition spans (last - first) plus one mean gap (retime's period); make `loop` of them last `seconds`.
  const span = info.durationS * (1 + 1 / info.packets);
  const speed = (loop * span) / seconds;
  const background = join(o.outDir, 'background.pcap');
  const bg = await retimeTrace(o.background, background, { loop, speed, seed });
  const bgSeconds = (loop * span) / speed;
  const attackAtNs = (o.attackAtS ?? 20) * 1e9;
  const ddosForNs = (o.ddosForS ?? 30) * 1e9;
  const synForNs = (o.synForS ?? 20) * 1e9;
  const attackRate = (o.attackFactor ?? 2) * rate;
  const ddos = join(o.outDir, 'ddos.pcap');
  const synflood = join(o.outDir, 'synflood.pcap');
  let ddosReport: InjectReport;
  let synReport: InjectReport;
  if (o.attack === 'synthetic') {
    ddosReport = await injectAnomaly(background, ddos, { kind: 'ddos', atNs: attackAtNs, forNs: ddosForNs, rate: attackRate, onOffNs: 1e9, seed: seed + 1 });
    synReport = await injectAnomaly(background, synflood, { kind: 'synflood', atNs: attackAtNs, forNs: synForNs, rate: attackRate, seed: seed + 2 });
  } else {
    const a = await traceInfo(o.attack);
    if (a.packets === 0 || a.durationS <= 0) throw new UserError('experiment.attack-empty', `attack capture ${o.attack} has no usable packets`, 'pick a capture with packets spread over time');
    const speedA = attackRate / (a.packets / a.durationS);
    ddosReport = await injectAnomaly(background, ddos, { attackPcap: o.attack, atNs: attackAtNs, forNs: ddosForNs, speed: speedA, loop: true, seed: seed + 1 });
    synReport = await injectAnomaly(background, synflood, { attackPcap: o.attack, atNs: attackAtNs, forNs: synForNs, speed: speedA, loop: true, seed: seed + 2 });
  }
  return {
    background,
    ddos,
    synflood,
    backgroundPackets: bg.packets,
    backgroundSeconds: bgSeconds,
    backgroundRate: bg.packets / bgSeconds,
    loop,
    speed,
    attackRate,
    attackAtNs,
    ddosForNs,
    synForNs,
    attack: o.attack,
    ddosReport,
    synReport,
  };
}
