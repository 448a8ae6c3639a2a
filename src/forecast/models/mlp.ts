/** MLP baseline, channel-independent (weights shared by all tasks): L -> d -> d -> H with ReLU. */
import { tf } from '../backend.ts';
import { ParamStore } from '../params.ts';
import { dense2d } from '../dense.ts';
import { subtractLast, type ModelContext, type ModelInput, type NeuralForecaster } from './model.ts';

export function createMlp(ctx: ModelContext, seed: number): NeuralForecaster {
  const params = new ParamStore(seed);
  const { L, H, hidden: d } = ctx;
  params.get('l1.w', [L, d]);
  params.get('l1.b', [d], 'zeros');
  params.get('l2.w', [d, d]);
  params.get('l2.b', [d], 'zeros');
  params.get('out.w', [d, H]);
  params.get('out.b', [H], 'zeros');
  const p = (n: string) => params.v(n) as unknown as tf.Tensor2D;
  const b = (n: string) => params.v(n) as unknown as tf.Tensor1D;
  return {
    params,
    forward({ x }: ModelInput) {
      const [xn, last] = subtractLast(x);
      const h1 = tf.relu(dense2d(xn, p('l1.w'), b('l1.b')));
      const h2 = tf.relu(dense2d(h1, p('l2.w'), b('l2.b')));
      return tf.add(dense2d(h2, p('out.w'), b('out.b')), last);
    },
    dispose() {},
  };
}
