/**
 * The seed model (seed 000, Huang et al.): shared-representation multi-task forecaster. Rows are tasks of all
 * windows in the batch (row b*K + k); every weight is shared across tasks except the exclusive decoder heads.
 *
 * - Eq. 1, shared encoder h = f(X): each task's instance-normalised look-back window is cut into P patches of S
 *   steps; one shared dense layer + learned patch-position embedding maps each patch to h_p in R^d.
 * - Eq. 2, state fusion h~_p = a_p h_p + (1 - a_p) h~_{p-1} with a scalar a_p = sigmoid(x_p w_a + b_a + s u_a) (x_p =
 *   the patch's input):
 *   the recurrence over patches is evaluated in closed form, h~_P = sum_p a_p prod_{q>p}(1 - a_q) h_p, with the
 *   suffix sums of log(1 - a) as one 2-D product with a constant [P, P] matrix (no per-step ops; tf.cumsum's
 *   gradient is wrong on a non-last axis in tfjs 4.22); a_0 = 1 starts the state.
 * - Eq. 3, graph propagation z = tanh(A h~ W_s) W_up with the dataset's adjacency A (row-normalised, self-loops),
 *   plus an optional learned low-rank adjacency E1 E2^T (flag lowRank). W_s maps d to a narrow message width
 *   d_g (graphDim, default 16) and W_up back to d, so the K x K product costs K^2 d_g, not K^2 d (K = 1,500:
 *   72 vs 576 MFLOP per window). A is applied as a 2-D product on [K, B*d_g].
 * - Eq. 4, gate g = lambda z + (1 - lambda) h~ (the paper's "(1 - z_t)" is read as the typo "(1 - lambda_t)"),
 *   lambda = sigmoid(f W_l + b_l) where f = log1p of recent fluctuation statistics of the input (mean |dx| over
 *   the last 16 steps, over the whole window, and the distance of the window mean from the last value).
 * - Eq. 7, adjustment Gamma(s, g): s = the same fluctuation statistics; it shifts the fusion gate a (u_a s above:
 *   volatile inputs forget history faster), it drives lambda (propagation strength), and it rescales the
 *   representation g <- g * (1 + tanh(f W_g)) (W_g starts at 0 = identity).
 * - Eq. 5, decoder: a shared head (dense d -> H on [g, h_P, time of day]) plus an exclusive head per metric group
 *   (dense d -> G*H, each task reads its group's H outputs), all horizons at once; plus a linear skip path L -> H
 *   on the normalised input (NLinear-style), so the model contains a channel-independent linear forecaster.
 * - Eq. 6, loss sum_k w_k masked MSE: in train.ts (uniform, inverse-variance or learned weights).
 * Instance normalisation: subtract each task's last input value, add it back to the forecast.
 * `forward` is the training path (custom fast-path gradients); forecasts use `infer` (shared-infer.ts), the same
 * function arranged for fewer, larger kernels.
 */
import { tf } from '../backend.ts';
import { ParamStore } from '../params.ts';
import { dense2d } from '../dense.ts';
import { adjacencyOp } from '../adjacency.ts';
import { createSharedInfer } from './shared-infer.ts';
import { rowsToTasks, subtractLast, tasksToRows, type ModelContext, type ModelInput, type NeuralForecaster } from './model.ts';

const RECENT = 16;

export function createShared(ctx: ModelContext, seed: number): NeuralForecaster {
  const params = new ParamStore(seed);
  const { K, L, H, hidden: d, groupCount: G } = ctx;
  const S = Math.min(ctx.patch, L);
  const P = Math.floor(L / S);
  const used = P * S;
  const recent = Math.min(RECENT, L - 1);
  const r = ctx.lowRank;
  const dg = Math.min(d, ctx.graphDim);
  params.get('enc.w', [S, d]);
  params.get('enc.b', [d], 'zeros');
  params.get('enc.pos', [P, d], { normal: 0.02 });
  params.get('fuse.w', [S, 1]);
  params.get('fuse.b', [1], 'zeros');
  params.get('fuse.u', [3, 1], 'zeros');
  if (ctx.graph) {
    params.get('graph.ws', [d, dg]);
    params.get('graph.up', [dg, d]);
    if (r > 0) {
      params.get('graph.e1', [K, r], { normal: 1 / Math.sqrt(K) });
      params.get('graph.e2', [K, r], { normal: 1 / Math.sqrt(K) });
    }
    params.get('gate.w', [3, d]);
    params.get('gate.b', [d], { constant: -1 });
  }
  params.get('adj.w', [3, d], 'zeros');
  params.get('dec.tod', [2, d]);
  params.get('dec.w1', [2 * d, d]);
  params.get('dec.b1', [d], 'zeros');
  params.get('dec.shared.w', [d, H]);
  params.get('dec.shared.b', [H], 'zeros');
  params.get('dec.excl.w', [d, G * H]);
  params.get('dec.excl.b', [G * H], 'zeros');
  params.get('skip.w', [L, H], 'zeros');
  params.get('skip.b', [H], 'zeros');
  const p = (n: string) => params.v(n) as unknown as tf.Tensor2D;
  const b = (n: string) => params.v(n) as unknown as tf.Tensor1D;

  const adj = ctx.graph ? adjacencyOp(K, ctx.adjacency) : null;
  const groupOneHot = new Float32Array(K * G);
  for (let k = 0; k < K; k++) groupOneHot[k * G + ctx.groupOf[k]!] = 1;
  const onehot = tf.tensor3d(groupOneHot, [1, K, G]);
  const firstPatch = new Float32Array(P);
  firstPatch[0] = 1;
  const first = tf.tensor2d(firstPatch, [1, P]);
  const later = new Float32Array(P * P); // later[q, p] = 1 if q > p
  for (let q = 0; q < P; q++) for (let pp = 0; pp < q; pp++) later[q * P + pp] = 1;
  const laterSum = tf.tensor2d(later, [P, P]);
  const fast = createSharedInfer(ctx, params, adj, { S, P, used, recent, r, laterSum, first });

  return {
    params,
    infer: fast.infer,
    forward({ x, tod, B }: ModelInput) {
      const N = B * K;
      const [xn, last] = subtractLast(x);
      // Fluctuation statistics (eq. 4 and eq. 7 state s): [N, 3].
      const dx = tf.abs(tf.sub(tf.slice(xn, [0, 1], [-1, L - 1]), tf.slice(xn, [0, 0], [-1, L - 1])));
      const sRecent = tf.mean(tf.slice(dx, [0, L - 1 - recent], [-1, recent]), 1, true);
      const sAll = tf.mean(dx, 1, true);
      const level = tf.abs(tf.mean(xn, 1, true));
      const s = tf.log1p(tf.concat([sRecent, sAll, level], 1)) as tf.Tensor2D;

      // Eq. 1: shared patch encoder, one 2-D dense per patch (keeps every reduction on the last axis: a
      // [N, P, d] layout would need transposes for the sum over patches, which dominated step time).
      const patches = tf.reshape(tf.slice(xn, [0, L - used], [-1, used]), [N * P, S]) as tf.Tensor2D;
      const hs: tf.Tensor2D[] = [];
      for (let q = 0; q < P; q++) {
        const xq = tf.slice(xn, [0, L - used + q * S], [-1, S]) as tf.Tensor2D;
        const bias = tf.add(b('enc.b'), tf.reshape(tf.slice(p('enc.pos'), [q, 0], [1, d]), [d])) as tf.Tensor1D;
        hs.push(tf.relu(dense2d(xq, p('enc.w'), bias)));
      }

      // Eq. 2 (+ eq. 7 via s): input-dependent scalar fusion gate per patch, recurrence in closed form.
      const aLogit = tf.add(
        tf.reshape(dense2d(patches, p('fuse.w')), [N, P]),
        tf.add(dense2d(s, p('fuse.u')), b('fuse.b')),
      );
      const a = tf.add(tf.mul(tf.sigmoid(aLogit), tf.sub(1, first)), first) as tf.Tensor2D; // a_0 = 1
      const log1m = tf.log(tf.add(tf.sub(1, a), 1e-6)) as tf.Tensor2D;
      const after = dense2d(log1m, laterSum); // [N, P]: sum_{q>p} log(1 - a_q)
      const wts = tf.mul(a, tf.exp(after));
      const wcols = tf.split(wts, P, 1);
      const hf = tf.addN(hs.map((h, q) => tf.mul(wcols[q]!, h))) as tf.Tensor2D; // h~_P, [N, d]
      const hLast = hs[P - 1]!;

      let g: tf.Tensor2D = hf;
      if (adj) {
        // Eq. 3: z = tanh(A h~ W_s (+ E1 E2^T h~ W_s)).
        const u = tasksToRows(dense2d(hf, p('graph.ws')), B, K); // [K, B*d]
        let au = adj.apply(u);
        if (r > 0) au = tf.add(au, dense2d(p('graph.e1'), dense2d(tf.transpose(p('graph.e2')), u)));
        const z = dense2d(tf.tanh(rowsToTasks(au, B, K)), p('graph.up')); // back to d
        // Eq. 4: g = lambda z + (1 - lambda) h~.
        const lambda = tf.sigmoid(dense2d(s, p('gate.w'), b('gate.b')));
        g = tf.add(tf.mul(lambda, z), tf.mul(tf.sub(1, lambda), hf));
      }
      // Eq. 7: Gamma(s, g) = g * (1 + tanh(s W_g)).
      g = tf.mul(g, tf.add(1, tf.tanh(dense2d(s, p('adj.w')))));

      // Eq. 5: shared + exclusive decoder heads, all horizons; linear skip path.
      const gt = tf.add(g, dense2d(tod, p('dec.tod')));
      const hdec = tf.relu(dense2d(tf.concat([gt, hLast], 1) as tf.Tensor2D, p('dec.w1'), b('dec.b1')));
      const ySh = dense2d(hdec, p('dec.shared.w'), b('dec.shared.b'));
      const yEx = tf.sum(
        tf.mul(
          tf.reshape(dense2d(hdec, p('dec.excl.w'), b('dec.excl.b')), [B, K, G, H]),
          tf.reshape(onehot, [1, K, G, 1]),
        ),
        2,
      );
      const ySkip = dense2d(xn, p('skip.w'), b('skip.b'));
      return tf.add(tf.add(tf.add(ySh, tf.reshape(yEx, [N, H])), ySkip), last);
    },
    dispose() {
      fast.dispose();
      adj?.dispose();
      onehot.dispose();
      first.dispose();
      laterSum.dispose();
    },
  };
}
