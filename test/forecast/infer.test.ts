import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend, type BackendName } from '../../src/forecast/backend.ts';
import { createForecaster, forecastZ, makeConfig, prepare } from '../../src/forecast/index.ts';
import { allocBatch, fillBatch } from '../../src/forecast/windows.ts';
import { Rng } from '../../src/random.ts';
import { tinyDataset } from './helpers.ts';

/**
 * The shared model's inference path (models/shared-infer.ts) must compute the same function as the training-path
 * forward for the same weights. Every parameter is randomised (many start at zero, which would hide whole
 * branches: skip path, fusion-gate state term, adjustment Gamma).
 */
const CASES = [
  { name: 'graph + low rank', cfg: { lookback: 16, patch: 4, lowRank: 2, graph: true, graphDim: 4 } },
  { name: 'no low rank, look-back not a multiple of the patch', cfg: { lookback: 18, patch: 4, lowRank: 0, graph: true, graphDim: 4 } },
  { name: 'no graph (ablation)', cfg: { lookback: 16, patch: 8, lowRank: 0, graph: false } },
];

function randomise(params: Map<string, tf.Variable>, rng: Rng): void {
  for (const v of params.values()) {
    const t = tf.tensor(Float32Array.from({ length: v.size }, () => 0.5 * rng.normal()), v.shape);
    v.assign(t);
    t.dispose();
  }
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    assert.ok(Number.isFinite(a[i]!) && Number.isFinite(b[i]!), `non-finite output at ${i}`);
    m = Math.max(m, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  }
  return m;
}

for (const backend of ['wasm', 'cpu'] as BackendName[]) {
  for (const c of CASES) {
    test(`shared model: infer equals forward (${c.name}, ${backend})`, async () => {
      await useBackend(backend);
      const ds = tinyDataset({ E: 3, M: 2 });
      const f = createForecaster(ds, makeConfig({ model: 'shared', horizon: 4, hidden: 8, ...c.cfg }));
      const model = f.model!;
      assert.ok(model.infer, 'the shared model has an inference path');
      randomise(model.params.vars, new Rng(11));
      const rng = new Rng(5);
      for (const B of [1, 3]) {
        const N = B * ds.K;
        const L = f.ctx.L;
        const xs = Float32Array.from({ length: N * L }, () => rng.normal());
        const tods = Float32Array.from({ length: N * 2 }, () => rng.normal());
        const run = (which: 'forward' | 'infer') =>
          tf.tidy(() => {
            const input = { x: tf.tensor2d(xs, [N, L]), tod: tf.tensor2d(tods, [N, 2]), B };
            const y = which === 'forward' ? model.forward(input) : model.infer!(input);
            assert.deepEqual(y.shape, [N, f.ctx.H]);
            return y.dataSync() as Float32Array;
          });
        const ref = run('forward');
        const fast = run('infer');
        assert.ok(maxRelDiff(fast, ref) < 1e-4, `B=${B}: max relative difference ${maxRelDiff(fast, ref)}`);
        // The comparison is not vacuous: the outputs vary across rows and horizons.
        assert.ok(new Set(Array.from(ref, (v) => v.toFixed(3))).size > N, 'outputs are not degenerate');
      }
      // forecastZ (which uses infer) agrees with forward on real windows.
      const p = prepare(ds);
      const ts = Int32Array.of(ds.T - 50, ds.T);
      const z = forecastZ(f, p, ts, ds.stepSeconds);
      const buf = allocBatch(2, ds.K, f.ctx.L, f.ctx.H);
      fillBatch(p, ts, f.ctx.L, f.ctx.H, buf);
      const ref = tf.tidy(() => model.forward({ x: tf.tensor2d(buf.x, [2 * ds.K, f.ctx.L]), tod: tf.tensor2d(buf.tod, [2 * ds.K, 2]), B: 2 }).dataSync() as Float32Array);
      const H = f.ctx.H;
      const K = ds.K;
      const refZ = new Float32Array(2 * H * K);
      for (let b = 0; b < 2; b++) for (let k = 0; k < K; k++) for (let h = 0; h < H; h++) refZ[(b * H + h) * K + k] = ref[(b * K + k) * H + h]!;
      assert.ok(maxRelDiff(z, refZ) < 1e-4);
      f.dispose();
    });
  }
}

test('adjacency: the gradient-free product equals the differentiable one', async () => {
  await useBackend('wasm');
  const ds = tinyDataset({ E: 3, M: 2 });
  const { adjacencyOp } = await import('../../src/forecast/adjacency.ts');
  const op = adjacencyOp(ds.K, ds.adjacency);
  const rng = new Rng(2);
  const x = tf.tensor2d(Float32Array.from({ length: ds.K * 5 }, () => rng.normal()), [ds.K, 5]);
  const a = op.apply(x).dataSync() as Float32Array;
  const b = op.applyNoGrad(x).dataSync() as Float32Array;
  assert.ok(maxRelDiff(b, a) < 1e-6);
  assert.ok(a.some((v) => Math.abs(v) > 0.1));
  x.dispose();
  op.dispose();
});
