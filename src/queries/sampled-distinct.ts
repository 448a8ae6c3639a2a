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
 * (two or more). lambda (per part, per interval) comes from the part's unseen-mass moments, which known, varying
 * rates leave exact: A_k = sum, over keys seen exactly k times in the part, of the product of their k packets'
 * s (k = 1, 2, 3). A key of n packets at rates p_i adds C(n, k) x P(unseen) = C(n, k) x prod(1 - p_i) to E[A_k],
 * whatever the rates, so A_k estimates M_k = sum C(n, k) P0 over keys, and the unseen keys number M0 = sum P0.
 * Chao1, lambda = A1 / (A1 + 2 A2) (with one rate Chao's f0 = f1^2 / (2 f2 + f1 p/(1-p))), is the Cauchy-Schwarz
 * LOWER bound of M0 from M1 and M2: exact when every key has the same size, low on mixtures. A flood's one-SYN
 * flows next to P2P connection attempts with 3 or 7 retransmitted SYNs are such a mixture: there every flood
 * flow was weighed lambda ~ 0.96 instead of 1 at p = 0.2, and P2P flows of 1 to ~30 other packets were
 * undercounted by 29% at p = 0.2 (development measurements; the shedding experiment's -4.7% on gnutella + SYN
 * flood at rate ~0.2). Here
 * the unseen keys are fitted with two classes instead, size 1 and size r, with
 * r = 2 + 3 A3 / A2 from the third moment: M0 = A1 - 2 A2^2 / (2 A2 + 3 A3), so
 * lambda = 1 - 2 A2^2 / (A1 (2 A2 + 3 A3)). It is exact for any mix of one-packet keys and keys of one other size,
 * equals Chao1 when all keys have one size (r is then that size), is Horvitz-Thompson (lambda = 1, weight 1/p)
 * when all have one packet, and for exact moments it is the UPPER bound of M0 given M1..M3 (sizes >= 1), as
 * Chao1 is the lower one: on wide mixtures of sizes it is high, by less than Chao1 is low. lambda stays in
 * [0, 1], so a weight stays within [1, 1 + s] and the variance bounded at any rate, unlike the unbiased
 * Good-Toulmin series 1 - prod(-(1-p_i)/p_i) (variance 9^n at p = 0.1; truncated after two terms it has
 * expectation 1 - C(m-1, 2) (1-p)^m for a key with m SYNs: -11 for m = 10 at p = 0.1). lambda is floored at half
 * Chao1's factor: it falls below Chao1 only by sampling noise on few keys, and a floor at Chao1's factor itself
 * biased the estimate up where the data sit on it (one size, where noise decides which fit is larger: +3.1% at
 * p = 0.1 on CIC-DDoS 2019's 2-SYN flows, a development measurement). The price is variance: the fit leans on A2 (s^2 per doubleton) about
 * twice as hard as Chao1, and on A3 (s^3).
 *
 * Each part's moments are summed over the keys with no sampled packet in the OTHER part: their E[A_k] are then
 * the moments, by SYN count (by rest count), of the keys' probability of being unseen in both parts, so
 * lambda_S x A1_S estimates the unseen keys that have a SYN, lambda_R x A1_R those that have other packets, and
 * lambda_S lambda_R x (sum of sSyn x sRest over keys seen once in each part) the ones counted twice.
 *
 * A key's weight is 1 - (1 - u)(1 - g), u and g its two parts' weights (it was seen when either part was). The
 * parts are sampled independently, so E[weight] = 1 - (1 - E u)(1 - E g): a key is counted exactly when either
 * part's estimate is exact for it (the rest part of keys whose SYN was sampled cancels the double count of keys
 * whose SYN was missed; no need to know which keys began in the interval), and otherwise the bias is the product
 * of the two parts' errors.
 *
 * Measured (test/queries/sampled-distinct.test.ts: 200 seeds, 1 s intervals, rates 0.1, 0.3, 0.8 and changing
 * every batch; in brackets the Chao1-only figures, a development measurement of the previous estimator that no
 * command here reproduces): spoofed SYN flood -0.02% at p = 0.1, -0.07% at 0.3, ~0 at 0.8
 * [-0.9, -0.65, -0.04], single-run RMS error <= 2.6% [2.9]; CIC-DDoS 2019 SYN flood (2 SYNs per flow) -1.3% at
 * 0.1, +0.35% at 0.3 [+0.2, +0.2], single-run RMS 14.4% at 0.1 [8.2] and 9.2% with changing rates [5.4]; Tinba
 * within 0.3%; the shedding experiment's P2P case (gnutella looped so that whole P2P flows fall in each interval,
 * 100 seeds) with a synthetic or real spoofed SYN flood +0.1% / 0.0% at 0.43 and +0.3% / +0.3% at 0.2 [-1.65 /
 * -1.2, -4.65 / -2.85], the same P2P traffic without a flood +2.3% at 0.43 and +8.9% at 0.2 [-7.3, -19.5];
 * biased high at p = 0.1 when an interval holds only tens of flows (lambda fitted on a handful of keys: +7.3% on
 * gnutella cut in 1 s intervals, ~9 flows each [+5.7]; +8.1% with the floor at the keys seen, see
 * {@link sampledDistinctEstimate}, and +5.8% instead of +5.05% with the SYN flood merged in). At rate 1 every
 * weight is exactly 1, so the unsampled count is exact.
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
/**
 * counts = synK + 5 x restK, each capped at 4: the estimator needs, per part, the keys seen exactly once, twice
 * and three times (4 stands for "four or more").
 */
const REST_UNIT = 5;
const CAP = 4;
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
 * {@link unseenRatio} of the packet's batch rate. Keeps, per part, the count (capped at 4) and the product of
 * the s of the part's first three sampled packets; a packet kept at rate 1 (s = 0) marks the key as surely seen.
 */
export function recordSampledPacket(vals: Float64Array, o: number, syn: boolean, s: number): void {
  if (s === 0) {
    vals[o + COUNTS] = SURE;
    return;
  }
  // Every comparison runs on every sampled packet, whatever the key's history. Written as an if-chain on the
  // count, a comparison first ran when a key reached its third or fourth sampled packet; optimized code without
  // type feedback for it then deoptimised, and the batch ran unoptimized (2-3 ms instead of 0.5, seen with
  // --trace-deopt on the shedding experiment's real-attack bursts).
  const c = vals[o + COUNTS]!;
  const ks = c % REST_UNIT;
  const k = syn ? ks : (c - ks) / REST_UNIT;
  if (k === CAP) return;
  const first = k === 0;
  const product = k < 3;
  const col = o + (syn ? SYN_S : REST_S);
  const prev = vals[col]!;
  vals[col] = first ? s : product ? prev * s : prev;
  vals[o + COUNTS] = c + (syn ? 1 : REST_UNIT);
}

/**
 * Type feedback for {@link recordSampledPacket} before any batch: s as an integer 0 (rate 1) and as a double,
 * SYN and rest packets up to the cap. Otherwise the first double s after optimized code had seen only 0
 * deoptimised it in the middle of a monitor run.
 */
(function primeRecordSampledPacket(): void {
  const v = new Float64Array(SAMPLED_DISTINCT_COLUMNS);
  for (let r = 0; r < 32; r++) {
    for (const s of [0, 0.25, 3]) {
      v.fill(0);
      for (let p = 0; p < 2 * CAP + 2; p++) recordSampledPacket(v, 0, (p & 1) === 0, s);
    }
  }
})();

/** Float64 sums per group of keys (one {@link SampledDistinct}, or one source in super-sources). */
export const SAMPLED_DISTINCT_SUMS = 8;
/** Keys seen. */
const SEEN = 0;
/** Sum of sSyn x sRest over keys with exactly one sampled packet in each part (weight 1 - lS lR sS sR). */
const BOTH = 1;
/**
 * Unseen-mass moments: SYN part over keys without a sampled rest packet (A1 = sum of s over keys with one
 * sampled SYN, weight 1 + lS s; A2, A3 = sums of s1 s2, s1 s2 s3 over keys with two, three), rest part over keys
 * without a sampled SYN (A1 = keys with one rest packet, weight 1 + lR s).
 */
/** A part's A1; its A2 and A3 follow at +1, +2 ({@link addSampledKey} and {@link shrink} index them from A1). */
const SYN_A1 = 2;
const REST_A1 = 5;

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
  if (kr === 0) {
    if (ks < CAP) sums[so + SYN_A1 + ks - 1] = sums[so + SYN_A1 + ks - 1]! + vals[o + SYN_S]!;
  } else if (ks === 0) {
    if (kr < CAP) sums[so + REST_A1 + kr - 1] = sums[so + REST_A1 + kr - 1]! + vals[o + REST_S]!;
  } else if (ks === 1 && kr === 1) {
    sums[so + BOTH] = sums[so + BOTH]! + vals[o + SYN_S]! * vals[o + REST_S]!;
  }
}

/**
 * Estimated distinct keys of a group: keys seen plus the estimated unseen ones, never fewer than the keys seen.
 *
 * The floor: a key seen once in each part weighs 1 - lS sS lR sR, unbiased but unbounded below as the rates
 * fall (s = (1-p)/p is 999 at the controller's lowest refined rate, 1e-3). In one run of the shedding matrix
 * (gnutella with the real SYN flood, packet sampling) an interval with batches sampled that thin came out at
 * -660,754 flows against 127,657 true. The keys seen are a hard lower bound of the truth, so flooring there
 * only ever moves an estimate closer to it.
 */
export function sampledDistinctEstimate(sums: Float64Array, so: number): number {
  const ls = shrink(sums, so + SYN_A1);
  const lr = shrink(sums, so + REST_A1);
  const seen = sums[so + SEEN]!;
  const est = seen + ls * sums[so + SYN_A1]! + lr * sums[so + REST_A1]! - ls * lr * sums[so + BOTH]!;
  return est > seen ? est : seen;
}

/** One interval's distinct-key estimate over all keys (see the file comment). */
export class SampledDistinct {
  private readonly sums = new Float64Array(SAMPLED_DISTINCT_SUMS);

  /** Adds one key whose columns start at vals[o]. */
  add(vals: Float64Array, o: number): void {
    addSampledKey(this.sums, 0, vals, o);
  }

  /** The shrinkage factors (SYN part, rest part) of the keys added so far. */
  lambdas(): { syn: number; rest: number } {
    return { syn: shrink(this.sums, SYN_A1), rest: shrink(this.sums, REST_A1) };
  }

  /** Estimated distinct keys of the interval (keys seen plus estimated unseen). */
  estimate(): number {
    return sampledDistinctEstimate(this.sums, 0);
  }

  /** One key's weight with the given lambdas: the estimate is the sum of its keys' weights (unless floored at the keys seen). */
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

/**
 * Shrinkage of a part's singleton term from its unseen-mass moments A1, A2, A3 at sums[a..a+3) (see the file
 * comment): the two-class fit 1 - 2 A2^2 / (A1 (2 A2 + 3 A3)), floored at half Chao1's A1 / (A1 + 2 A2); 1 when
 * no key was seen twice, 0 when none was seen once (no unseen mass to add).
 */
function shrink(sums: Float64Array, a: number): number {
  const a1 = sums[a]!;
  const a2 = sums[a + 1]!;
  const a3 = sums[a + 2]!;
  if (!(a1 > 0)) return 0;
  if (!(a2 > 0)) return 1;
  const twoClass = 1 - (2 * a2 * a2) / (a1 * (2 * a2 + 3 * a3));
  const floor = (0.5 * a1) / (a1 + 2 * a2);
  return twoClass > floor ? twoClass : floor;
}
