/**
 * Golden test on every shared trace: unsampled query results equal a straightforward reference computed with
 * plain JS Maps and strings, interval by interval (1 s intervals of 250 ms batches).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type PacketBatch, readBatches, selectAll } from '../../src/capture/index.ts';
import {
  ActiveFlowsQuery,
  ApplicationQuery,
  CounterQuery,
  DEFAULT_APP_CLASSES,
  DEFAULT_PATTERNS,
  FlowsQuery,
  formatAddress,
  HighWatermarkQuery,
  PatternSearchQuery,
  SuperSourcesQuery,
  TopDestinationsQuery,
} from '../../src/queries/index.ts';
import type { FlushContext } from '../../src/queries/query.ts';
import { tupleKey } from './helpers.ts';

const DIR = '../shared/data/pcap';
const INTERVAL_NS = 1_000_000_000n;

class Reference {
  packets = 0;
  bytes = 0;
  apps = new Map<string, [number, number]>();
  flows = new Map<string, [number, number]>();
  /** The same flows keyed by formatted addresses (to look up the records a query reports). */
  flowsByText = new Map<string, [number, number]>();
  /** Keyed by the raw address words (non-IP 0.0.0.0 and IPv4 0.0.0.0 are different keys, as in the queries). */
  dsts = new Map<string, number>();
  pairs = new Map<string, Set<string>>();
  patterns: number[] = DEFAULT_PATTERNS.map(() => 0);
  matching = 0;
  slots = new Map<number, number>();

  add(b: PacketBatch, i: number, intervalStartNs: bigint): void {
    const len = b.wireLen[i]!;
    this.packets++;
    this.bytes += len;
    const app = refApp(b.proto[i]!, b.srcPort[i]!, b.dstPort[i]!);
    const a = this.apps.get(app) ?? [0, 0];
    this.apps.set(app, [a[0] + 1, a[1] + len]);
    const k = tupleKey(b, i);
    const f = this.flows.get(k) ?? [0, 0];
    this.flows.set(k, [f[0] + 1, f[1] + len]);
    const src = formatAddress(b.src, 4 * i);
    const dst = formatAddress(b.dst, 4 * i);
    const tk = `${b.proto[i]}|${src}|${dst}|${b.srcPort[i]}|${b.dstPort[i]}`;
    const ft = this.flowsByText.get(tk) ?? [0, 0];
    this.flowsByText.set(tk, [ft[0] + 1, ft[1] + len]);
    const rawSrc = `${src}/${b.src.subarray(4 * i, 4 * i + 4).join('.')}`;
    const rawDst = `${dst}/${b.dst.subarray(4 * i, 4 * i + 4).join('.')}`;
    this.dsts.set(rawDst, (this.dsts.get(rawDst) ?? 0) + len);
    const set = this.pairs.get(rawSrc) ?? new Set<string>();
    set.add(rawDst);
    this.pairs.set(rawSrc, set);
    const payload = Buffer.from(b.bytes.subarray(b.payloadOffset[i]!, b.payloadOffset[i]! + b.payloadLen[i]!));
    let any = false;
    DEFAULT_PATTERNS.forEach((p, j) => {
      if (payload.indexOf(Buffer.from(p, 'latin1')) >= 0) {
        this.patterns[j]!++;
        any = true;
      }
    });
    if (any) this.matching++;
    const slot = Math.max(0, Math.floor(Number(b.timestampNs(i) - intervalStartNs) / 1e7));
    this.slots.set(slot, (this.slots.get(slot) ?? 0) + len);
  }
}

function refApp(proto: number, sport: number, dport: number): string {
  if (proto !== 6 && proto !== 17) return 'non-tcp-udp';
  const has = (ports: readonly (number | readonly [number, number])[] | undefined, p: number): boolean =>
    (ports ?? []).some((x) => (typeof x === 'number' ? x === p : p >= x[0] && p <= x[1]));
  for (const port of [dport, sport]) {
    for (const c of DEFAULT_APP_CLASSES) if (has(proto === 6 ? c.tcp : c.udp, port)) return c.name;
  }
  return 'other';
}

const sortDesc = (xs: number[]): number[] => [...xs].sort((a, b) => b - a);

describe('unsampled queries equal a plain reference on every shared trace', () => {
  const files = readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
  it('finds the shared traces', () => assert.ok(files.length >= 20));
  for (const file of files) {
    it(file, async () => {
      const counter = new CounterQuery();
      const app = new ApplicationQuery();
      const flows = new FlowsQuery({ maxRecords: 10 });
      const active = new ActiveFlowsQuery();
      const top = new TopDestinationsQuery({ k: 10 });
      const ss = new SuperSourcesQuery({ threshold: 20, k: 10 });
      const pat = new PatternSearchQuery();
      const hw = new HighWatermarkQuery();
      let ref = new Reference();
      let cur: bigint | undefined;
      let intervals = 0;
      let total = 0;
      const check = (start: bigint): void => {
        const fc: FlushContext = { intervalStartNs: start, intervalEndNs: start + INTERVAL_NS, finalRate: 1 };
        const c = counter.flush(fc);
        assert.equal(c.value.packets, ref.packets);
        assert.equal(c.value.bytes, ref.bytes);
        assert.equal(c.coverage, 1);
        const av = app.flush(fc).value;
        for (const [name, s] of Object.entries(av)) {
          const r = ref.apps.get(name) ?? [0, 0];
          assert.deepEqual([s.packets, s.bytes], r, `application ${name}`);
        }
        const fv = flows.flush(fc).value;
        assert.equal(fv.records, ref.flows.size);
        assert.equal(fv.packets, ref.packets);
        assert.equal(fv.bytes, ref.bytes);
        assert.deepEqual(
          fv.top.map((r) => r.bytes),
          sortDesc([...ref.flows.values()].map((v) => v[1])).slice(0, 10),
        );
        for (const r of fv.top) {
          assert.deepEqual(ref.flowsByText.get(`${r.proto}|${r.src}|${r.dst}|${r.srcPort}|${r.dstPort}`), [r.packets, r.bytes]);
        }
        assert.equal(active.flush(fc).value.flows, ref.flows.size);
        const tv = top.flush(fc).value;
        assert.equal(tv.destinations, ref.dsts.size);
        assert.deepEqual(tv.top.map((d) => d.bytes), sortDesc([...ref.dsts.values()]).slice(0, 10));
        const refDst = [...ref.dsts.entries()].map(([k, v]) => `${k.split('/')[0]}=${v}`);
        for (const d of tv.top) assert.ok(refDst.includes(`${d.addr}=${d.bytes}`), `destination ${d.addr}`);
        const sv = ss.flush(fc).value;
        const fan = [...ref.pairs.entries()].map(([s, set]) => [s.split('/')[0]!, set.size] as const);
        assert.deepEqual(sv.top.map((s) => s.fanout), sortDesc(fan.map((x) => x[1])).slice(0, 10));
        assert.deepEqual(
          sv.sources.map((s) => `${s.addr}=${s.fanout}`).sort(),
          fan.filter((x) => x[1] >= 20).map((x) => `${x[0]}=${x[1]}`).sort(),
        );
        assert.equal(sv.omitted, 0);
        const pv = pat.flush(fc).value;
        assert.deepEqual(pv.patterns.map((p) => p.packets), ref.patterns);
        assert.equal(pv.matchingPackets, ref.matching);
        const hv = hw.flush(fc).value;
        const peak = Math.max(0, ...ref.slots.values());
        assert.equal(hv.peakBps, (peak * 8) / 0.01);
        intervals++;
        ref = new Reference();
      };
      // 250 ms batches (4 per interval): the 24 h backscatter trace otherwise yields 562k mostly empty batches.
      for await (const b of readBatches(join(DIR, file), { binNs: 250_000_000 })) {
        const start = (b.startNs / INTERVAL_NS) * INTERVAL_NS;
        if (cur !== undefined && start !== cur) check(cur);
        cur = start;
        const ctx = { rate: 1, intervalStartNs: start };
        const sel = selectAll(b);
        for (const q of [counter, app, flows, active, top, ss, pat, hw]) q.process(b, sel, ctx);
        for (let i = 0; i < b.count; i++) ref.add(b, i, start);
        total += b.count;
      }
      if (cur !== undefined) check(cur);
      assert.ok(total > 0 && intervals > 0);
    });
  }
});
