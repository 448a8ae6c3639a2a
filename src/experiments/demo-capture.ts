/**
 * Demo, capture part: `traceInfo` of every input trace (one summary row each) and the capture speed, measured
 * by scanning (read + decode + 100 ms batching) a dense trace built from the background with retimeTrace --loop.
 */
import { rm, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { readBatches, retimeTrace, traceInfo, type TraceInfo } from '../capture/index.ts';

export interface TraceRow {
  file: string;
  format: string;
  link: string;
  packets: number;
  durationS: number;
  flows: number;
  /** e.g. "tcp 81%, udp 19%". */
  protocols: string;
}

export interface CaptureSpeed {
  source: string;
  loop: number;
  speed: number;
  packets: number;
  bytes: number;
  /** Seconds and packets/s of each scan pass (the first one reads from a cold page cache less often than not). */
  passes: { seconds: number; mpps: number }[];
  bestMpps: number;
  retimeSeconds: number;
}

function protocolMix(p: TraceInfo['protocols'], packets: number): string {
  if (packets === 0) return '-';
  const parts: [string, number][] = [
    ['tcp', p.tcp],
    ['udp', p.udp],
    ['icmp', p.icmp + p.icmpv6],
    ['other IP', p.otherIp],
    ['non-IP', p.nonIp],
  ];
  // Shares below 1% are left out (the full counts are in `trace info`).
  const shown = parts
    .filter(([, n]) => n / packets >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${Math.round((100 * n) / packets)}%`);
  return shown.length ? shown.join(', ') : '-';
}

function traceRow(info: TraceInfo): TraceRow {
  return {
    file: basename(info.file),
    format: info.gzip ? `${info.format}.gz` : info.format,
    link: info.linkTypes.map((l) => l.name).join(', ') || '-',
    packets: info.packets,
    durationS: info.durationS,
    flows: info.flowsOneWay,
    protocols: protocolMix(info.protocols, info.packets),
  };
}

/** Summaries of `files`, in order. */
export async function summariseTraces(files: readonly string[]): Promise<{ rows: TraceRow[]; infos: TraceInfo[] }> {
  const infos: TraceInfo[] = [];
  for (const f of files) infos.push(await traceInfo(f));
  return { rows: infos.map(traceRow), infos };
}

/** Largest dense trace built for the scan (bytes): traces of full-size packets reach it before the packet target. */
const MAX_DENSE_BYTES = 600e6;

/**
 * Builds `densePath` from `source` looped so it holds about `targetPackets` packets (at most
 * {@link MAX_DENSE_BYTES}) at ~1 Mpacket/s of trace time (so batching sees full 100 ms bins, not millions of
 * empty ones), scans it `passes` times and deletes it.
 */
export async function measureCaptureSpeed(source: string, densePath: string, targetPackets: number, passes = 2, seed = 1): Promise<CaptureSpeed> {
  const info = await traceInfo(source);
  const perCopy = Math.max(1, info.capturedBytes + 16 * info.packets);
  const byPackets = Math.ceil(targetPackets / Math.max(1, info.packets));
  const loop = Math.max(1, Math.min(65535, byPackets, Math.floor(MAX_DENSE_BYTES / perCopy)));
  const span = Math.max(info.durationS, 1e-3);
  const speed = Math.max(1, (loop * span) / ((loop * info.packets) / 1e6));
  const t0 = performance.now();
  const { packets } = await retimeTrace(source, densePath, { loop, speed, seed });
  const retimeSeconds = (performance.now() - t0) / 1000;
  const bytes = (await stat(densePath)).size;
  const runs: { seconds: number; mpps: number }[] = [];
  try {
    for (let p = 0; p < passes; p++) {
      const t = performance.now();
      let n = 0;
      for await (const b of readBatches(densePath)) n += b.count;
      const seconds = (performance.now() - t) / 1000;
      runs.push({ seconds, mpps: n / seconds / 1e6 });
    }
  } finally {
    await rm(densePath, { force: true });
  }
  return { source, loop, speed, packets, bytes, passes: runs, bestMpps: Math.max(...runs.map((r) => r.mpps)), retimeSeconds };
}
