import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocBatch, fillBatch, origins, prepare } from '../../src/forecast/windows.ts';
import { tinyDataset } from './helpers.ts';

test('fillBatch: row b*K+k holds task k of window b, zero-padded before the start, targets masked past the end', () => {
  const ds = tinyDataset({ T: 60, E: 2, M: 2 });
  const p = prepare(ds);
  const { K, T } = p;
  const L = 12;
  const H = 3;
  const ts = Int32Array.of(5, 30, T - 1); // input starts before step 0; interior; targets past the end
  const buf = allocBatch(ts.length, K, L, H);
  buf.x.fill(99);
  fillBatch(p, ts, L, H, buf);
  for (let b = 0; b < ts.length; b++) {
    for (let k = 0; k < K; k++) {
      const r = b * K + k;
      for (let j = 0; j < L; j++) {
        const tt = ts[b]! - L + j;
        assert.equal(buf.x[r * L + j], tt >= 0 ? p.zf[tt * K + k] : 0, `x b=${b} k=${k} j=${j}`);
      }
      for (let h = 0; h < H; h++) {
        const tt = ts[b]! + h;
        const v = tt < T ? p.z[tt * K + k]! : NaN;
        assert.equal(buf.ym[r * H + h], Number.isFinite(v) ? 1 : 0);
        assert.equal(buf.y[r * H + h], Number.isFinite(v) ? v : 0);
      }
    }
  }
  assert.equal(buf.ym[(2 * K) * H + 1], 0, 'the step after the last one is masked');
});

test('origins: every origin whose targets lie in the part; a part too short for one window is a ForecastError', () => {
  const ds = tinyDataset({ T: 100 }); // train [0,70), val [70,80), test [80,100)
  assert.deepEqual([...origins(ds, 'train', 16, 4)], Array.from({ length: 70 - 4 - 16 + 1 }, (_, i) => 16 + i));
  assert.deepEqual([...origins(ds, 'test', 16, 4)], Array.from({ length: 100 - 4 - 80 + 1 }, (_, i) => 80 + i));
  assert.throws(() => origins(ds, 'val', 16, 11), (e: Error & { code?: string }) => {
    assert.match(e.message, /val split has no complete window .* val is steps \[70, 80\)/);
    assert.equal(e.name, 'ForecastError');
    return true;
  });
});
