/**
 * Least squares by Householder QR, in place on caller-owned typed arrays (no allocation per solve). Used by the
 * MLR predictor (seed 004 eq. 1) on centred, unit-norm columns, so that a single relative tolerance on the
 * diagonal of R detects (near) rank deficiency; CoMo's SVD had no tolerance at all (research notes §1.4).
 */

/**
 * Solves min ||A x - b||2 for A (n rows x k columns, column-major, column c at [c * lda, c * lda + n)).
 * Destroys `a` and `b`. Writes x into `out[0..k)`. Returns false (and leaves `out` unspecified) when a diagonal
 * element of R is below `tol` times the largest column norm of A, i.e. the system is rank-deficient, or when
 * n < k.
 */
export function solveLeastSquares(
  a: Float64Array,
  lda: number,
  n: number,
  k: number,
  b: Float64Array,
  out: Float64Array,
  diag: Float64Array,
  tol = 1e-7,
): boolean {
  if (n < k || k === 0) return false;
  let maxNorm = 0;
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[c * lda + i]! * a[c * lda + i]!;
    maxNorm = Math.max(maxNorm, Math.sqrt(s));
  }
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) return false;
  const limit = tol * maxNorm;
  for (let j = 0; j < k; j++) {
    const cj = j * lda;
    let s = 0;
    for (let i = j; i < n; i++) s += a[cj + i]! * a[cj + i]!;
    const norm = Math.sqrt(s);
    if (!(norm > limit)) return false;
    const ajj = a[cj + j]!;
    const alpha = ajj > 0 ? -norm : norm;
    const v0 = ajj - alpha;
    a[cj + j] = v0;
    const vnorm2 = s - ajj * ajj + v0 * v0;
    diag[j] = alpha;
    // Reflect the remaining columns and b: x -= 2 (v.x / v.v) v, v = a[cj + j .. cj + n).
    for (let c = j + 1; c < k; c++) {
      const cc = c * lda;
      let d = 0;
      for (let i = j; i < n; i++) d += a[cj + i]! * a[cc + i]!;
      const f = (2 * d) / vnorm2;
      for (let i = j; i < n; i++) a[cc + i] = a[cc + i]! - f * a[cj + i]!;
    }
    let d = 0;
    for (let i = j; i < n; i++) d += a[cj + i]! * b[i]!;
    const f = (2 * d) / vnorm2;
    for (let i = j; i < n; i++) b[i] = b[i]! - f * a[cj + i]!;
  }
  for (let j = k - 1; j >= 0; j--) {
    let s = b[j]!;
    for (let c = j + 1; c < k; c++) s -= a[c * lda + j]! * out[c]!;
    out[j] = s / diag[j]!;
  }
  for (let j = 0; j < k; j++) if (!Number.isFinite(out[j]!)) return false;
  return true;
}
