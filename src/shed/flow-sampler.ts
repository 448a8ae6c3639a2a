/**
 * Flow sampling (CoMo's flow-wise shedding, fixed): a packet is kept when the seeded tabulation hash of its
 * 5-tuple is <= floor(rate x (2^32 - 1)), so all packets of a flow are kept or dropped together.
 *
 * Measurement intervals: {@link FlowSampler.startInterval} draws new hash tables (a new seed per interval, so
 * an attacker cannot craft flows that always escape sampling, and errors do not repeat across intervals).
 * Within an interval the rate may only fall: a higher requested rate is clamped to the interval's minimum so
 * far. Thresholds are therefore nested: a flow kept at the final (lowest) rate was kept for every one of its
 * packets, which is what makes the flow-count correction count/p_final unbiased once each query re-filters its
 * stored flow hashes to the final threshold (research notes §0.6). The monitor engine does not need the clamp:
 * it takes the hashes ({@link FlowSampler.hash}) and filters them per batch with {@link FlowSampler.filter}
 * (no clamp), and the queries count flows with the running minimum of the interval's thresholds
 * (src/queries/flow-count.ts), so its rates may recover.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { flowThreshold } from '../queries/index.ts';
import { Rng } from '../random.ts';
import { type FlowHashTables, hashBatch, newFlowHashTables } from './flow-hash.ts';
import { checkRate } from './packet-sampler.ts';

export interface FlowSample {
  readonly sel: Selection;
  /** The effective rate (the requested one, clamped to the interval's minimum so far). */
  readonly rate: number;
}

export class FlowSampler {
  private readonly rng: Rng;
  private tablesCur: FlowHashTables;
  private minRate = 1;
  private hashBuf = new Uint32Array(4096);
  private selBuf = new Uint32Array(4096);

  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.tablesCur = newFlowHashTables(this.rng);
  }

  /** Starts a measurement interval: new hash tables (seed rotation) and the rate ceiling back to 1. */
  startInterval(): void {
    this.tablesCur = newFlowHashTables(this.rng);
    this.minRate = 1;
  }

  /** The interval's lowest rate so far (1 when nothing was sampled lower): the flush's `finalRate`. */
  get finalRate(): number {
    return this.minRate;
  }

  /** The current interval's hash tables. */
  get tables(): FlowHashTables {
    return this.tablesCur;
  }

  /**
   * Per packet of the last sampled batch (indexed like the batch), its flow hash: what
   * `BatchContext.flowHash` carries. Valid for the packets of the last `base` until the next call.
   */
  get hashes(): Uint32Array {
    return this.hashBuf;
  }

  /**
   * Hashes the packets of `base` with the interval's tables into {@link hashes} and returns that buffer: the
   * hashes without a selection (what flow queries need when nothing is sampled, or before a caller filters
   * the same batch at several thresholds). Does not touch the interval's minimum rate.
   */
  hash(batch: PacketBatch, base: Selection): Uint32Array {
    if (this.hashBuf.length < batch.count) this.hashBuf = new Uint32Array(Math.max(batch.count, this.hashBuf.length * 2));
    hashBatch(batch, this.tablesCur, this.hashBuf, base);
    return this.hashBuf;
  }

  /**
   * Keeps the packets of `base` whose flow hash is <= floor(rate' x (2^32 - 1)) where rate' = min(rate, the
   * interval's minimum so far). Hashes are computed (and exposed in {@link hashes}) even at rate 1, so flow
   * queries always get them. `out`, when given, receives the kept indices; otherwise an internal buffer reused
   * by the next call does.
   */
  sample(batch: PacketBatch, base: Selection, rate: number, out?: Uint32Array): FlowSample {
    checkRate(rate);
    const eff = rate < this.minRate ? rate : this.minRate;
    this.minRate = eff;
    this.hash(batch, base);
    let idx = out;
    if (idx === undefined || idx.length < base.length) {
      if (out !== undefined) throw new RangeError(`FlowSampler: out holds ${out.length} < ${base.length}`);
      if (this.selBuf.length < base.length) this.selBuf = new Uint32Array(Math.max(base.length, this.selBuf.length * 2));
      idx = this.selBuf;
    }
    const sel = eff > 0 ? this.filter(base, eff, idx) : { idx, length: 0 };
    return { sel, rate: eff };
  }

  /**
   * Writes into `out` (length >= base.length) the packets of `base` whose flow hash from the last {@link hash}
   * call is <= floor(rate x (2^32 - 1)), in base order, with no clamp: what the engine's shedding phase samples
   * with (rate in (0, 1]; at rate 0 the threshold 0 would still keep hash 0, so callers skip rate 0). Branchless:
   * at rate ~0.5 the keep/drop decision is a coin flip per packet, which a branch mispredicts half the time.
   */
  filter(base: Selection, rate: number, out: Uint32Array): Selection {
    const h = this.hashBuf;
    const thr = flowThreshold(rate);
    const idx = base.idx;
    const n = base.length;
    let k = 0;
    for (let j = 0; j < n; j++) {
      const p = idx[j]!;
      out[k] = p; // overwritten unless kept
      k += +(h[p]! <= thr);
    }
    return { idx: out, length: k };
  }
}
