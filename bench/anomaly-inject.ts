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
import { mergeTraces, retimeTrace, traceInfo } from '../src/capture/index.ts';
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

// Reference: mergecap on the background and the already retimed attack (loadcast's own retime output), next to
// loadcast's mergeTraces on the same two files. Both only merge (no retiming, no generation).
let mergecap: Record<string, number | string | boolean>;
const probe = spawnSync('mergecap', ['-v'], { encoding: 'utf8' });
if (probe.error) mergecap = { skipped: 'mergecap not installed' };
else {
  const retimed = '/tmp/loadcast-bench-attack-retimed.pcap';
  const bgStart = (await traceInfo(BG)).firstNs!;
  await retimeTrace(ATTACK, retimed, { startNs: bgStart + 100_000_000_000n, loop: 147 });
  const t0 = process.hrtime.bigint();
  const m = spawnSync('mergecap', ['-F', 'pcap', '-w', OUT, BG, retimed]);
  const mergecapSeconds = secondsSince(t0);
  const t1 = process.hrtime.bigint();
  const ours = await mergeTraces([BG, retimed], OUT);
  mergecap = {
    mergecapOk: m.status === 0,
    mergecapSeconds: Math.round(mergecapSeconds * 1000) / 1000,
    loadcastMergeTracesSeconds: Math.round(secondsSince(t1) * 1000) / 1000,
    packets: ours.packets,
  };
  rmSync(retimed, { force: true });
}
rmSync(OUT, { force: true });
console.log(JSON.stringify({ bench: 'anomaly-inject', node: process.version, backgroundBytes: bgBytes, runs, mergecapReference: mergecap }));
