/** KeySet (capture's exact u32-key set, also the feature layer's exact counter) against a Set of strings. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KeySet } from '../../src/capture/index.ts';

test('KeySet add/has/size/clear match a Set of strings, through growth (fast-check)', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.nat(3)), { maxLength: 3000 }), (keys) => {
      const s = new KeySet(2, 4);
      const ref = new Set<string>();
      const k = new Uint32Array(3); // the key at offset 1
      for (const [x, y] of keys) {
        k[1] = x;
        k[2] = y;
        const isNew = !ref.has(`${x},${y}`);
        ref.add(`${x},${y}`);
        if (s.add(k, 1) !== isNew) return false;
        if (!s.has(k, 1)) return false;
      }
      if (s.size !== ref.size) return false;
      for (let x = 0; x <= 40; x++) {
        k[1] = x;
        k[2] = 2;
        if (s.has(k, 1) !== ref.has(`${x},2`)) return false;
      }
      s.clear();
      k[1] = keys[0]?.[0] ?? 0;
      k[2] = keys[0]?.[1] ?? 0;
      if (s.size !== 0 || s.has(k, 1)) return false;
      // Reusable after clear: the first key is new again.
      return s.add(k, 1) && (s.size as number) === 1;
    }),
    { seed: 7, numRuns: 80 },
  );
});

test('KeySet scratch form and addAll (union) are exact', () => {
  const a = new KeySet(10, 1);
  const b = new KeySet(10, 1);
  for (let i = 0; i < 5000; i++) {
    a.key.fill(i % 3000);
    a.key[9] = 7;
    assert.equal(a.addScratch(), i < 3000);
    b.key.fill(2000 + (i % 4000));
    b.key[9] = 7;
    b.addScratch();
  }
  assert.equal(a.size, 3000);
  assert.equal(b.size, 4000);
  a.addAll(b);
  assert.equal(a.size, 6000); // 0..5999
  const k = new Uint32Array(10).fill(5999);
  k[9] = 7;
  assert.ok(a.has(k));
  k.fill(6000);
  k[9] = 7;
  assert.equal(a.has(k), false);
  assert.throws(() => a.addAll(new KeySet(4)), RangeError);
});
