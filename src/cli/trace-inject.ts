/** `loadcast trace inject`: merge a synthetic anomaly or a real attack capture into a background trace. */
import type { Command } from 'commander';
import { ANOMALY_KINDS, injectAnomaly, type AnomalyKind, type InjectReport } from '../anomaly/index.ts';
import { UserError } from '../errors.ts';
import { fileSize, formatTable, printResult, progress } from './output.ts';
import { parseDurationNs, parseNumber } from '../units.ts';

interface InjectFlags {
  out: string;
  kind?: string;
  attackPcap?: string;
  at: string;
  for?: string;
  rate?: string;
  onOff?: string;
  seed: string;
  target?: string;
  port?: string;
  proto?: string;
  model?: string;
  maxInfected?: string;
  speed?: string;
  loop?: boolean;
  fit?: boolean;
  json?: boolean;
}

/** A duration that may be zero (`0`, `0s`); otherwise as parseDurationNs. */
function parseDurationOrZero(text: string, flag: string): number {
  return /^\s*0+(\.0*)?\s*[a-zµ]*\s*$/i.test(text) ? 0 : parseDurationNs(text, flag, 's');
}

function parseRate(text: string): number {
  // Accept 50000, 50k, 1.5M.
  const m = /^\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*$/.exec(text);
  const v = m ? Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1e3 : m[2]!.toLowerCase() === 'm' ? 1e6 : 1) : NaN;
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new UserError('cli.bad-number', `--rate: '${text}' is not a packet rate`, 'Packets per second, e.g. 20000, 20k or 1.5M.');
  }
  return v;
}

const DESCRIPTION =
  'Write a copy of a background trace with a synthetic anomaly (DDoS, SYN flood, worm scan, large-packet ' +
  'bursts) or a real attack capture merged in, in time order (streaming).';

const DETAILS = `
Output: nanosecond pcap in the background's link type (Ethernet, raw IP, Linux
SLL/SLL2), gzip if the name ends in .gz. Injected packets are valid IPv4 TCP or
UDP frames with correct IPv4, TCP and UDP checksums. The background is never
loaded whole; anomaly packets are generated as the merge advances.

Kinds (seed 004, section VI):
  ddos        spoofed random source IPs and ports to one target:port; UDP with
              an 18-byte payload (60-byte frames), or --proto tcp for SYNs;
              idle every other second by default (--on-off 1s)
  synflood    TCP SYNs from spoofed random sources to one target:port for the
              whole duration
  worm        random-scanning worm: fixed destination port (TCP SYN to 445, or
              --proto udp: Slammer-like 404-byte datagrams to 1434), random
              destinations; sources from an infected set that grows logistically
              from 1 to --max-infected hosts over --for (newly infected hosts
              are earlier scan targets)
  bigpackets  1500-byte IP packets (1514-byte frames, random payload) on 4 TCP
              flows between a few hosts, in bursts of 16 back-to-back packets
              at 1 Gbit/s

Timing: a seeded Poisson process at --rate packets/s while on, within
[--at, --at + --for), measured from the background's first packet. With
--on-off P the source is on for P, off for P, ... (no packet while off), so the
mean rate is half of --rate. The same --seed gives byte-identical output.

--attack-pcap merges a real capture instead: retimed so that its first packet
falls at --at (--speed, or --fit to stretch one replay over --for), repeated
back to back with --loop (each repetition with remapped host addresses, so its
flows are new), cut at --at + --for, converted to the background's link type.

Examples:
  loadcast trace inject bg.pcap --out ddos.pcap --kind ddos --at 10s --for 60s --rate 20k
  loadcast trace inject bg.pcap --out syn.pcap --kind synflood --at 30s --for 20s \\
      --rate 50k --target 10.0.0.5
  loadcast trace inject bg.pcap --out real.pcap --attack-pcap attack.pcap --at 10s --for 20s --loop`;

export function registerTraceInject(trace: Command): void {
  trace
    .command('inject')
    .description(DESCRIPTION)
    .addHelpText('after', DETAILS)
    .argument('<in>', 'background trace (pcap, pcapng, optionally gzip)')
    .requiredOption('--out <file>', 'output trace (classic pcap, nanosecond timestamps; .gz = gzip)')
    .option('--kind <kind>', `synthetic anomaly: ${ANOMALY_KINDS.join(' | ')}`)
    .option('--attack-pcap <file>', 'merge this real attack capture instead of a synthetic kind')
    .option('--at <time>', 'start, measured from the background trace\'s first packet (e.g. 10s)', '0s')
    .option('--for <duration>', 'duration of the anomaly (required for --kind; cuts an --attack-pcap)')
    .option('--rate <pps>', 'packets per second while on (e.g. 20000, 20k)')
    .option('--on-off <duration>', 'alternate on and off periods of this length (default 1s for ddos, 0 = always on)')
    .option('--seed <n>', 'seed of every random choice', '1')
    .option('--target <ip>', 'target IPv4 address for ddos/synflood (default 198.51.100.10) and bigpackets destination')
    .option('--port <n>', 'destination port (default: ddos 80, synflood 80, worm 445 or 1434, bigpackets 443)')
    .option('--proto <tcp|udp>', 'transport of ddos (default udp) and worm (default tcp)')
    .option('--model <poisson|constant>', 'arrival process: Poisson (default) or evenly spaced')
    .option('--max-infected <n>', 'worm: final size of the infected set (default 1024)')
    .option('--speed <x>', 'attack capture replay speed (> 1 compresses time)')
    .option('--loop', 'repeat the attack capture back to back until --for is filled')
    .option('--fit', 'choose the speed so that one replay of the attack capture lasts --for')
    .option('--json', 'print the injection report as JSON')
    .action(async (input: string, o: InjectFlags) => {
      if (o.kind !== undefined && !ANOMALY_KINDS.includes(o.kind as AnomalyKind)) {
        throw new UserError('cli.bad-kind', `--kind: '${o.kind}' is not an anomaly kind`, `Use one of: ${ANOMALY_KINDS.join(', ')}.`);
      }
      if (o.proto !== undefined && o.proto !== 'tcp' && o.proto !== 'udp') {
        throw new UserError('cli.bad-proto', `--proto: '${o.proto}' must be tcp or udp`);
      }
      if (o.model !== undefined && o.model !== 'poisson' && o.model !== 'constant') {
        throw new UserError('cli.bad-model', `--model: '${o.model}' must be poisson or constant`);
      }
      const size = fileSize(input) || 1; // injectAnomaly reports a missing file
      const bar = progress('inject', size, { json: o.json, format: '{value}/{total} bytes | {packets} packets' });
      const report = await injectAnomaly(input, o.out, {
        kind: o.kind as AnomalyKind | undefined,
        attackPcap: o.attackPcap,
        atNs: parseDurationOrZero(o.at, '--at'),
        forNs: o.for === undefined ? undefined : parseDurationNs(o.for, '--for', 's'),
        rate: o.rate === undefined ? undefined : parseRate(o.rate),
        onOffNs: o.onOff === undefined ? undefined : parseDurationOrZero(o.onOff, '--on-off'),
        seed: parseNumber(o.seed, '--seed', { min: 0, max: 0xffffffff, integer: true }),
        target: o.target,
        port: o.port === undefined ? undefined : parseNumber(o.port, '--port', { min: 1, max: 65535, integer: true }),
        proto: o.proto as 'tcp' | 'udp' | undefined,
        model: o.model as 'poisson' | 'constant' | undefined,
        maxInfected: o.maxInfected === undefined ? undefined : parseNumber(o.maxInfected, '--max-infected', { min: 1, max: 1 << 24, integer: true }),
        speed: o.speed === undefined ? undefined : parseNumber(o.speed, '--speed', { min: 1e-9 }),
        loop: o.loop,
        fit: o.fit,
        onProgress: (packets, bytes) => bar.update(Math.min(bytes, size), { packets }),
      });
      bar.stop();
      printResult(report, o.json, formatReport);
    });
}

function seconds(ns: number | null): string {
  return ns === null ? '-' : `${(ns / 1e9).toFixed(3)} s`;
}

function formatReport(r: InjectReport): string {
  const what = r.kind === 'pcap' ? `attack capture ${r.attackPcap} (speed ${r.speed?.toPrecision(4)}, ${r.loops} replay(s))` : r.kind;
  const rows: (string | number)[][] = [
    ['field', 'value'],
    ['anomaly', what],
    ['window', `${seconds(r.atNs)} + ${seconds(r.forNs)} after the first background packet`],
  ];
  if (r.kind !== 'pcap') {
    rows.push(['rate', `${r.rate} pkt/s while on (${r.model}${r.onOffNs > 0 ? `, on/off ${seconds(r.onOffNs)}` : ''})`]);
    rows.push(['destination', `${r.target ?? 'many hosts'}:${r.port}/${r.proto}`]);
  }
  rows.push(
    ['seed', r.seed],
    ['link type', r.linkType],
    ['background packets', r.backgroundPackets],
    ['injected packets', r.injectedPackets],
    ['injected bytes', r.injectedBytes],
    ['output packets', r.outputPackets],
    ['first/last injected', r.firstInjectedS === null ? 'none' : `${r.firstInjectedS.toFixed(3)} s / ${r.lastInjectedS!.toFixed(3)} s`],
  );
  if (r.backgroundConverted) rows.push(['background converted', r.backgroundConverted]);
  if (r.backgroundSkipped) rows.push(['background skipped (no IP)', r.backgroundSkipped]);
  if (r.attackSkipped) rows.push(['attack skipped (no IP)', r.attackSkipped]);
  if (r.attackCut) rows.push(['attack cut after window', r.attackCut]);
  const bgSpanS = Number(r.backgroundLastNs - r.backgroundFirstNs) / 1e9;
  let text = `${formatTable(rows)}\nwrote ${r.output}`;
  if (r.atNs / 1e9 > bgSpanS) {
    text += `\nnote: the anomaly starts after the background ends (${bgSpanS.toFixed(3)} s long)`;
  }
  return text;
}
