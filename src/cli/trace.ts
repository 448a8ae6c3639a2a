/** `loadcast trace ...`: inspect, scan, merge and retime packet traces (pcap, pcapng, gzip). */
import type { Command } from 'commander';
import { mergeTraces, readBatches, retimeTrace, traceInfo, type CaptureWarning, type TraceInfo } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { fileSize, formatTable, printResult, progress } from './output.ts';
import { parseDurationNs, parseNumber } from '../units.ts';
import { registerTraceInject } from './trace-inject.ts';

function warnPrinter(json: boolean | undefined): (w: CaptureWarning) => void {
  return (w) => {
    if (!json) process.stderr.write(`loadcast: warning: ${w.message} (${w.file}, byte offset ${w.offset})\n`);
  };
}

function parseChunk(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parseNumber(text, '--chunk-size', { min: 16, integer: true });
}

export function registerTrace(program: Command): void {
  const trace = program
    .command('trace')
    .description('Inspect and prepare packet traces (classic pcap, pcapng, either gzip-compressed; format by magic number).');

  trace
    .command('info')
    .summary('describe traces: format, link types, packets, bytes, times, protocols, IPs, flows')
    .description(
      'Report per file: format, link types, snaplen, packets, wire and captured bytes, first/last timestamp, ' +
        'duration, packets per protocol, distinct IPs, distinct 5-tuple flows (one-way and both-ways; ports 0 for ' +
        'non-TCP/UDP/SCTP and non-first fragments), reordered packets and truncated/corrupt records.',
    )
    .argument('<file...>', 'trace files')
    .option('--json', 'print JSON instead of a table')
    .option('--skip-corrupt', 'skip corrupt record headers (resynchronise) instead of failing')
    .action(async (files: string[], o: { json?: boolean; skipCorrupt?: boolean }) => {
      const out: TraceInfo[] = [];
      for (const f of files) out.push(await traceInfo(f, { skipCorrupt: o.skipCorrupt, onWarning: warnPrinter(o.json) }));
      // One blank line after each file's description.
      printResult(files.length === 1 ? out[0] : out, o.json, () => out.map((i) => `${formatInfo(i)}\n`).join('\n'));
    });

  trace
    .command('scan')
    .summary('read + decode + batch a trace and report the speed (Mpps)')
    .description('Read, decode and batch a trace without analysis; reports packets, batches, time and Mpps.')
    .argument('<file>', 'trace file')
    .option('--batch <duration>', 'batch (time bin) width, e.g. 100ms', '100ms')
    .option('--max-gap <duration>', 'gaps longer than this emit no empty batches', '60s')
    .option('--chunk-size <bytes>', 'bytes per read (default 4 MiB)')
    .option('--json', 'print JSON')
    .option('--skip-corrupt', 'skip corrupt record headers instead of failing')
    .action(async (file: string, o: { batch: string; maxGap: string; chunkSize?: string; json?: boolean; skipCorrupt?: boolean }) => {
      const binNs = Math.round(parseDurationNs(o.batch, '--batch', 'ms'));
      const maxGapNs = parseDurationNs(o.maxGap, '--max-gap', 's');
      const size = fileSize(file) ?? 0; // the reader reports a missing file
      const bar = progress('scan', size || 1, { json: o.json, format: '{value}/{total} bytes' });
      const stream = readBatches(file, { binNs, maxGapNs, chunkSize: parseChunk(o.chunkSize), skipCorrupt: o.skipCorrupt, onWarning: warnPrinter(o.json) });
      const t0 = process.hrtime.bigint();
      let packets = 0, batches = 0;
      for await (const b of stream) {
        packets += b.count;
        if (++batches % 256 === 0) bar.update(Math.min(size, stream.bytesRead));
      }
      bar.stop();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const s = stream.stats;
      const res = {
        file,
        packets,
        batches,
        emptyBatches: s.emptyBatches,
        gapsSkipped: s.gapsSkipped,
        reordered: s.reordered,
        seconds,
        mpps: packets / seconds / 1e6,
        wireBytes: s.wireBytes,
        truncatedRecords: s.truncatedRecords,
        corruptRecords: s.corruptRecords,
      };
      printResult(res, o.json, () =>
        formatTable([
          ['file', 'packets', 'batches', 'empty', 'gaps skipped', 'seconds', 'Mpps'],
          [file, packets, batches, s.emptyBatches, s.gapsSkipped, seconds.toFixed(3), res.mpps.toFixed(2)],
        ]),
      );
    });

  trace
    .command('merge')
    .summary('merge traces in time order into one pcap')
    .description('Merge traces in time order (like mergecap) into one classic pcap; inputs must share a link type.')
    .argument('<file...>', 'input traces')
    .requiredOption('--out <file>', 'output pcap (gzip-compressed if it ends in .gz)')
    .option('--json', 'print JSON')
    .option('--skip-corrupt', 'skip corrupt record headers instead of failing')
    .action(async (files: string[], o: { out: string; json?: boolean; skipCorrupt?: boolean }) => {
      const r = await mergeTraces(files, o.out, { skipCorrupt: o.skipCorrupt });
      printResult({ out: o.out, ...r }, o.json, formatWrote);
    });

  trace
    .command('retime')
    .summary('speed up / slow down, move and loop a trace (looped copies get new addresses)')
    .description(
      'Rewrite timestamps: --speed X plays X times faster, --start moves the first packet, --loop N repeats the ' +
        'trace N times back to back; repetition r >= 1 maps IPv4/IPv6 addresses through a seeded per-repetition ' +
        'XOR on the host part (low 16 bits of IPv4, low 32 of IPv6), so repeated flows are new flows; the IPv4 ' +
        'header and TCP/UDP/ICMPv6 checksums are updated incrementally (RFC 1624).',
    )
    .argument('<in>', 'input trace')
    .requiredOption('--out <file>', 'output pcap (nanosecond timestamps; gzip-compressed if it ends in .gz)')
    .option('--speed <x>', 'speed factor (> 0)', '1')
    .option('--start <time>', 'new start: ISO date-time (2024-01-01T00:00:00Z) or epoch seconds')
    .option('--loop <n>', 'repetitions', '1')
    .option('--seed <n>', 'seed for the per-repetition address keys', '1')
    .option('--json', 'print JSON')
    .option('--skip-corrupt', 'skip corrupt record headers instead of failing')
    .action(async (input: string, o: { out: string; speed: string; start?: string; loop: string; seed: string; json?: boolean; skipCorrupt?: boolean }) => {
      const r = await retimeTrace(input, o.out, {
        speed: parseNumber(o.speed, '--speed', { min: 1e-9 }),
        loop: parseNumber(o.loop, '--loop', { min: 1, max: 65535, integer: true }),
        seed: parseNumber(o.seed, '--seed', { integer: true }),
        startNs: o.start === undefined ? undefined : parseStart(o.start),
        skipCorrupt: o.skipCorrupt,
      });
      printResult({ out: o.out, ...r }, o.json, formatWrote);
    });

  // `trace inject` lives in its own file (owned by the anomaly-injection work).
  registerTraceInject(trace);
}

function formatWrote(r: { out: string; packets: number }): string {
  return `wrote ${r.packets} packets to ${r.out}`;
}

function parseStart(text: string): bigint {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const [s, f = ''] = text.split('.');
    return BigInt(s!) * 1_000_000_000n + BigInt((f + '000000000').slice(0, 9));
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new UserError('cli.bad-time', `--start: '${text}' is not a time`, 'Use an ISO date-time (2024-01-01T00:00:00Z) or epoch seconds.');
  }
  return BigInt(ms) * 1_000_000n;
}

function formatInfo(i: TraceInfo): string {
  const p = i.protocols;
  const rows: [string, string | number][] = [
    ['file', i.file],
    ['format', `${i.format}${i.gzip ? ' (gzip)' : ''}`],
    ['link types', i.linkTypes.map((l) => `${l.name} (${l.type})`).join(', ')],
    ['snaplen', i.snaplen],
    ['packets', i.packets],
    ['wire bytes', i.wireBytes],
    ['captured bytes', i.capturedBytes],
    ['first packet', i.firstNs === null ? '-' : `${i.firstIso} (${epoch(i.firstNs)})`],
    ['last packet', i.lastNs === null ? '-' : `${i.lastIso} (${epoch(i.lastNs)})`],
    ['duration', `${i.durationS.toFixed(6)} s`],
    ['tcp / udp / icmp / icmpv6', `${p.tcp} / ${p.udp} / ${p.icmp} / ${p.icmpv6}`],
    ['other IP / non-IP', `${p.otherIp} / ${p.nonIp}`],
    ['undecodable', i.undecodable],
    ['fragments', i.fragments],
    ['distinct IPs', i.distinctIps],
    ['5-tuple flows one-way / both-ways', `${i.flowsOneWay} / ${i.flowsBothWays}`],
    ['reordered packets', i.reordered],
    ['truncated / corrupt records', `${i.truncatedRecords} / ${i.corruptRecords}`],
    ['batches (100 ms) / empty / gaps skipped', `${i.batches} / ${i.emptyBatches} / ${i.gapsSkipped}`],
  ];
  return rows.map(([k, v]) => `${k.padEnd(40)} ${v}`).join('\n');
}

function epoch(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  return `${s}.${(ns - s * 1_000_000_000n).toString().padStart(9, '0')}`;
}
