import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { CaptureError, readBatches, traceInfo } from '../../src/capture/index.ts';
import { Ng, concat, ether, ipv4, ipv6, tcp, udp, tmp } from './fixtures.ts';

const DATA = '../shared/data/pcap';

// Seeds: prefixes of real files (classic pcap, Ethernet / SLL / raw IP) and a hand-built multi-interface pcapng.
const ng = new Ng();
const seeds: Uint8Array[] = [
  'ndpi__KakaoTalk_talk.pcap', 'ndpi__ocs.pcap', 'stopddos__amp.dns.RRSIG.fragmented.pcap', 'ndpi__gnutella.pcap',
  'esnet__masscan_udp_0_1000_20190821.pcap', 'stopddos__amp.TCP.syn.optionallyACK.optionallysamePort.pcapng',
].map((f) => readFileSync(join(DATA, f)).subarray(0, 8192));
seeds.push(concat(
  ng.shb(), ng.idb(1), ng.idb(101, { tsresol: 9 }), ng.idb(113, { tsresol: 0x80 | 10 }),
  ...Array.from({ length: 20 }, (_, k) => ng.epb(k % 2, BigInt(1_600_000_000 + k) * 1_000_000n, k % 2
    ? ipv6(1, 2, 6, tcp(1, 2, 2, [k]), [[0, [0, 0, 0, 0, 0, 0, 0, 0]], [44, [0, 0, 0, 1, 0, 0, 0, 1]]])
    : ether(0x0800, ipv4('1.2.3.4', '5.6.7.8', 17, udp(k, 53, [1, 2, 3]), { frag: k % 3 ? 0 : 0x2000 }), [[0x8100, 5]]))),
  ng.spb(ether(0x86dd, ipv6(3, 4, 58, [128, 0, 0, 0, 1, 1, 1, 1]))),
));
seeds.push(gzipSync(seeds[0]!.subarray(0, 3000)));

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), v: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), v: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), v: fc.constant(0) }),
);

function mutate(seed: Uint8Array, len: number, muts: { op: string; at: number; v: number }[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed.subarray(0, Math.max(1, Math.min(seed.length, len))));
  for (const m of muts) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.op === 'flip') b[at] = b[at]! ^ m.v;
    else if (m.op === 'set') b[at] = m.v;
    else if (m.op === 'insert') b = concat(b.subarray(0, at), [m.v], b.subarray(at));
    else if (m.op === 'delete') b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + m.v)));
    else b = b.subarray(0, at);
  }
  return b;
}

test('mutated real and hand-built traces: nothing but CaptureError ever escapes readBatches/traceInfo', async () => {
  const path = join(tmp, 'fuzz.pcap');
  let errors = 0, ok = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.nat(seeds.length - 1), fc.integer({ min: 24, max: 8192 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean(),
      async (s, len, muts, skipCorrupt) => {
        writeFileSync(path, mutate(seeds[s]!, len, muts));
        try {
          if (skipCorrupt) {
            let n = 0;
            for await (const b of readBatches(path, { skipCorrupt: true, chunkSize: 2048 })) n += b.count;
            assert.ok(n >= 0);
          } else {
            const info = await traceInfo(path, { chunkSize: 4096 });
            assert.ok(info.packets >= 0 && info.capturedBytes <= info.wireBytes + info.packets * 262144);
          }
          ok++;
        } catch (e) {
          if (!(e instanceof CaptureError)) throw e;
          errors++;
        }
      },
    ),
    { numRuns: 10_000, seed: 20261121 },
  );
  assert.ok(ok > 1000 && errors > 100, `ok ${ok}, CaptureErrors ${errors}`);
});
