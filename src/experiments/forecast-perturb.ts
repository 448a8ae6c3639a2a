/**
 * Perturbations of the test inputs for the seed's sensitivity analyses (section IV). They act on the model
 * inputs only (the forward-filled z matrix `zf` from the start of the first test input window on); the targets
 * (`z`) stay the real observations, so the error measures how well a model copes with disturbed inputs.
 * - environment: level shifts (a random 30 % of series jump by `shift` z units at a random test step and stay
 *   there) and bursts (each series/step starts a 1-3 step spike of +3 z with probability `burstRate`);
 * - data: a fraction of input values masked (then forward-filled from the last kept observation, as for
 *   real gaps) and Gaussian noise of std `noise` z units added.
 * All randomness comes from a seeded Rng: the same seed perturbs identically.
 */
import { Rng } from '../random.ts';
import type { Prepared } from '../forecast/index.ts';

export interface Perturbation {
  shift?: number;
  burstRate?: number;
  maskFraction?: number;
  noise?: number;
}

export function perturbInputs(p: Prepared, from: number, what: Perturbation, seed: number): Prepared {
  const { T, K } = p;
  const rng = new Rng(seed);
  const start = Math.max(0, from);
  const zf = Float32Array.from(p.zf);
  // Data sensitivity: mask, then forward-fill from the last kept observed value; then noise.
  if (what.maskFraction || what.noise) {
    const last = new Float32Array(K);
    for (let k = 0; k < K; k++) last[k] = start > 0 ? p.zf[(start - 1) * K + k]! : 0;
    for (let t = start; t < T; t++) {
      for (let k = 0; k < K; k++) {
        const i = t * K + k;
        const v = p.z[i]!;
        const keep = Number.isFinite(v) && !(what.maskFraction && rng.next() < what.maskFraction);
        if (keep) last[k] = v + (what.noise ? what.noise * rng.normal() : 0);
        zf[i] = last[k]!;
      }
    }
  }
  if (what.shift) {
    for (let k = 0; k < K; k++) {
      if (rng.next() >= 0.3) continue;
      const at = start + rng.int(Math.max(1, T - start));
      const sign = rng.next() < 0.5 ? -1 : 1;
      for (let t = at; t < T; t++) zf[t * K + k] += sign * what.shift;
    }
  }
  if (what.burstRate) {
    for (let k = 0; k < K; k++) {
      for (let t = start; t < T; t++) {
        if (rng.next() >= what.burstRate) continue;
        const len = 1 + rng.int(3);
        for (let j = 0; j < len && t + j < T; j++) zf[(t + j) * K + k] += 3;
        t += len - 1;
      }
    }
  }
  return { ...p, zf };
}
