/**
 * Flow-count correction under flow sampling (research notes §0.6): each flow stores the sampling hash of its
 * packets (`BatchContext.flowHash`); at flush only flows whose hash is <= floor(finalRate x (2^32 - 1)) count,
 * and the count is divided by finalRate. Because rates only fall inside an interval, a flow passing the final
 * threshold passed every earlier one, so it was seen with all its packets and its inclusion probability is
 * finalRate: count / finalRate is unbiased.
 *
 * Flows evicted from a full FlowTable are not lost to the count: their hashes go into a 4096-bucket histogram
 * (by the hash's top 12 bits), re-filtered at flush exactly for whole buckets and pro rata for the bucket that
 * holds the threshold.
 */
/**
 * The flow-sampling threshold of a rate: a packet is kept when its flow hash is <= floor(rate x (2^32 - 1)).
 * Defined here (the queries re-filter with it) and used by the FlowSampler in src/shed, which depends on queries.
 */
export function flowThreshold(rate: number): number {
  return Math.floor(rate * 4294967295);
}

const BUCKET_SHIFT = 20;
const BUCKETS = 1 << (32 - BUCKET_SHIFT);
const BUCKET_SIZE = 1 << BUCKET_SHIFT;

export class EvictedHashes {
  private readonly counts = new Float64Array(BUCKETS);
  total = 0;

  add(hash: number): void {
    const b = hash >>> BUCKET_SHIFT;
    this.counts[b] = this.counts[b]! + 1;
    this.total++;
  }

  /** Expected number of recorded hashes <= threshold (exact for whole buckets, uniform within the last). */
  countAtOrBelow(threshold: number): number {
    if (this.total === 0) return 0;
    const last = Math.floor(threshold / BUCKET_SIZE);
    let n = 0;
    for (let b = 0; b < last; b++) n += this.counts[b]!;
    if (last < BUCKETS) n += (this.counts[last]! * (threshold - last * BUCKET_SIZE + 1)) / BUCKET_SIZE;
    return n;
  }

  clear(): void {
    if (this.total > 0) this.counts.fill(0);
    this.total = 0;
  }
}

/** count / finalRate, or NaN when finalRate is 0 (nothing was kept: the count cannot be estimated). */
export function scaleFlowCount(count: number, finalRate: number): number {
  return finalRate > 0 ? count / finalRate : NaN;
}
