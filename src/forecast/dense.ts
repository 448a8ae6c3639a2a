/**
 * Hot-path linear algebra with fast-path gradients. In tfjs-backend-wasm only a plain 2-D matMul (no transpose
 * flags, batch 1) reaches XNNPACK; the default matMul gradient uses transposed products that fall to a naive
 * loop (research/forecasting.md sec. 0.1: 2-4x slower steps). So every hot product is written as 2-D, with batch
 * and node dimensions folded into rows, and the backward pass uses explicit `tf.transpose` then NN matMul.
 */
import { tf } from './backend.ts';

/**
 * y = x W (+ b) for x [N, in], W [in, out], b [out]; custom gradient:
 * dx = dy W^T, dW = x^T dy, db = sum_rows dy, each as transpose-then-NN matMul.
 */
export function dense2d(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  if (b) return denseBias(x, w, b);
  return denseNoBias(x, w);
}

type CustomFn = Parameters<typeof tf.customGrad>[0];

const denseNoBias = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  const value = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy as tf.Tensor2D)];
    },
  };
}) as unknown as CustomFn) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

const denseBias = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  const value = tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(ws)),
        tf.matMul(tf.transpose(xs), dy as tf.Tensor2D),
        tf.sum(dy, 0),
      ];
    },
  };
}) as unknown as CustomFn) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/**
 * Left product by a constant matrix: y = M x for M [R, C] constant and x [C, F]; the gradient dx = M^T dy uses a
 * precomputed M^T (also constant), so both directions are plain NN 2-D products.
 */
export function constLeftMatMul(m: tf.Tensor2D, mT: tf.Tensor2D): (x: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.matMul(m, x as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor) => [tf.matMul(mT, dy as tf.Tensor2D)],
    };
  }) as unknown as CustomFn) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
}

/**
 * Sparse left product y = A x for a K x K sparse A given as padded neighbour lists (idx [K*m], weights [K, m]):
 * y[k] = sum_j w[k, j] x[idx[k, j]]. Forward is a gather + weighted sum; the gradient is the same operation with
 * A^T's neighbour lists (the wasm backend has no UnsortedSegmentSum, so gather's default gradient is unusable).
 */
export function sparseLeftMatMul(
  fwd: { idx: tf.Tensor1D; w: tf.Tensor3D; m: number },
  bwd: { idx: tf.Tensor1D; w: tf.Tensor3D; m: number },
  K: number,
): (x: tf.Tensor2D) => tf.Tensor2D {
  const apply = (p: { idx: tf.Tensor1D; w: tf.Tensor3D; m: number }, x: tf.Tensor2D): tf.Tensor2D => {
    const f = x.shape[1];
    const g = tf.reshape(tf.gather(x, p.idx), [K, p.m, f]);
    return tf.sum(tf.mul(g, p.w), 1) as tf.Tensor2D;
  };
  return tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: apply(fwd, x as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor) => [apply(bwd, dy as tf.Tensor2D)],
    };
  }) as unknown as CustomFn) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
}
