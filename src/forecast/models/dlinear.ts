/**
 * DLinear (Zeng et al., AAAI 2023), channel-independent with weights shared by all tasks: the (instance-
 * normalised) window is split into a moving-average trend (kernel 25, replicate padding) and a seasonal rest, and
 * each goes through one linear layer L -> H; the two are summed.
 */
import { tf } from '../backend.ts';
import { ParamStore } from '../params.ts';
import { dense2d } from '../dense.ts';
import { subtractLast, type ModelContext, type ModelInput, type NeuralForecaster } from './model.ts';

/** [L, L] matrix M with (x M)[:, j] = moving average of x around j (replicate padding). */
export function movingAverageMatrix(L: number, kernel: number): Float32Array {
  const m = new Float32Array(L * L);
  const half = Math.floor(kernel / 2);
  for (let j = 0; j < L; j++) {
    for (let o = -half; o <= half; o++) {
      const i = Math.min(L - 1, Math.max(0, j + o));
      m[i * L + j] += 1 / (2 * half + 1);
    }
  }
  return m;
}

export function createDLinear(ctx: ModelContext, seed: number): NeuralForecaster {
  const params = new ParamStore(seed);
  const { L, H } = ctx;
  params.get('seasonal.w', [L, H]);
  params.get('trend.w', [L, H]);
  params.get('b', [H], 'zeros');
  const ma = tf.tensor2d(movingAverageMatrix(L, Math.min(25, L - (L % 2 === 0 ? 1 : 0))), [L, L]);
  return {
    params,
    forward({ x }: ModelInput) {
      const [xn, last] = subtractLast(x);
      const trend = tf.matMul(xn, ma) as tf.Tensor2D; // constant input: no gradient flows here
      const seasonal = tf.sub(xn, trend) as tf.Tensor2D;
      const y = tf.add(
        dense2d(seasonal, params.v('seasonal.w') as tf.Tensor2D),
        dense2d(trend, params.v('trend.w') as tf.Tensor2D, params.v('b') as tf.Tensor1D),
      );
      return tf.add(y, last);
    },
    dispose() {
      ma.dispose();
    },
  };
}
