/**
 * Number of distinct flows (or any distinct keys) under Bernoulli PACKET sampling whose rate p may change from
 * batch to batch. A key is missing from the sample when all its packets were dropped, and its size is unknown, so
 * no estimator is both unbiased and usable: the only unbiased one that weighs each seen key by its sampled
 * packets, 1 - prod(-(1-p_i)/p_i) (the Good-Toulmin series), has variance prod((1-p_i)/p_i), i.e. 9^n at p = 0.1.
 * This estimator splits each key's packets into two parts and handles them separately:
 *
 * - SYN part: TCP packets with the SYN flag (a directional TCP flow opens with one SYN or SYN-ACK; Duffield,
 *   Lund, Thorup, IMW 2002 / SIGCOMM 2003 count TCP flows by their sampled SYNs). `u` estimates 1[key has a
 *   SYN] by the Good-Toulmin series truncated after two terms, with s = (1-p)/p of each sampled SYN: u = 0 (none
 *   sampled), 1 + s = 1/p (one: Horvitz-Thompson), 1 - s1 s2 (two), 1 (three or more). Unbiased for every key
 *   with at most two SYNs in the interval (one SYN plus one retransmission); its variance is (1-p)/p per one-SYN
 *   key and ((1-p)/p)^2 per two-SYN key.
 * - rest part: every other packet. `g` = 0 (none sampled), 1 + lambda x s (one), 1 (two or more), where lambda
 *   (one per interval) is a Chao1-type shrinkage of the Good-Turing singleton term, extended to known, varying
 *   rates: with A1 = sum of s over keys seen once and A2 = sum of s1 x s2 over keys seen twice (in the rest part,
 *   among keys without a sampled SYN), lambda = A1 / (A1 + 2 A2). With one rate p this is Chao's
 *   f0 = f1^2 / (2 f2 + f1 p/(1-p)), the Cauchy-Schwarz lower bound on unseen keys under Bernoulli thinning:
 *   exact when every key has the same number of packets, lambda = 1 (Horvitz-Thompson, exact) when every key
 *   has one packet, low for mixtures of sizes; bounded variance at any rate.
 *
 * A key's weight is 1 - (1 - u)(1 - g) (it was seen when either part was). The parts are sampled independently,
 * so E[weight] = 1 - (1 - E u)(1 - E g): every key with one or two SYNs counts exactly 1 in expectation whatever
 * g does (the rest part of keys whose SYN was sampled cancels the double count of keys whose SYN was missed; no
 * need to know which keys started in the interval), and the only bias left is g's, on keys with no SYN in the
 * interval (UDP, ICMP, TCP flows that started earlier), plus keys with 3+ SYNs (biased high).
 *
 * Measured (test/queries/sampled-distinct.test.ts, 200 seeds, 1 s intervals): spoofed SYN flood unbiased at
 * every rate; mixed traffic about -0.5..-2% at rates 0.3..0.8 (Chao's bound); biased high at p = 0.1 when an
 * interval holds only tens of flows (lambda fitted on a handful of keys: +4% on gnutella). At rate 1 every
 * weight is exactly 1.
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
/** counts = synK + 4 x restK, each capped at 2 (only none, once and more matter). */
const REST_UNIT = 4;

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
 * {@link unseenRatio} of the packet's batch rate. Keeps, per part, the count (capped at 2) and the product of
 * the s of the part's first two sampled packets.
 */
export function recordSampledPacket(vals: Float64Array, o: number, syn: boolean, s: number): void {
  const c = vals[o + COUNTS]!;
  const ks = c % REST_UNIT;
  if (syn) {
    if (ks === 0) vals[o + SYN_S] = s;
    else if (ks === 1) vals[o + SYN_S] = vals[o + SYN_S]! * s;
    else return;
    vals[o + COUNTS] = c + 1;
  } else {
    const kr = (c - ks) / REST_UNIT;
    if (kr === 0) vals[o + REST_S] = s;
    else if (kr === 1) vals[o + REST_S] = vals[o + REST_S]! * s;
    else return;
    vals[o + COUNTS] = c + REST_UNIT;
  }
}

/**
 * Accumulates keys' sampled state over an interval and returns the distinct-key estimate. A key's weight is
 * 1 (seen twice in a part), 1 + lS sS (one SYN only), 1 + lR sR (one rest packet only) or 1 - lS lR sS sR (one
 * of each), so only sums are kept (keys evicted from a full table are added when evicted and forgotten).
 */
export class SampledDistinct {
  /** Keys seen. */
  private seen = 0;
  /** Sum of s over keys with one sampled SYN and no rest packet. */
  private synOnly = 0;
  /** Sum of s over keys with no sampled SYN and one rest packet. */
  private restOnly = 0;
  /** Sum of sSyn x sRest over keys with exactly one sampled packet in each part. */
  private both = 0;
  /** Chao statistics: SYN part over all keys, rest part over keys without a sampled SYN. */
  private synA1 = 0;
  private synA2 = 0;
  private restA1 = 0;
  private restA2 = 0;

  /** Adds one key whose columns start at vals[o]. */
  add(vals: Float64Array, o: number): void {
    const c = vals[o + COUNTS]!;
    const ks = c % REST_UNIT;
    const kr = (c - ks) / REST_UNIT;
    if (ks === 0 && kr === 0) return;
    this.seen++;
    const ss = vals[o + SYN_S]!;
    const sr = vals[o + REST_S]!;
    if (ks === 1) this.synA1 += ss;
    else if (ks === 2) this.synA2 += ss;
    if (ks === 0) {
      if (kr === 1) this.restA1 += sr;
      else if (kr === 2) this.restA2 += sr;
    }
    if (ks === 1 && kr === 0) this.synOnly += ss;
    else if (ks === 0 && kr === 1) this.restOnly += sr;
    else if (ks === 1 && kr === 1) this.both += ss * sr;
  }

  /** The Chao shrinkage factors (SYN part, rest part) of the keys added so far. */
  lambdas(): { syn: number; rest: number } {
    return { syn: shrink(this.synA1, this.synA2), rest: shrink(this.restA1, this.restA2) };
  }

  /** Estimated distinct keys of the interval (keys seen plus estimated unseen). */
  estimate(): number {
    const { syn, rest } = this.lambdas();
    return this.seen + syn * this.synOnly + rest * this.restOnly - syn * rest * this.both;
  }

  /** One key's weight with the given lambdas (for queries that spread the estimate over groups, e.g. sources). */
  static weight(vals: Float64Array, o: number, lambdaSyn: number, lambdaRest: number): number {
    const c = vals[o + COUNTS]!;
    const ks = c % REST_UNIT;
    const kr = (c - ks) / REST_UNIT;
    if (ks === 0 && kr === 0) return 0;
    if (ks === 2 || kr === 2) return 1;
    const u = ks === 1 ? lambdaSyn * vals[o + SYN_S]! : 0;
    const g = kr === 1 ? lambdaRest * vals[o + REST_S]! : 0;
    return ks === 1 && kr === 1 ? 1 - u * g : 1 + u + g;
  }

  clear(): void {
    this.seen = this.synOnly = this.restOnly = this.both = 0;
    this.synA1 = this.synA2 = this.restA1 = this.restA2 = 0;
  }
}

/** Chao1-type shrinkage A1 / (A1 + 2 A2); 0 when no key was seen once (no unseen mass to add). */
function shrink(a1: number, a2: number): number {
  return a1 > 0 ? a1 / (a1 + 2 * a2) : 0;
}
