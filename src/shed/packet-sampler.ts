/**
 * Packet sampling: an independent Bernoulli(rate) trial per packet with the seeded generator (never
 * Math.random), so the same seed gives the same selection. A packet's inclusion probability is exactly `rate`,
 * which is what Horvitz-Thompson correction (weight 1/rate per kept packet) needs.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { Rng } from '../random.ts';

export class PacketSampler {
  private readonly rng: Rng;
  private buf = new Uint32Array(4096);

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  /**
   * Keeps each packet of `base` with probability `rate` (0..1). Returns a selection over `out` (or an internal
   * buffer reused by the next call when `out` is not given). At rate >= 1 every packet of `base` is kept and no
   * random number is drawn; at rate 0 none is.
   */
  sample(_batch: PacketBatch, base: Selection, rate: number, out?: Uint32Array): Selection {
    checkRate(rate);
    let idx = out;
    if (idx === undefined || idx.length < base.length) {
      if (out !== undefined) throw new RangeError(`PacketSampler: out holds ${out.length} < ${base.length}`);
      if (this.buf.length < base.length) this.buf = new Uint32Array(Math.max(base.length, this.buf.length * 2));
      idx = this.buf;
    }
    const src = base.idx;
    const n = base.length;
    let k = 0;
    if (rate >= 1) {
      for (let j = 0; j < n; j++) idx[j] = src[j]!;
      k = n;
    } else if (rate > 0) {
      // Compare raw u32 draws with the threshold: P(u < rate x 2^32) = rate up to 2^-32.
      const thr = rate * 4294967296;
      const rng = this.rng;
      for (let j = 0; j < n; j++) {
        if (rng.nextU32() < thr) idx[k++] = src[j]!;
      }
    }
    return { idx, length: k };
  }
}

/** Throws a UserError for a rate outside [0, 1] or not a number. */
export function checkRate(rate: number): void {
  if (!(rate >= 0 && rate <= 1)) {
    throw new UserError('shed.bad-rate', `sampling rate ${rate} is outside [0, 1]`, 'pass a rate between 0 and 1');
  }
}
