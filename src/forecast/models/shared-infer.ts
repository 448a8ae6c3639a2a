/**
 * Inference-only forward of the shared model (shared.ts): the same function as `forward` for the same weights
 * (test/forecast/infer.test.ts compares them), arranged for few, large kernels. Measured on Bitbrains (K = 1,500,
 * one window) the training path spends much of its time outside useful arithmetic: a loop of 12 per-patch column
 * slices (the wasm Slice kernel copies its whole input each time), dense layers and products, custom-gradient
 * wrappers, and a dense K x K product for a matrix with ~1% non-zeros. Here:
 * - no custom gradients; plain and fused matMuls (bias and relu/sigmoid inside the XNNPACK call);
 * - the last values, the fluctuation statistics s (eq. 4, 7) and the last patch come from one host-side pass
 *   over the input instead of slices and means;
 * - eq. 1 for all P patches as ONE product on the free reshape [N*P, S] (rows n*P + q); the fused state of eq. 2
 *   weights the rows and sums each task's P rows with an average pool (times P), which needs no transpose;
 * - eq. 3's A u uses the CSR lists in JS (nnz x d_g multiply-adds) instead of the dense K x K product;
 * - eq. 5: shared and exclusive heads in one product with [W_shared | W_excl]; the group selection is a multiply
 *   by a constant 0/1 mask and a product with a constant stacked-identity matrix.
 * Constant tensors are built once per model (masks once per batch size); the patch constants are shared.ts's.
 */
import { tf } from '../backend.ts';
import type { ParamStore } from '../params.ts';
import type { AdjacencyOp } from '../adjacency.ts';
import { rowsToTasks, tasksToRows, type ModelContext, type ModelInput } from './model.ts';

export interface SharedInfer {
  infer(input: ModelInput): tf.Tensor2D;
  dispose(): void;
}

export interface SharedShape {
  S: number;
  P: number;
  used: number;
  recent: number;
  r: number;
  /** The training path's constants, owned (and disposed) by shared.ts: later[q, p] = 1 if q > p, [P, P]. */
  laterSum: tf.Tensor2D;
  /** [1, P] one-hot of patch 0 (a_0 = 1). */
  first: tf.Tensor2D;
}

export function createSharedInfer(ctx: ModelContext, params: ParamStore, adj: AdjacencyOp | null, shape: SharedShape): SharedInfer {
  const { K, L, H, hidden: d, groupCount: G } = ctx;
  const { S, P, used, recent, r, laterSum, first } = shape;
  const p = (n: string) => params.v(n) as unknown as tf.Tensor2D;
  const b = (n: string) => params.v(n) as unknown as tf.Tensor1D;
  // Head combination: columns [0, H) shared head, [H + g*H, H + (g+1)*H) exclusive head of group g.
  const W = (1 + G) * H;
  const sumM = new Float32Array(W * H);
  for (let c = 0; c < W; c++) sumM[c * H + (c % H)] = 1;
  const headSum = tf.keep(tf.tensor2d(sumM, [W, H]));
  const masks = new Map<number, tf.Tensor2D>(); // per batch size B: [B*K, W]
  const headMask = (B: number): tf.Tensor2D => {
    let m = masks.get(B);
    if (!m) {
      const data = new Float32Array(B * K * W);
      for (let bb = 0; bb < B; bb++) {
        for (let k = 0; k < K; k++) {
          const o = (bb * K + k) * W;
          const g = ctx.groupOf[k]!;
          for (let h = 0; h < H; h++) {
            data[o + h] = 1;
            data[o + H + g * H + h] = 1;
          }
        }
      }
      m = tf.keep(tf.tensor2d(data, [B * K, W]));
      masks.set(B, m);
    }
    return m;
  };

  return {
    infer({ x, tod, B }: ModelInput): tf.Tensor2D {
      const N = B * K;
      // One pass over the input on the host: each task's last value (instance normalisation), the fluctuation
      // statistics s (eq. 4 and 7: mean |dx| over the last `recent` steps and over the window, |mean(x - last)|)
      // and the last patch (for h_P); this replaces seven slices, each of which copies its whole input in wasm.
      const xs = x.dataSync() as Float32Array;
      const lastV = new Float32Array(N);
      const sV = new Float32Array(N * 3);
      const xLastV = new Float32Array(N * S);
      for (let n = 0; n < N; n++) {
        const o = n * L;
        const lv = xs[o + L - 1]!;
        let sumAll = 0;
        let sumRecent = 0;
        let sumX = 0;
        for (let j = 0; j < L; j++) sumX += xs[o + j]!;
        for (let j = 0; j < L - 1; j++) {
          const ad = Math.abs(xs[o + j + 1]! - xs[o + j]!);
          sumAll += ad;
          if (j >= L - 1 - recent) sumRecent += ad;
        }
        lastV[n] = lv;
        sV[n * 3] = Math.log1p(sumRecent / recent);
        sV[n * 3 + 1] = Math.log1p(sumAll / (L - 1));
        sV[n * 3 + 2] = Math.log1p(Math.abs(sumX / L - lv));
        for (let j = 0; j < S; j++) xLastV[n * S + j] = xs[o + L - S + j]! - lv;
      }
      const last = tf.tensor2d(lastV, [N, 1]);
      const xn = tf.sub(x, last) as tf.Tensor2D;
      const s = tf.tensor2d(sV, [N, 3]);

      // Patch rows: xr[n*P + q] = x_q[n] (a free reshape).
      const xu = used === L ? xn : tf.slice(xn, [0, L - used], [-1, used]);
      const xr = tf.reshape(xu, [N * P, S]) as tf.Tensor2D;
      const posB = tf.add(p('enc.pos'), b('enc.b')) as tf.Tensor2D; // [P, d]: per-patch bias c_q of eq. 1

      // Eq. 2 first (it only needs the raw patches): a_0 = 1, weights w_q = a_q prod_{r>q} (1 - a_r), [N, P].
      const aLogit = tf.add(tf.reshape(tf.matMul(xr, p('fuse.w')), [N, P]), tf.add(tf.matMul(s, p('fuse.u')), b('fuse.b')));
      const a = tf.add(tf.mul(tf.sigmoid(aLogit), tf.sub(1, first)), first) as tf.Tensor2D;
      const log1m = tf.log(tf.add(tf.sub(1, a), 1e-6)) as tf.Tensor2D;
      const wNP = tf.mul(a, tf.exp(tf.matMul(log1m, laterSum)));

      // Eq. 1 for all patches in one product (rows n*P + q) and the fused state h~ = sum_q w_q h_q: the sum over
      // the P rows of each task is an average pool (XNNPACK, channels innermost) times P, which avoids the
      // transpose that a Sum over a middle axis costs.
      const h = tf.relu(tf.add(tf.reshape(tf.matMul(xr, p('enc.w')), [N, P, d]), tf.reshape(posB, [1, P, d])));
      const hw = tf.reshape(tf.mul(h, tf.reshape(wNP, [N, P, 1])), [N, P, 1, d]) as tf.Tensor4D;
      const hf = tf.mul(tf.reshape(tf.avgPool(hw, [P, 1], 1, 'valid'), [N, d]), P) as tf.Tensor2D; // h~_P, [N, d]
      // The last patch's encoding again from its own columns (a small product; slicing h would copy all of it).
      const xLast = tf.tensor2d(xLastV, [N, S]);
      const hLast = tf.relu(tf.add(tf.matMul(xLast, p('enc.w')), tf.slice(posB, [P - 1, 0], [1, d]))) as tf.Tensor2D;

      let g: tf.Tensor2D = hf;
      if (adj) {
        // Eq. 3-4.
        const msg = tf.matMul(hf, p('graph.ws')) as tf.Tensor2D;
        const u = B === 1 ? msg : tasksToRows(msg, B, K);
        let au = adj.applyNoGrad(u as tf.Tensor2D);
        if (r > 0) au = tf.add(au, tf.matMul(p('graph.e1'), tf.matMul(p('graph.e2'), u, true, false))) as tf.Tensor2D;
        const z = tf.matMul(tf.tanh(B === 1 ? au : rowsToTasks(au, B, K)), p('graph.up'));
        const lambda = tf.fused.matMul({ a: s, b: p('gate.w'), bias: b('gate.b'), activation: 'sigmoid' });
        g = tf.add(tf.mul(lambda, z), tf.mul(tf.sub(1, lambda), hf));
      }
      g = tf.mul(g, tf.add(1, tf.tanh(tf.matMul(s, p('adj.w')))));

      // Eq. 5.
      const gt = tf.add(g, tf.matMul(tod, p('dec.tod')));
      const hdec = tf.fused.matMul({ a: tf.concat([gt, hLast], 1) as tf.Tensor2D, b: p('dec.w1'), bias: b('dec.b1'), activation: 'relu' });
      const heads = tf.fused.matMul({
        a: hdec,
        b: tf.concat([p('dec.shared.w'), p('dec.excl.w')], 1) as tf.Tensor2D,
        bias: tf.concat([b('dec.shared.b'), b('dec.excl.b')]),
      });
      const y = tf.matMul(tf.mul(heads, headMask(B)) as tf.Tensor2D, headSum);
      const ySkip = tf.fused.matMul({ a: xn, b: p('skip.w'), bias: b('skip.b') });
      return tf.add(tf.add(y, ySkip), last) as tf.Tensor2D;
    },
    dispose() {
      headSum.dispose();
      for (const m of masks.values()) m.dispose();
      masks.clear();
    },
  };
}
