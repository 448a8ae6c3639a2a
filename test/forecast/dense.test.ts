import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend } from '../../src/forecast/backend.ts';
import { dense2d } from '../../src/forecast/dense.ts';
import { adjacencyOp } from '../../src/forecast/adjacency.ts';
import { Rng } from '../../src/random.ts';

function rand(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  const x = a.dataSync();
  const y = b.dataSync();
  assert.equal(x.length, y.length);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= tol * (1 + Math.abs(y[i]!)), `index ${i}: ${x[i]} vs ${y[i]}`);
}

test('dense2d custom gradients equal tf default matMul gradients', async () => {
  await useBackend('wasm');
  const rng = new Rng(3);
  const x = rand([7, 5], rng);
  const w = rand([5, 3], rng);
  const b = rand([3], rng);
  const up = rand([7, 3], rng); // random upstream gradient via a weighted sum
  const fCustom = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(dense2d(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), up));
  const fRef = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb), up));
  const g1 = tf.grads(fCustom)([x, w, b]);
  const g2 = tf.grads(fRef)([x, w, b]);
  for (let i = 0; i < 3; i++) close(g1[i]!, g2[i]!);
  const h1 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(dense2d(xx as tf.Tensor2D, ww as tf.Tensor2D), up)))([x, w]);
  const h2 = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), up)))([x, w]);
  for (let i = 0; i < 2; i++) close(h1[i]!, h2[i]!);
  close(dense2d(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D), tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b));
  tf.dispose([x, w, b, up, ...g1, ...g2, ...h1, ...h2]);
});

test('sparse and dense adjacency operators agree with A x and their gradients with A^T dy', async () => {
  await useBackend('wasm');
  const rng = new Rng(5);
  for (const K of [5, 4100]) {
    // Random sparse A: self-loop + up to 3 random neighbours per row.
    const rowPtr = new Int32Array(K + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    const dense = new Float32Array(K * K);
    for (let r = 0; r < K; r++) {
      const nb = new Set([r, rng.int(K), rng.int(K), rng.int(K)]);
      for (const c of nb) {
        const v = rng.next();
        cols.push(c);
        vals.push(v);
        dense[r * K + c] = v;
      }
      rowPtr[r + 1] = cols.length;
    }
    const op = adjacencyOp(K, { kind: 'test', rowPtr, colIdx: Int32Array.from(cols), values: Float64Array.from(vals) });
    const A = tf.tensor2d(dense, [K, K]);
    const x = rand([K, 6], rng);
    const up = rand([K, 6], rng);
    close(op.apply(x as tf.Tensor2D), tf.matMul(A, x as tf.Tensor2D));
    const g1 = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(op.apply(xx as tf.Tensor2D), up)))(x);
    const g2 = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(tf.matMul(A, xx as tf.Tensor2D), up)))(x);
    close(g1, g2);
    op.dispose();
    tf.dispose([A, x, up, g1, g2]);
  }
});
