/**
 * The benchmarks' dense traces, defined once (bench/capture-scan.ts, bench/monitor.ts and bench/flows.ts all
 * build and read them from here). Each is a real trace from ../shared/data/pcap replayed back to back with
 * `retimeTrace --loop` (every repetition gets its own address mapping, so its flows are new flows) and sped up to
 * {@link DENSE_PPS} packets per second of trace time. Built at bench time into {@link DENSE_DIR}, never committed;
 * the file names carry the recipe, so a trace built with another recipe is never reused by mistake.
 *
 * Why 1 Mpps: it is the packet rate of a busy 10 Gbit/s link with mixed packet sizes (the CoMo papers' setting is
 * a monitor that keeps up with its link), and it makes a 100 ms batch hold ~100 k packets, so a benchmark measures
 * per-packet costs, not the per-batch fixed costs that dominate a trace replayed at its own speed (the StopDDoS
 * SYN flood at 1.6 kpkt/s gives 160-packet batches). With 1 s measurement intervals a flood trace then holds
 * ~1 M distinct flows per interval, just under the flow table's default bound (1,048,576): the worst case for
 * a flow table that still evicts nothing.
 *
 *   capture  StopDDoS spoofed SYN flood (37,841 packets, 23.7 s, ~37.6 k flows) looped `loop` times at 1 Mpps:
 *            140 loops = 5.30 M packets (~5.3 s of trace, ~400 MB): "the dense trace of the capture benchmark";
 *            360 loops = 13.6 M packets, ~1 GB (the memory measurement).
 *   flood    the CIC-DDoS2019 SYN-flood slice (26,316 packets, 13,122 flows, 2 packets per flow) looped to ~2.1 M
 *            packets at 1 Mpps.
 *   mixed    five general Ethernet traces (nDPI netflix + gnutella + bitcoin, Malcolm wannacry, ESnet nmap), each
 *            squeezed into the same 1 s and merged (11.6 k packets, ~1.3 k flows, ~9 packets per flow), then
 *            looped to ~2.1 M packets at 1 Mpps (~110 k flows per 1 s interval).
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mergeTraces, retimeTrace, traceSpan } from '../../src/capture/index.ts';

const DENSE_DIR = '/tmp/loadcast-bench';
/** Packets per second of trace time of every dense trace. */
const DENSE_PPS = 1_000_000;
const DATA = '../shared/data/pcap';
const CAPTURE_SOURCE = `${DATA}/stopddos__pkt.TCP.synflood.spoofed.pcap`;
const FLOOD_SOURCE = `${DATA}/cicddos2019__CIC-DDoS-2019-SynFlood.pcap`;
const MIXED_SOURCES = ['ndpi__netflix.pcap', 'ndpi__gnutella.pcap', 'ndpi__bitcoin.pcap', 'malcolm__wannacry.pcap', 'esnet__nmap_80_all.pcap'];

export interface DenseTrace {
  readonly path: string;
  readonly packets: number;
  readonly bytes: number;
  readonly source: string;
  /** How it was built, in words (for the benchmark's JSON). */
  readonly recipe: string;
}

/**
 * The speed-up that plays `src` at `pps` packets per second once looped: retimeTrace's repetition period is
 * (last - first + mean gap) / speed, so the looped rate is packets x speed / (span + gap).
 */
async function speedFor(src: string, pps: number): Promise<{ speed: number; packets: number }> {
  const s = await traceSpan(src, {});
  const span = Number(s.lastNs - s.firstNs);
  const gap = s.packets > 1 ? span / (s.packets - 1) : 1000;
  return { speed: (pps * (span + gap)) / 1e9 / s.packets, packets: s.packets };
}

/** Retimes `src` into `out` (written to a temporary name first, so an interrupted build is never reused). */
async function loopDense(src: string, out: string, loop: number): Promise<void> {
  const { speed } = await speedFor(src, DENSE_PPS);
  const tmp = `${out}.part`;
  await retimeTrace(src, tmp, { loop, speed, seed: 1 });
  renameSync(tmp, out);
}

async function describe(path: string, source: string, recipe: string): Promise<DenseTrace> {
  const s = await traceSpan(path, {});
  return { path, packets: s.packets, bytes: statSync(path).size, source, recipe };
}

/** The capture benchmark's dense trace: the StopDDoS SYN flood looped `loop` times at 1 Mpps (see above). */
export async function captureTrace(loop = 140): Promise<DenseTrace> {
  mkdirSync(DENSE_DIR, { recursive: true });
  const path = join(DENSE_DIR, `synflood-x${loop}-${DENSE_PPS / 1e6}mpps.pcap`);
  if (!existsSync(path)) await loopDense(CAPTURE_SOURCE, path, loop);
  return describe(path, CAPTURE_SOURCE, `retimeTrace --loop ${loop} --speed (to ${DENSE_PPS / 1e6} Mpps) --seed 1`);
}

/** Loops of `src` that give about `target` packets. */
async function loopsFor(src: string, target: number): Promise<number> {
  return Math.max(1, Math.round(target / (await traceSpan(src, {})).packets));
}

/** The CIC-DDoS2019 SYN flood looped to ~`target` packets at 1 Mpps. */
export async function floodTrace(target = 2_100_000): Promise<DenseTrace> {
  mkdirSync(DENSE_DIR, { recursive: true });
  const loop = await loopsFor(FLOOD_SOURCE, target);
  const path = join(DENSE_DIR, `cicflood-x${loop}-${DENSE_PPS / 1e6}mpps.pcap`);
  if (!existsSync(path)) await loopDense(FLOOD_SOURCE, path, loop);
  return describe(path, FLOOD_SOURCE, `retimeTrace --loop ${loop} --speed (to ${DENSE_PPS / 1e6} Mpps) --seed 1`);
}

/** Five general traces squeezed into the same second, merged, and looped to ~`target` packets at 1 Mpps. */
export async function mixedTrace(target = 2_100_000): Promise<DenseTrace> {
  mkdirSync(DENSE_DIR, { recursive: true });
  const merged = join(DENSE_DIR, 'mixed-1s.pcap');
  if (!existsSync(merged)) {
    const start = 1_700_000_000_000_000_000n;
    const parts: string[] = [];
    for (const name of MIXED_SOURCES) {
      const src = join(DATA, name);
      const s = await traceSpan(src, {});
      const part = join(DENSE_DIR, `part-${name}`);
      await retimeTrace(src, part, { startNs: start, speed: Number(s.lastNs - s.firstNs) / 1e9 });
      parts.push(part);
    }
    await mergeTraces(parts, `${merged}.part`);
    renameSync(`${merged}.part`, merged);
    for (const p of parts) rmSync(p);
  }
  const loop = await loopsFor(merged, target);
  const path = join(DENSE_DIR, `mixed-x${loop}-${DENSE_PPS / 1e6}mpps.pcap`);
  if (!existsSync(path)) await loopDense(merged, path, loop);
  return describe(path, MIXED_SOURCES.join(' + '), `each squeezed into 1 s, merged, then retimeTrace --loop ${loop} --speed (to ${DENSE_PPS / 1e6} Mpps) --seed 1`);
}

/** `t` slowed down to `pps` packets per second of trace time (same packets, one retime), e.g. a monitor's load. */
export async function atRate(t: DenseTrace, pps: number): Promise<DenseTrace> {
  const path = t.path.replace(/\.pcap$/, `-at-${pps / 1e3}kpps.pcap`);
  if (!existsSync(path)) {
    await retimeTrace(t.path, `${path}.part`, { speed: pps / DENSE_PPS });
    renameSync(`${path}.part`, path);
  }
  return describe(path, t.source, `${t.recipe}, then retimeTrace --speed ${pps / DENSE_PPS} (to ${pps / 1e3} kpps)`);
}
