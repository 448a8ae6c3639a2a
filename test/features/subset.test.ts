/**
 * Counting a subset of the aggregates (`--features lite` or a list): the counted aggregates' features equal the
 * full extractor's (same seed, same keys), whole batch and sampled selections alike, batch after batch across
 * intervals and regime switches; the others are NaN. Real traces, sketch and exact counting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AGGREGATES, FEATURE_NAMES, FEATURE_PRESETS, FeatureExtractor, parseAggregates } from '../../src/features/index.ts';
import { readBatches } from '../../src/capture/index.ts';
import { Rng } from '../../src/random.ts';
import { UserError } from '../../src/errors.ts';
import { sample } from './helpers.ts';

const DIR = fileURLToPath(new URL('../../../shared/data/pcap/', import.meta.url));

async function compare(trace: string, names: readonly (typeof AGGREGATES)[number][], exact: boolean): Promise<number> {
  const full = new FeatureExtractor({ exact });
  const sub = new FeatureExtractor({ exact, aggregates: names });
  const counted = FEATURE_NAMES.map((f) => f === 'packets' || f === 'bytes' || f === 'new_interval' || names.some((a) => f.startsWith(`${a}.`)));
  const rng = new Rng(3);
  let batches = 0;
  for await (const b of readBatches(DIR + trace)) {
    full.beginBatch(b);
    sub.beginBatch(b);
    const sel = sample(b, rng, 0.3, batches % 2 === 0);
    for (const [want, got] of [
      [full.measure(), sub.measure()],
      [full.measure(sel), sub.measure(sel)],
    ] as const) {
      for (let k = 0; k < FEATURE_NAMES.length; k++) {
        if (counted[k]) assert.equal(got[k], want[k], `${trace} batch ${batches}: ${FEATURE_NAMES[k]}`);
        else assert.ok(Number.isNaN(got[k]), `${FEATURE_NAMES[k]} is not counted: NaN`);
      }
    }
    full.endBatch();
    sub.endBatch();
    batches++;
  }
  return batches;
}

test('a subset of aggregates counts exactly what the full set counts for them; the rest is NaN', async () => {
  // A flood (bitmaps, parents with every key distinct) and P2P traffic (sparse tables), lite and a list
  // whose members' usual parents are left out.
  for (const trace of ['stopddos__pkt.TCP.synflood.spoofed.pcap', 'ndpi__gnutella.pcap']) {
    assert.ok((await compare(trace, FEATURE_PRESETS.lite, false)) > 10);
    assert.ok((await compare(trace, ['proto', 'src_net', 'proto_dst_port'], false)) > 10);
  }
  assert.ok((await compare('ndpi__gnutella.pcap', FEATURE_PRESETS.lite, true)) > 10);
});

test('--features: all, lite, or a list of aggregate names; unknown names are refused with the list', () => {
  assert.deepEqual(parseAggregates('all'), AGGREGATES);
  assert.deepEqual(parseAggregates('lite'), FEATURE_PRESETS.lite);
  assert.deepEqual(parseAggregates(' five_tuple, src_ip ,five_tuple'), ['five_tuple', 'src_ip']);
  assert.throws(() => parseAggregates('five_tuple,port'), (e: unknown) => e instanceof UserError && /"port"/.test(e.message) && /five_tuple/.test(e.hint ?? ''));
  assert.deepEqual(new FeatureExtractor({ aggregates: ['dst_ip', 'src_ip'] }).aggregates, ['src_ip', 'dst_ip']);
});
