/**
 * Regenerates the golden facts (test/golden/<file>.json) of every trace in ../shared/data/pcap from the outside
 * references capinfos and tshark (not from loadcast). Run from the repo root:  npx tsx test/golden/generate.ts
 *
 * - packets, wire bytes, first/last timestamp: capinfos -T -M -c -d -a -e -S
 * - captured bytes, distinct IPs, 5-tuple flows (one-way, both-ways), packets per IP protocol: tshark -T fields
 *   with IP defragmentation off (so a first fragment shows its ports and later fragments show none), first
 *   occurrence of each field (the outer header when tshark also decodes an inner one, e.g. in ICMP errors).
 *   Flows as in PROVENANCE.md: (src, dst, proto, sport, dport), ports only for TCP/UDP/SCTP and never for
 *   non-first fragments.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DATA = '../shared/data/pcap';
const OUT = 'test/golden';

const FIELDS = [
  'frame.cap_len', 'ip.src', 'ip.dst', 'ip.proto', 'ip.frag_offset', 'ipv6.src', 'ipv6.dst', 'frame.protocols',
  'ipv6.nxt', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'sctp.srcport', 'sctp.dstport',
  'ipv6.fraghdr.offset',
];

function tsharkRows(file: string): string[][] {
  const args = ['-r', file, '-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=f'];
  for (const f of FIELDS) args.push('-e', f);
  const out = execFileSync('tshark', args, { maxBuffer: 1 << 30, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

function ipv6Proto(protocols: string, nxt: string): number {
  const toks = protocols.split(':');
  const k = toks.indexOf('ipv6');
  for (let j = k + 1; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.startsWith('ipv6.')) continue;
    const m: Record<string, number> = { tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
    if (t in m) return m[t]!;
    break;
  }
  return Number(nxt);
}

for (const name of readdirSync(DATA).filter((f) => f.includes('.pcap')).sort()) {
  const file = join(DATA, name);
  const cap = execFileSync('capinfos', ['-T', '-M', '-c', '-d', '-a', '-e', '-S', '-r', file], { encoding: 'utf8' }).trim().split('\t');
  const ips = new Set<string>();
  const oneWay = new Set<string>();
  const bothWays = new Set<string>();
  const protocols: Record<string, number> = {};
  let capturedBytes = 0;
  for (const r of tsharkRows(file)) {
    const [capLen, s4, d4, p4, frag4, s6, d6, protos, nxt, ts, td, us, ud, ss, sd, frag6] = r;
    capturedBytes += Number(capLen);
    let src: string, dst: string, proto: number, nonFirst: boolean;
    if (s4) {
      src = s4; dst = d4!; proto = Number(p4); nonFirst = Number(frag4 || 0) > 0;
    } else if (s6) {
      src = s6; dst = d6!; proto = ipv6Proto(protos!, nxt!); nonFirst = Number(frag6 || 0) > 0;
    } else continue;
    protocols[proto] = (protocols[proto] ?? 0) + 1;
    ips.add(src);
    ips.add(dst);
    let sp = '0', dp = '0';
    if (!nonFirst) {
      if (proto === 6) [sp, dp] = [ts || '0', td || '0'];
      else if (proto === 17) [sp, dp] = [us || '0', ud || '0'];
      else if (proto === 132) [sp, dp] = [ss || '0', sd || '0'];
    }
    oneWay.add(`${src} ${dst} ${proto} ${sp} ${dp}`);
    const a = `${src} ${sp}`, b = `${dst} ${dp}`;
    bothWays.add(a < b ? `${a} ${b} ${proto}` : `${b} ${a} ${proto}`);
  }
  const golden = {
    file: name,
    source: 'capinfos -T -M -c -d -a -e -S; tshark 4 -T fields (ip/ipv6 defragment off, first occurrence)',
    packets: Number(cap[1]),
    wireBytes: Number(cap[2]),
    firstEpoch: cap[3],
    lastEpoch: cap[4],
    capturedBytes,
    distinctIps: ips.size,
    flowsOneWay: oneWay.size,
    flowsBothWays: bothWays.size,
    ipProtocols: protocols,
  };
  writeFileSync(join(OUT, `${name}.json`), `${JSON.stringify(golden, null, 2)}\n`);
  process.stdout.write(`${name}: ${golden.packets} packets, ${golden.flowsOneWay}/${golden.flowsBothWays} flows\n`);
}
