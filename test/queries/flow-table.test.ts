import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FlowTable } from '../../src/queries/flow-table.ts';
import { makeBatch, type Pkt, tupleKey } from './helpers.ts';

const pktArb = fc.record({
  proto: fc.constantFrom(6, 17),
  src: fc.integer({ min: 0, max: 7 }),
  dst: fc.integer({ min: 0, max: 7 }),
  sport: fc.integer({ min: 0, max: 3 }),
  dport: fc.constantFrom(80, 443),
});

describe('FlowTable', () => {
  it('matches a Map reference (keys and per-flow counts) when under the cap', () => {
    fc.assert(
      fc.property(fc.array(pktArb, { maxLength: 600 }), (pkts: Pkt[]) => {
        const b = makeBatch(pkts);
        const t = new FlowTable({ key: '5-tuple', valueColumns: 1, initialSlots: 2 });
        const ref = new Map<string, number>();
        for (let i = 0; i < b.count; i++) {
          const s = t.upsert(b, i);
          const k = tupleKey(b, i);
          assert.equal(t.inserted, !ref.has(k));
          ref.set(k, (ref.get(k) ?? 0) + 1);
          t.vals[t.valueIndex(s)]! += 1;
        }
        assert.equal(t.size, ref.size);
        assert.equal(t.evictions, 0);
        // Every key is found again with its count.
        for (let i = 0; i < b.count; i++) {
          const s = t.upsert(b, i);
          assert.equal(t.inserted, false);
          assert.equal(t.vals[t.valueIndex(s)], ref.get(tupleKey(b, i)));
        }
      }),
      { seed: 17, numRuns: 150 },
    );
  });

  it('never holds more than maxFlows, counts evictions, and keeps lookups consistent after backward shifts', () => {
    fc.assert(
      fc.property(fc.array(pktArb, { maxLength: 600 }), fc.integer({ min: 1, max: 20 }), (pkts: Pkt[], cap) => {
        const b = makeBatch(pkts);
        const t = new FlowTable({ key: '5-tuple', valueColumns: 1, maxFlows: cap, initialSlots: 2 });
        // Reference: the set of keys currently held, with their counts since insertion.
        const held = new Map<string, number>();
        const slotKey = (s: number): string => {
          const k = t.rows.subarray(t.keyOffset(s), t.keyOffset(s) + 10);
          return `${k[0]}|${k[1]}.${k[2]}.${k[3]}.${k[4]}|${k[5]}.${k[6]}.${k[7]}.${k[8]}|${k[9]! >>> 16}|${k[9]! & 0xffff}`;
        };
        let evictions = 0;
        for (let i = 0; i < b.count; i++) {
          const k = tupleKey(b, i);
          const before = new Set(held.keys());
          const s = t.upsert(b, i);
          if (t.evictedNow) {
            evictions++;
            // Find which key disappeared.
            const now = new Set<string>();
            for (let x = 0; x < t.slots; x++) if (t.occupied(x)) now.add(slotKey(x));
            const gone = [...before].filter((g) => !now.has(g));
            assert.equal(gone.length, 1);
            assert.equal(t.evictedValues[0], held.get(gone[0]!));
            held.delete(gone[0]!);
          }
          assert.equal(t.inserted, !before.has(k));
          held.set(k, (held.get(k) ?? 0) + 1);
          t.vals[t.valueIndex(s)]! += 1;
          assert.ok(t.size <= cap);
          assert.equal(t.size, held.size);
        }
        assert.equal(t.evictions, evictions);
        for (let x = 0; x < t.slots; x++) if (t.occupied(x)) assert.equal(t.vals[t.valueIndex(x)], held.get(slotKey(x)));
      }),
      { seed: 43, numRuns: 150 },
    );
  });

  it('second chance: a flow updated since the hand last passed survives an eviction round', () => {
    const pk = (n: number): Pkt => ({ src: n, dst: 1, sport: 1, dport: 1 });
    const b = makeBatch([pk(1), pk(2), pk(3), pk(1), pk(4)]);
    const t = new FlowTable({ key: 'src', valueColumns: 0, maxFlows: 3 });
    for (let i = 0; i < 4; i++) t.upsert(b, i);
    t.upsert(b, 4); // first sweep clears all reference bits, then evicts one of 1,2,3
    assert.equal(t.evictions, 1);
    assert.equal(t.size, 3);
  });

  it('clear empties the table and resets evictions; keys of other kinds work', () => {
    const b = makeBatch([
      { src: 1, dst: 2 },
      { src: 1, dst: 3 },
      { src: [0x20010db8, 0, 0, 1], dst: [0x20010db8, 0, 0, 2] },
    ]);
    for (const [kind, n] of [['src', 2], ['dst', 3], ['pair', 3]] as const) {
      const t = new FlowTable({ key: kind, valueColumns: 0 });
      for (let i = 0; i < b.count; i++) t.upsert(b, i);
      assert.equal(t.size, n, kind);
      t.clear();
      assert.equal(t.size, 0);
      t.upsert(b, 0);
      assert.equal(t.inserted, true);
    }
    assert.throws(() => new FlowTable({ key: 'src', valueColumns: 0, maxFlows: 0 }), /positive integer/);
  });
});
