import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecentValues } from '../../src/shed/index.ts';

test('RecentValues keeps exactly the last `capacity` values; sorted() is them ascending, recomputed after each push', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 60 }), (cap, raw) => {
      const xs = raw.map((x) => x + 0); // -0 -> 0: a typed-array sort orders -0 before 0, an (a - b) sort keeps them as they come
      const w = new RecentValues(cap);
      for (let k = 0; k < xs.length; k++) {
        w.push(xs[k]!);
        const last = xs.slice(Math.max(0, k + 1 - cap), k + 1);
        assert.equal(w.size, last.length);
        assert.deepEqual([...w.values()].sort((a, b) => a - b), [...last].sort((a, b) => a - b));
        assert.deepEqual([...w.sorted()], [...last].sort((a, b) => a - b));
      }
    }),
    { seed: 7 },
  );
  assert.throws(() => new RecentValues(0), /window must be an integer >= 1, got 0/);
});
