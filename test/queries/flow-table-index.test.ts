/**
 * FlowTable's index over dense rows: the hashed 5-tuple path (hashSelection + prefetch + upsertHashed, what the
 * flow queries use) behaves exactly like the plain upsert path, rows stay dense (0..size-1) through evictions, and
 * the rows keep their keys and values through every growth step up to maxFlows.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PacketBatch } from '../../src/capture/index.ts';
import { FlowTable } from '../../src/queries/flow-table.ts';
import { setIPv4Packet } from '../helpers/batch.ts';
import { makeBatch, type Pkt, tupleKey } from './helpers.ts';

const pktArb = fc.record({
  proto: fc.constantFrom(6, 17),
  src: fc.oneof(fc.integer({ min: 0, max: 7 }), fc.constant([0x20010db8, 0, 0, 1])),
  dst: fc.integer({ min: 0, max: 7 }),
  sport: fc.integer({ min: 0, max: 3 }),
  dport: fc.constantFrom(80, 443),
});

/** Every held row's 5-tuple key, as the test helpers spell it. */
function rowKey(t: FlowTable, s: number): string {
  const k = t.rows.subarray(t.keyOffset(s), t.keyOffset(s) + 10);
  return `${k[0]}|${k[1]}.${k[2]}.${k[3]}.${k[4]}|${k[5]}.${k[6]}.${k[7]}.${k[8]}|${k[9]! >>> 16}|${k[9]! & 0xffff}`;
}

describe('FlowTable index', () => {
  it('the hashed path (hashSelection + touch + upsertHashed) returns what upsert returns, evictions included', () => {
    fc.assert(
      fc.property(fc.array(pktArb, { maxLength: 400 }), fc.integer({ min: 1, max: 40 }), (pkts: Pkt[], cap) => {
        const b = makeBatch(pkts);
        const plain = new FlowTable({ key: '5-tuple', valueColumns: 2, maxFlows: cap, initialSlots: 2 });
        const hashed = new FlowTable({ key: '5-tuple', valueColumns: 2, maxFlows: cap, initialSlots: 2 });
        const idx = Uint32Array.from({ length: b.count }, (_, i) => i);
        const hs = new Uint32Array(b.count);
        hashed.hashSelection(b, idx, b.count, hs);
        for (let i = 0; i < b.count; i++) {
          hashed.touch(hs, i, Math.min(b.count, i + 8));
          hashed.touchRows(hs, i, Math.min(b.count, i + 4));
          const a = plain.upsert(b, i);
          const h = hashed.upsertHashed(b, i, hs[i]!);
          assert.equal(h, a);
          assert.equal(hashed.inserted, plain.inserted);
          assert.equal(hashed.evictedNow, plain.evictedNow);
          if (plain.evictedNow) assert.deepEqual([...hashed.evictedValues], [...plain.evictedValues]);
          assert.equal(rowKey(hashed, h), tupleKey(b, i));
          for (const [t, s] of [[plain, a], [hashed, h]] as const) {
            t.vals[t.valueIndex(s)]! += 1;
            t.vals[t.valueIndex(s) + 1]! += b.wireLen[i]!;
          }
        }
        assert.equal(hashed.size, plain.size);
        assert.equal(hashed.evictions, plain.evictions);
        // Rows are dense: exactly 0..size-1 are held, each with a distinct key.
        const keys = new Set<string>();
        for (let s = 0; s < hashed.slots; s++) assert.equal(hashed.occupied(s), s < hashed.size);
        for (let s = 0; s < hashed.size; s++) keys.add(rowKey(hashed, s));
        assert.equal(keys.size, hashed.size);
      }),
      { seed: 30, numRuns: 150 },
    );
  });

  it('keeps every key and value through row growth (small steps, then all maxFlows rows at once)', () => {
    const n = 40_000;
    const b = new PacketBatch(n, 16);
    b.reset(0n, 1e8);
    for (let i = 0; i < n; i++) setIPv4Packet(b, i, 0x0a000000 + i * 7, 0xc0a80001, i % 3 === 0 ? 17 : 6, 1024 + (i % 50000), 80, 40 + (i % 1400));
    b.count = n;
    const t = new FlowTable({ key: '5-tuple', valueColumns: 1, maxFlows: 50_000, initialSlots: 4 });
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    const hs = new Uint32Array(n);
    t.hashSelection(b, idx, n, hs);
    for (let i = 0; i < n; i++) {
      const s = t.upsertHashed(b, i, hs[i]!);
      assert.equal(t.inserted, true);
      assert.equal(s, i, 'rows are numbered in insertion order');
      t.vals[t.valueIndex(s)] = b.wireLen[i]!;
    }
    assert.equal(t.size, n);
    assert.equal(t.slots, 131072); // the index is at most half full
    for (let i = 0; i < n; i++) {
      const s = t.upsertHashed(b, i, hs[i]!);
      assert.equal(t.inserted, false);
      assert.equal(s, i);
      assert.equal(t.vals[t.valueIndex(s)], b.wireLen[i]);
    }
    t.clear();
    assert.equal(t.size, 0);
    assert.equal(t.upsertHashed(b, 5, hs[5]!), 0);
    assert.equal(t.inserted, true);
    assert.equal(t.vals[t.valueIndex(0)], 0, 'values of a re-used row are zeroed on insert');
  });

  it('a flood larger than maxFlows keeps exactly maxFlows flows and counts every eviction', () => {
    const n = 5000;
    const b = new PacketBatch(n, 16);
    b.reset(0n, 1e8);
    for (let i = 0; i < n; i++) setIPv4Packet(b, i, 0x0a000000 + i, 0xc0a80001, 6, 1024, 80);
    b.count = n;
    const t = new FlowTable({ key: '5-tuple', valueColumns: 1, maxFlows: 1000 });
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    const hs = new Uint32Array(n);
    t.hashSelection(b, idx, n, hs);
    let evicted = 0;
    for (let i = 0; i < n; i++) {
      const s = t.upsertHashed(b, i, hs[i]!);
      if (t.evictedNow) evicted++;
      t.vals[t.valueIndex(s)]! += 1;
    }
    assert.equal(t.size, 1000);
    assert.equal(t.evictions, 4000);
    assert.equal(evicted, 4000);
    // The last packet's flow is held, and every held row is found again at its own row.
    for (let s = 0; s < t.size; s++) {
      const src = t.rows[t.keyOffset(s) + 4]! - 0x0a000000;
      assert.equal(t.upsertHashed(b, src, hs[src]!), s);
      assert.equal(t.inserted, false);
    }
  });

  it('two keys with the same 32-bit table hash stay two flows (the full key is compared, on both paths)', () => {
    // Birthday search: 2^18 keys of a 32-bit hash hold ~8 colliding pairs; the search is deterministic.
    const n = 1 << 18;
    const b = new PacketBatch(n, 16);
    b.reset(0n, 1e8);
    for (let i = 0; i < n; i++) setIPv4Packet(b, i, 0x0a000000 + i, 0xc0a80001, 6, 1000 + (i & 1023), 443);
    b.count = n;
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    const hs = new Uint32Array(n);
    new FlowTable({ key: '5-tuple', valueColumns: 0 }).hashSelection(b, idx, n, hs);
    const seen = new Map<number, number>();
    let pair: [number, number] | undefined;
    for (let i = 0; i < n && !pair; i++) {
      const j = seen.get(hs[i]!);
      if (j !== undefined) pair = [j, i];
      else seen.set(hs[i]!, i);
    }
    assert.ok(pair, 'a colliding pair exists');
    const [x, y] = pair;
    assert.equal(hs[x], hs[y]);
    for (const path of ['plain', 'hashed'] as const) {
      const t = new FlowTable({ key: '5-tuple', valueColumns: 1 });
      const up = (i: number): number => (path === 'plain' ? t.upsert(b, i) : t.upsertHashed(b, i, hs[i]!));
      const rx = up(x);
      const ry = up(y);
      assert.equal(t.inserted, true, `${path}: the second key is a new flow`);
      assert.notEqual(rx, ry);
      assert.equal(up(x), rx);
      assert.equal(up(y), ry);
      assert.equal(t.size, 2);
    }
  });
});
