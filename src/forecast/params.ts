/**
 * Named trainable parameters with seeded initialisation (src/random.ts Rng; never tf's own random ops, so the
 * same seed gives the same weights on every backend), snapshot/restore for early stopping, and flat export for
 * checkpoints.
 */
import { tf } from './backend.ts';
import { Rng } from '../random.ts';

/** Variable names must be unique per tf engine; a counter keeps them so across stores. */
let varCounter = 0;

export type Init = 'glorot' | 'zeros' | 'ones' | { normal: number } | { constant: number } | { values: Float32Array };

export class ParamStore {
  readonly vars = new Map<string, tf.Variable>();
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /** Creates (or returns) the variable `name` of `shape`, initialised by `init`. */
  get(name: string, shape: number[], init: Init = 'glorot'): tf.Variable {
    const have = this.vars.get(name);
    if (have) return have;
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (init === 'glorot') {
      const fanIn = shape.length >= 2 ? shape[shape.length - 2]! : shape[0]!;
      const fanOut = shape[shape.length - 1]!;
      const lim = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) data[i] = (this.rng.next() * 2 - 1) * lim;
    } else if (init === 'ones') data.fill(1);
    else if (init === 'zeros') data.fill(0);
    else if ('normal' in init) for (let i = 0; i < n; i++) data[i] = this.rng.normal() * init.normal;
    else if ('values' in init) data.set(init.values);
    else data.fill(init.constant);
    const init0 = tf.tensor(data, shape);
    const v = tf.variable(init0, true, `p${++varCounter}_${name}`);
    init0.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** Variable by name (must exist). */
  v(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`parameter ${name} not created`);
    return v;
  }

  list(): tf.Variable[] {
    return [...this.vars.values()];
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Copies every variable's values out (for early stopping and checkpoints). */
  snapshot(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [k, v] of this.vars) out.set(k, { shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) });
    return out;
  }

  /** Restores values saved by {@link snapshot} (names and shapes must match). */
  restore(snap: Map<string, { shape: number[]; data: Float32Array }>): void {
    for (const [k, v] of this.vars) {
      const s = snap.get(k);
      if (!s) throw new Error(`snapshot lacks parameter ${k}`);
      const t = tf.tensor(s.data, s.shape);
      v.assign(t);
      t.dispose();
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
