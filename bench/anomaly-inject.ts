/**
 * Speed of `injectAnomaly`: a ~1.1M-packet background (the real SYN-flood capture retimed back to back 30
 * times, built in /tmp) with (a) a synthetic SYN flood of ~2M packets and (b) a real attack capture merged in.
 * Reference for (b), in the same run: Wireshark's `mergecap` merging the same two files (when installed; it
 * does not retime, so its input is the attack capture already retimed by loadcast). Prints one JSON object.
 *
 *   npx tsx bench/anomaly-inject.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { retimeTrace } from '../src/capture/index.ts';
import { injectAnomaly } from '../src/anomaly/index.ts';

const SRC = '../shared/data/pcap/stopddos__pkt.TCP.synflood.spoofed.pcap';
const ATTACK = '../shared/data/pcap/stopddos__amp.UDP.isakmp.pcap';
const BG = '/tmp/loadcast-bench-bg.pcap';
const OUT = '/tmp/loadcast-bench-inject.pcap';

if (!existsSync(BG)) await retimeTrace(SRC, BG, { loop: 30 });
const bgBytes = statSync(BG).size;

function secondsSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const runs = [];
for (const [label, opts] of [
  ['synflood 200 kpps x 10 s', { kind: 'synflood', atNs: 100e9, forNs: 10e9, rate: 200_000 }],
  ['bigpackets 50 kpps x 10 s', { kind: 'bigpackets', atNs: 100e9, forNs: 10e9, rate: 50_000 }],
  ['attack capture, looped over 60 s', { attackPcap: ATTACK, atNs: 100e9, forNs: 60e9, loop: true }],
] as const) {
  const t0 = process.hrtime.bigint();
  const r = await injectAnomaly(BG, OUT, opts);
  const s = secondsSince(t0);
  const total = r.backgroundPackets + r.injectedPackets;
  runs.push({
    label,
    seconds: Math.round(s * 1000) / 1000,
    backgroundPackets: r.backgroundPackets,
    injectedPackets: r.injectedPackets,
    outputMpps: Math.round((total / s / 1e6) * 1000) / 1000,
    outputMBps: Math.round(statSync(OUT).size / s / 1e6),
  });
}

// Reference: mergecap on the background and the already retimed attack (loadcast's own retime output).
let mergecap: { seconds: number; packets: number } | { skipped: string };
const probe = spawnSync('mergecap', ['-v'], { encoding: 'utf8' });
if (probe.error) mergecap = { skipped: 'mergecap not installed' };
else {
  const retimed = '/tmp/loadcast-bench-attack-retimed.pcap';
  const first = (await import('../src/capture/index.ts')).traceInfo;
  const bgStart = (await first(BG)).firstNs!;
  await retimeTrace(ATTACK, retimed, { startNs: bgStart + 100_000_000_000n, loop: 147 });
  const t0 = process.hrtime.bigint();
  const m = spawnSync('mergecap', ['-F', 'pcap', '-w', OUT, BG, retimed]);
  const s = secondsSince(t0);
  const ours = process.hrtime.bigint();
  const { mergeTraces } = await import('../src/capture/index.ts');
  await mergeTraces([BG, retimed], OUT);
  mergecap = {
    seconds: Math.round(s * 1000) / 1000,
    packets: m.status === 0 ? 0 : -1,
    loadcastMergeTracesSeconds: Math.round(secondsSince(ours) * 1000) / 1000,
  } as { seconds: number; packets: number };
  rmSync(retimed, { force: true });
}
rmSync(OUT, { force: true });
console.log(JSON.stringify({ bench: 'anomaly-inject', node: process.version, backgroundBytes: bgBytes, runs, mergecapReference: mergecap }));
