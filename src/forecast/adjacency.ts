/**
 * The dataset's sparse task adjacency A (CSR, row-normalised, self-loops) as a differentiable left-multiplication
 * operator on [K, F] matrices (eq. 3: A h). Small K: dense K x K constant, 2-D NN matMul both ways (A^T
 * precomputed). Large K: padded neighbour lists with gather (see dense.ts sparseLeftMatMul).
 */
import { tf } from './backend.ts';
import { constLeftMatMul, sparseLeftMatMul } from './dense.ts';
import type { SparseAdjacency } from '../series/index.ts';

export interface AdjacencyOp {
  /** A x, differentiable (custom gradient A^T dy). */
  apply(x: tf.Tensor2D): tf.Tensor2D;
  /** A x without gradient bookkeeping (inference). */
  applyNoGrad(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

// Dense up to 4096 tasks (64 MB): one XNNPACK matMul beats the wasm GatherV2 kernel by orders of magnitude
// (K = 1500, 16k non-zeros: 3.3 s gather vs ~10 ms dense, measured).
const DENSE_MAX_K = 4096;

function padded(K: number, rowPtr: Int32Array, cols: Int32Array, vals: Float64Array | Float32Array) {
  let m = 1;
  for (let k = 0; k < K; k++) m = Math.max(m, rowPtr[k + 1]! - rowPtr[k]!);
  const idx = new Int32Array(K * m);
  const w = new Float32Array(K * m);
  for (let k = 0; k < K; k++) {
    let j = 0;
    for (let e = rowPtr[k]!; e < rowPtr[k + 1]!; e++, j++) {
      idx[k * m + j] = cols[e]!;
      w[k * m + j] = vals[e]!;
    }
    for (; j < m; j++) idx[k * m + j] = k; // weight 0
  }
  return { idx: tf.tensor1d(idx, 'int32'), w: tf.tensor3d(w, [K, m, 1]), m };
}

/** Transpose of a CSR matrix, in CSR. */
function transposeCsr(K: number, a: SparseAdjacency): { rowPtr: Int32Array; colIdx: Int32Array; values: Float32Array } {
  const counts = new Int32Array(K + 1);
  for (let e = 0; e < a.colIdx.length; e++) counts[a.colIdx[e]! + 1]!++;
  for (let k = 0; k < K; k++) counts[k + 1]! += counts[k]!;
  const rowPtr = Int32Array.from(counts);
  const fill = Int32Array.from(counts);
  const colIdx = new Int32Array(a.colIdx.length);
  const values = new Float32Array(a.colIdx.length);
  for (let r = 0; r < K; r++) {
    for (let e = a.rowPtr[r]!; e < a.rowPtr[r + 1]!; e++) {
      const c = a.colIdx[e]!;
      const pos = fill[c]!++;
      colIdx[pos] = r;
      values[pos] = a.values[e]!;
    }
  }
  return { rowPtr, colIdx, values };
}

/**
 * y = A x in plain JS over the CSR lists (nnz x F multiply-adds: K = 1,500 with 16k non-zeros and F = 16 is
 * ~0.3 ms, vs ~2.3 ms for the dense XNNPACK product). Reads x synchronously (every backend we use is synchronous).
 */
function csrLeftMatMul(K: number, a: SparseAdjacency): (x: tf.Tensor2D) => tf.Tensor2D {
  const rowPtr = a.rowPtr;
  const cols = a.colIdx;
  const vals = Float32Array.from(a.values);
  return (x) => {
    const F = x.shape[1];
    const xs = x.dataSync() as Float32Array;
    const out = new Float32Array(K * F);
    for (let r = 0; r < K; r++) {
      const o = r * F;
      for (let e = rowPtr[r]!; e < rowPtr[r + 1]!; e++) {
        const w = vals[e]!;
        const xo = cols[e]! * F;
        for (let f = 0; f < F; f++) out[o + f]! += w * xs[xo + f]!;
      }
    }
    return tf.tensor2d(out, [K, F]);
  };
}

export function adjacencyOp(K: number, a: SparseAdjacency): AdjacencyOp {
  const applyNoGrad = csrLeftMatMul(K, a);
  if (K <= DENSE_MAX_K) {
    const m = new Float32Array(K * K);
    const mt = new Float32Array(K * K);
    for (let r = 0; r < K; r++) {
      for (let e = a.rowPtr[r]!; e < a.rowPtr[r + 1]!; e++) {
        m[r * K + a.colIdx[e]!] += a.values[e]!;
        mt[a.colIdx[e]! * K + r] += a.values[e]!;
      }
    }
    const A = tf.tensor2d(m, [K, K]);
    const AT = tf.tensor2d(mt, [K, K]);
    const f = constLeftMatMul(A, AT);
    return { apply: f, applyNoGrad, dispose: () => (A.dispose(), AT.dispose()) };
  }
  const fwd = padded(K, a.rowPtr, a.colIdx, a.values);
  const t = transposeCsr(K, a);
  const bwd = padded(K, t.rowPtr, t.colIdx, t.values);
  const f = sparseLeftMatMul(fwd, bwd, K);
  return {
    apply: f,
    applyNoGrad,
    dispose: () => {
      for (const p of [fwd, bwd]) (p.idx.dispose(), p.w.dispose());
    },
  };
}
