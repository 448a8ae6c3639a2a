/**
 * Flow-count correction under flow sampling (research notes §0.6, extended so that rates may rise again inside
 * an interval). Every packet carries its flow's 32-bit sampling hash h (one hash per flow per interval); batch b
 * keeps the packets with h <= threshold(t_b). Let m_b = min(t_1..t_b) be the interval's running-minimum rate.
 *
 * Rule: a flow counts in the batch b where it is first seen, only when h <= threshold(m_b), with weight 1/m_b.
 * Why it is unbiased: take a flow whose first active batch is a. If h <= threshold(m_a) <= threshold(t_a), it
 * is seen at a (it cannot be seen earlier: it was not active) and counts 1/m_a. If h > threshold(m_a), it may
 * be seen later at b > a (when t_b rose above h), but m_b <= m_a < h, so it never counts. Its inclusion
 * probability is therefore exactly m_a (h uniform), and sum over counted flows of 1/m_(first seen) is a
 * Horvitz-Thompson estimate of the interval's active flows. Flows seen with m_b < h <= t_b are processed (e.g.
 * for the `flows` records) but not counted. The previous rule (re-filter every flow to the interval's final,
 * lowest threshold and divide by it) is unbiased as well, but gives flows first active before a dip the
 * inclusion probability of the dip instead of their own m_a, so its variance is higher (and it forced the
 * shedder to keep the rate at the dip's level for the rest of the interval, which this rule does not need).
 *
 * Disabled batches (rate 0) are not processed and do not lower the running minimum: flows active only in them
 * are lost, as under packet sampling.
 */

/**
 * The flow-sampling threshold of a rate: a packet is kept when its flow hash is <= floor(rate x (2^32 - 1)).
 * Defined here (the queries filter with it) and used by the FlowSampler in src/shed, which depends on queries.
 */
export function flowThreshold(rate: number): number {
  return Math.floor(rate * 4294967295);
}

/** The running-minimum flow count of one interval (see the file comment). */
export class FlowCountRunningMin {
  /** m_b: the lowest rate of the interval's processed batches so far (1 before any). */
  private runMin = 1;
  private thr = flowThreshold(1);
  private weight = 1;
  /** Flows counted (raw). */
  counted = 0;
  /** Sum of 1/m_b over the counted flows. */
  private sum = 0;

  /** Starts a batch processed at rate t_b (> 0; a rate of 0 processes nothing and changes nothing). */
  beginBatch(rate: number): void {
    if (rate > 0 && rate < this.runMin) {
      this.runMin = rate;
      this.thr = flowThreshold(rate);
      this.weight = 1 / rate;
    }
  }

  /**
   * A flow seen for the first time in the interval, in the current batch, its hash h = hashes[i]: counted when h
   * passes m_b. Takes the array, not h: a u32 above 2^31 passed as a number is boxed into a new heap number.
   */
  firstSeen(hashes: Uint32Array, i: number): void {
    if (hashes[i]! > this.thr) return;
    this.counted++;
    this.sum += this.weight;
  }

  /** The current batch's weight 1/m_b of a counted flow. */
  get batchWeight(): number {
    return this.weight;
  }

  /** The current batch's counting threshold: threshold(m_b). */
  get batchThreshold(): number {
    return this.thr;
  }

  /** The interval's estimated active flows. */
  estimate(): number {
    return this.sum;
  }

  clear(): void {
    this.runMin = 1;
    this.thr = flowThreshold(1);
    this.weight = 1;
    this.counted = 0;
    this.sum = 0;
  }
}
