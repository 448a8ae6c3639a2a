/** Golden accuracy check on every shared real trace: sketch features vs exact, p99 relative error <= 2%. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkFeatures, FeatureExtractor, FEATURE_INDEX } from '../../src/features/index.ts';
import { readBatches } from '../../src/capture/index.ts';

const DIR = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();

test('shared traces are present', () => {
  assert.ok(FILES.length >= 20, `found ${FILES.length} traces in ${DIR}`);
});

// Default (sparse exact mode for small intervals, bitmaps beyond 16,384 keys) and bitmaps only (sparseLimit 0),
// so the multi-resolution-bitmap path is also checked on every real trace.
for (const [mode, sparseLimit] of [['default', undefined], ['bitmaps only', 0]] as const) for (const f of FILES) {
  test(`features check (${mode}) on ${f}: p99 rel error <= 2% for every unique/new family, no saturation`, async () => {
    const r = await checkFeatures(DIR + f, { sparseLimit });
    assert.ok(r.packets > 0);
    assert.equal(r.saturated, 0);
    assert.equal(Object.keys(r.families).length, 26);
    for (const [name, fe] of Object.entries(r.families)) {
      assert.ok(fe.p99RelError <= 0.02, `${f} ${name}: p99 ${fe.p99RelError}`);
      assert.ok(fe.maxRelError >= fe.p99RelError);
    }
  });
}

test('packets/bytes per batch add up to the trace totals (bytes = captured length)', async () => {
  const fx = new FeatureExtractor();
  let packets = 0;
  let bytes = 0;
  let capBytes = 0;
  let intervals = 0;
  for await (const b of readBatches(DIR + 'stopddos__pkt.TCP.synflood.spoofed.pcap')) {
    fx.beginBatch(b);
    const v = fx.measure();
    fx.endBatch();
    packets += v[FEATURE_INDEX.packets!]!;
    bytes += v[FEATURE_INDEX.bytes!]!;
    intervals += v[FEATURE_INDEX.new_interval!]!;
    for (let i = 0; i < b.count; i++) capBytes += b.capLen[i]!;
  }
  assert.equal(packets, 37_841); // PROVENANCE.md
  assert.equal(bytes, capBytes);
  assert.ok(intervals >= 23 && intervals <= 25, `intervals ${intervals}`); // 23.7 s trace
});
