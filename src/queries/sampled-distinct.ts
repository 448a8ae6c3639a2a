/**
 * Number of distinct flows (or any distinct keys) under Bernoulli PACKET sampling whose rate p may change from
 * batch to batch. A key is missing from the sample when all its packets were dropped and its size is unknown, so
 * no usable estimator is unbiased for every size mix: the only unbiased one that weighs each seen key by its
 * sampled packets, 1 - prod(-(1-p_i)/p_i) (the Good-Toulmin series), has variance prod((1-p_i)/p_i), 9^n at
 * p = 0.1. This estimator splits each key's packets into two parts, estimated separately and then combined:
 *
 * - SYN part: TCP packets with the SYN flag. A directional TCP flow opens with one SYN (or SYN-ACK), so in this
 *   part nearly every key has exactly one packet (Duffield, Lund, Thorup, IMW 2002 / SIGCOMM 2003 count TCP
 *   flows by their sampled SYNs), where the singleton weight 1/p is exact.
 * - rest part: every other packet (UDP, ICMP, data and ACKs of TCP flows, flows that began earlier).
 *
 * In each part a key weighs 0 (no packet sampled), 1 + lambda x s (one, s = (1-p)/p at that packet's rate) or 1
 * (two or more). lambda (per part, per interval) is a Chao1-type shrinkage of the Good-Turing singleton term,
 * extended to known, varying rates: with A1 = sum of s over keys seen once in the part and A2 = sum of s1 x s2
 * over keys seen twice, lambda = A1 / (A1 + 2 A2). With one rate p this is Chao's f0 = f1^2 / (2 f2 + f1 p/(1-p)),
 * the Cauchy-Schwarz lower bound on the unseen keys under Bernoulli thinning: exact when every key has the same
 * number of packets in the part, lambda = 1 (Horvitz-Thompson 1/p, exact) when every key has one, and a little
 * low for mixtures of sizes; its variance stays bounded at any rate. (Truncating Good-Toulmin after two terms
 * instead, weight 1 - s1 s2 for two SYNs, is unbiased for keys with <= 2 SYNs but has expectation
 * 1 - C(m-1, 2) (1-p)^m for a key with m SYNs: -11 for m = 10 at p = 0.1, so it was rejected.) The rest part's
 * lambda is fitted on keys without a sampled SYN, the best available proxy of keys with no SYN at all.
 *
 * A key's weight is 1 - (1 - u)(1 - g), u and g its two parts' weights (it was seen when either part was). The
 * parts are sampled independently, so E[weight] = 1 - (1 - E u)(1 - E g): a key is counted exactly when either
 * part's estimate is exact for it (the rest part of keys whose SYN was sampled cancels the double count of keys
 * whose SYN was missed; no need to know which keys began in the interval), and otherwise the bias is the product
 * of the two parts' errors.
 *
 * Measured (test/queries/sampled-distinct.test.ts: 200 seeds, 1 s intervals, rates 0.1, 0.3, 0.8 and changing
 * every batch): spoofed SYN flood -0.9% at p = 0.1, -0.65% at 0.3, ~0 at 0.8 (1.2% of its flows carry a
 * retransmitted SYN, which lowers the SYN part's lambda), single-run RMS error <= 2.9%; P2P and P2P + SYN flood
 * -0.2..-0.6% at rates 0.3..0.8; biased high at p = 0.1 when an interval holds only tens of flows (lambda fitted
 * on a handful of keys: +5.7% on gnutella, ~9 flows per second). At rate 1 every weight is exactly 1, so the
 * unsampled count is exact.
 *
 * Per key the caller keeps {@link SAMPLED_DISTINCT_COLUMNS} float64 values (zeroed on insert) and calls
 * {@link recordSampledPacket} for each sampled packet; at flush (and for keys evicted earlier) it feeds each
 * key's values to a {@link SampledDistinct} and reads {@link SampledDistinct.estimate}.
 */

/** Float64 columns per key: [packed counts, SYN-part s product, rest-part s product]. */
export const SAMPLED_DISTINCT_COLUMNS = 3;
const COUNTS = 0;
const SYN_S = 1;
const REST_S = 2;
/** counts = synK + 4 x restK, each capped at 3 (Chao needs keys seen exactly once, exactly twice, and more). */
const REST_UNIT = 4;
const CAP = 3;
/** Counts of a key with a packet sampled at rate 1: surely seen, weight exactly 1, no unseen mass. */
const SURE = CAP + REST_UNIT * CAP;

/** s = (1 - p) / p of a packet sampled at `rate` (0 at rate 1: a sure packet adds nothing unseen). */
export function unseenRatio(rate: number): number {
  return rate >= 1 ? 0 : (1 - rate) / rate;
}

/** Whether a packet is TCP with the SYN flag (SYN or SYN-ACK). */
export function isSyn(proto: number, tcpFlags: number): boolean {
  return proto === 6 && (tcpFlags & 2) !== 0;
}

/**
 * Records one sampled packet of a key whose columns start at vals[o]: `syn` from {@link isSyn}, `s` from
 * {@link unseenRatio} of the packet's batch rate. Keeps, per part, the count (capped at 3) and the product of
 * the s of the part's first two sampled packets; a packet kept at rate 1 (s = 0) marks the key as surely seen.
 */
export function recordSampledPacket(vals: Float64Array, o: number, syn: boolean, s: number): void {
  if (s === 0) {
    vals[o + COUNTS] = SURE;
    return;
  }
  const c = vals[o + COUNTS]!;
  const ks = c % REST_UNIT;
  if (syn) {
    if (ks === 0) vals[o + SYN_S] = s;
    else if (ks === 1) vals[o + SYN_S] = vals[o + SYN_S]! * s;
    else if (ks === CAP) return;
    vals[o + COUNTS] = c + 1;
  } else {
    const kr = (c - ks) / REST_UNIT;
    if (kr === 0) vals[o + REST_S] = s;
    else if (kr === 1) vals[o + REST_S] = vals[o + REST_S]! * s;
    else if (kr === CAP) return;
    vals[o + COUNTS] = c + REST_UNIT;
  }
}

/** Float64 sums per group of keys (one {@link SampledDistinct}, or one source in super-sources). */
export const SAMPLED_DISTINCT_SUMS = 8;
/** Keys seen. */
const SEEN = 0;
/** Sum of s over keys with one sampled SYN and no rest packet (weight 1 + lS s). */
const SYN_ONLY = 1;
/** Sum of s over keys with no sampled SYN and one rest packet (weight 1 + lR s). */
const REST_ONLY = 2;
/** Sum of sSyn x sRest over keys with exactly one sampled packet in each part (weight 1 - lS lR sS sR). */
const BOTH = 3;
/** Chao statistics: SYN part over all keys, rest part over keys without a sampled SYN. */
const SYN_A1 = 4;
const SYN_A2 = 5;
const REST_A1 = 6;
const REST_A2 = 7;

/**
 * Adds one key (columns at vals[o]) to the group sums at sums[so]. Every key's weight is 1 (seen twice in a
 * part), 1 + lS sS, 1 + lR sR or 1 - lS lR sS sR, so a group needs only these sums (keys evicted from a full
 * table can be added when evicted and forgotten).
 */
export function addSampledKey(sums: Float64Array, so: number, vals: Float64Array, o: number): void {
  const c = vals[o + COUNTS]!;
  const ks = c % REST_UNIT;
  const kr = (c - ks) / REST_UNIT;
  if (ks === 0 && kr === 0) return;
  sums[so + SEEN] = sums[so + SEEN]! + 1;
  const ss = vals[o + SYN_S]!;
  const sr = vals[o + REST_S]!;
  if (ks === 1) sums[so + SYN_A1] = sums[so + SYN_A1]! + ss;
  else if (ks === 2) sums[so + SYN_A2] = sums[so + SYN_A2]! + ss;
  if (ks === 0) {
    if (kr === 1) sums[so + REST_A1] = sums[so + REST_A1]! + sr;
    else if (kr === 2) sums[so + REST_A2] = sums[so + REST_A2]! + sr;
  }
  if (ks === 1 && kr === 0) sums[so + SYN_ONLY] = sums[so + SYN_ONLY]! + ss;
  else if (ks === 0 && kr === 1) sums[so + REST_ONLY] = sums[so + REST_ONLY]! + sr;
  else if (ks === 1 && kr === 1) sums[so + BOTH] = sums[so + BOTH]! + ss * sr;
}

/** Estimated distinct keys of a group: keys seen plus the estimated unseen ones. */
export function sampledDistinctEstimate(sums: Float64Array, so: number): number {
  const ls = shrink(sums[so + SYN_A1]!, sums[so + SYN_A2]!);
  const lr = shrink(sums[so + REST_A1]!, sums[so + REST_A2]!);
  return sums[so + SEEN]! + ls * sums[so + SYN_ONLY]! + lr * sums[so + REST_ONLY]! - ls * lr * sums[so + BOTH]!;
}

/** One interval's distinct-key estimate over all keys (see the file comment). */
export class SampledDistinct {
  private readonly sums = new Float64Array(SAMPLED_DISTINCT_SUMS);

  /** Adds one key whose columns start at vals[o]. */
  add(vals: Float64Array, o: number): void {
    addSampledKey(this.sums, 0, vals, o);
  }

  /** The Chao shrinkage factors (SYN part, rest part) of the keys added so far. */
  lambdas(): { syn: number; rest: number } {
    const m = this.sums;
    return { syn: shrink(m[SYN_A1]!, m[SYN_A2]!), rest: shrink(m[REST_A1]!, m[REST_A2]!) };
  }

  /** Estimated distinct keys of the interval (keys seen plus estimated unseen). */
  estimate(): number {
    return sampledDistinctEstimate(this.sums, 0);
  }

  /** One key's weight with the given lambdas: the estimate is the sum of its keys' weights. */
  static weight(vals: Float64Array, o: number, lambdaSyn: number, lambdaRest: number): number {
    const c = vals[o + COUNTS]!;
    const ks = c % REST_UNIT;
    const kr = (c - ks) / REST_UNIT;
    if (ks === 0 && kr === 0) return 0;
    if (ks >= 2 || kr >= 2) return 1;
    const u = ks === 1 ? lambdaSyn * vals[o + SYN_S]! : 0;
    const g = kr === 1 ? lambdaRest * vals[o + REST_S]! : 0;
    return ks === 1 && kr === 1 ? 1 - u * g : 1 + u + g;
  }

  clear(): void {
    this.sums.fill(0);
  }
}

/** Chao1-type shrinkage A1 / (A1 + 2 A2); 0 when no key was seen once (no unseen mass to add). */
function shrink(a1: number, a2: number): number {
  return a1 > 0 ? a1 / (a1 + 2 * a2) : 0;
}
