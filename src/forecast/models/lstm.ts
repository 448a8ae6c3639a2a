/**
 * LSTM and BiLSTM baselines, channel-mixing (the seed's and the reference table's setting): the input at each
 * time step is the vector of all K tasks (instance-normalised), the final hidden state (both directions for
 * BiLSTM) is decoded by one linear layer into K x H forecasts. The input projection of all steps is one 2-D
 * matMul; the recurrence is one small matMul per step.
 */
import { tf } from '../backend.ts';
import { ParamStore } from '../params.ts';
import { dense2d } from '../dense.ts';
import { subtractLast, type ModelContext, type ModelInput, type NeuralForecaster } from './model.ts';

export function createLstm(ctx: ModelContext, seed: number, bidirectional: boolean): NeuralForecaster {
  const params = new ParamStore(seed);
  const { K, L, H, hidden: d } = ctx;
  const dirs = bidirectional ? ['fw', 'bw'] : ['fw'];
  // Forget-gate bias 1 (gates ordered i, f, g, o).
  const bias = new Float32Array(4 * d);
  bias.fill(1, d, 2 * d);
  for (const dir of dirs) {
    params.get(`${dir}.wx`, [K, 4 * d]);
    params.get(`${dir}.wh`, [d, 4 * d]);
    params.get(`${dir}.b`, [4 * d], { values: bias });
  }
  params.get('out.w', [dirs.length * d, K * H]);
  params.get('out.b', [K * H], 'zeros');
  const p = (n: string) => params.v(n) as unknown as tf.Tensor2D;
  const b = (n: string) => params.v(n) as unknown as tf.Tensor1D;

  const run = (xs: tf.Tensor2D[], dir: string, B: number): tf.Tensor2D => {
    let h = tf.zeros([B, d]) as tf.Tensor2D;
    let c = tf.zeros([B, d]) as tf.Tensor2D;
    for (const xt of xs) {
      const gates = tf.add(xt, dense2d(h, p(`${dir}.wh`))) as tf.Tensor2D;
      const [i, f, g, o] = tf.split(gates, 4, 1);
      c = tf.add<tf.Tensor2D>(tf.mul(tf.sigmoid(f!), c), tf.mul(tf.sigmoid(i!), tf.tanh(g!)));
      h = tf.mul<tf.Tensor2D>(tf.sigmoid(o!), tf.tanh(c));
    }
    return h;
  };

  return {
    params,
    forward({ x, B }: ModelInput) {
      const [xn, last] = subtractLast(x);
      // [B*K, L] -> [L*B, K]: time-major rows of task vectors.
      const seq = tf.reshape(tf.transpose(tf.reshape(xn, [B, K, L]), [2, 0, 1]), [L * B, K]) as tf.Tensor2D;
      const hs: tf.Tensor2D[] = [];
      for (const dir of dirs) {
        const proj = tf.reshape(dense2d(seq, p(`${dir}.wx`), b(`${dir}.b`)), [L, B, 4 * d]);
        const steps = tf.unstack(proj) as tf.Tensor2D[];
        hs.push(run(dir === 'fw' ? steps : steps.reverse(), dir, B));
      }
      const hcat = hs.length === 1 ? hs[0]! : tf.concat(hs, 1);
      const y = tf.reshape(dense2d(hcat, p('out.w'), b('out.b')), [B * K, H]);
      return tf.add(y, last);
    },
    dispose() {},
  };
}
