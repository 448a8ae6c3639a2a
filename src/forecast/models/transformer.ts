/**
 * Transformer baseline (small: 2 pre-LN encoder layers, d = 64 by default via --hidden, 4 heads), channel-mixing
 * like the seed's and the reference table's: one token per time step whose features are all K tasks
 * (instance-normalised), learned positional embeddings; mean-pooled + last token are decoded into K x H forecasts.
 * Projections are 2-D dense (fast path); the attention products are batched matMuls (small: L x L per head).
 */
import { tf } from '../backend.ts';
import { ParamStore } from '../params.ts';
import { dense2d } from '../dense.ts';
import { subtractLast, type ModelContext, type ModelInput, type NeuralForecaster } from './model.ts';

const LAYERS = 2;
const HEADS = 4;

export function createTransformer(ctx: ModelContext, seed: number): NeuralForecaster {
  const params = new ParamStore(seed);
  const { K, L, H } = ctx;
  const d = Math.max(HEADS, Math.round(ctx.hidden / HEADS) * HEADS);
  const dh = d / HEADS;
  params.get('emb.w', [K, d]);
  params.get('emb.b', [d], 'zeros');
  params.get('pos', [L, d], { normal: 0.02 });
  for (let l = 0; l < LAYERS; l++) {
    for (const n of ['q', 'k', 'v', 'o']) params.get(`l${l}.${n}`, [d, d]);
    params.get(`l${l}.ff1.w`, [d, 2 * d]);
    params.get(`l${l}.ff1.b`, [2 * d], 'zeros');
    params.get(`l${l}.ff2.w`, [2 * d, d]);
    params.get(`l${l}.ff2.b`, [d], 'zeros');
    for (const n of ['ln1', 'ln2']) {
      params.get(`l${l}.${n}.g`, [d], 'ones');
      params.get(`l${l}.${n}.b`, [d], 'zeros');
    }
  }
  params.get('out.w', [2 * d, K * H]);
  params.get('out.b', [K * H], 'zeros');
  const p = (n: string) => params.v(n) as unknown as tf.Tensor2D;
  const b = (n: string) => params.v(n) as unknown as tf.Tensor1D;

  const layerNorm = (x: tf.Tensor2D, n: string): tf.Tensor2D => {
    const { mean, variance } = tf.moments(x, 1, true);
    const xn = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5)));
    return tf.add(tf.mul(xn, b(`${n}.g`)), b(`${n}.b`));
  };
  const heads = (x: tf.Tensor2D, B: number): tf.Tensor3D =>
    tf.reshape(tf.transpose(tf.reshape(x, [B, L, HEADS, dh]), [0, 2, 1, 3]), [B * HEADS, L, dh]);

  return {
    params,
    forward({ x, B }: ModelInput) {
      const [xn, last] = subtractLast(x);
      const tok = tf.reshape(tf.transpose(tf.reshape(xn, [B, K, L]), [0, 2, 1]), [B * L, K]) as tf.Tensor2D;
      let hcur = tf.reshape(
        tf.add(tf.reshape(dense2d(tok, p('emb.w'), b('emb.b')), [B, L, d]), p('pos')),
        [B * L, d],
      ) as tf.Tensor2D;
      for (let l = 0; l < LAYERS; l++) {
        const a = layerNorm(hcur, `l${l}.ln1`);
        const q = heads(dense2d(a, p(`l${l}.q`)), B);
        const k = heads(dense2d(a, p(`l${l}.k`)), B);
        const v = heads(dense2d(a, p(`l${l}.v`)), B);
        const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)));
        const ctxv = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v), [B, HEADS, L, dh]), [0, 2, 1, 3]), [B * L, d]);
        hcur = tf.add(hcur, dense2d(ctxv as tf.Tensor2D, p(`l${l}.o`)));
        const f = layerNorm(hcur, `l${l}.ln2`);
        const ff = dense2d(tf.relu(dense2d(f, p(`l${l}.ff1.w`), b(`l${l}.ff1.b`))), p(`l${l}.ff2.w`), b(`l${l}.ff2.b`));
        hcur = tf.add(hcur, ff);
      }
      const h3 = tf.reshape(hcur, [B, L, d]);
      const pooled = tf.concat([tf.mean(h3, 1), tf.reshape(tf.slice(h3, [0, L - 1, 0], [-1, 1, -1]), [B, d])], 1) as tf.Tensor2D;
      const y = tf.reshape(dense2d(pooled, p('out.w'), b('out.b')), [B * K, H]);
      return tf.add(y, last);
    },
    dispose() {},
  };
}
