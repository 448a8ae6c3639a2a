/**
 * Per-query sampling rates: max-min fair share on packet access with per-query minimum rates (mmfs_pkt), as
 * CoMo's `assign_srates` (`loadshed/loadshed.c`; CN 2009 / ToN 2011):
 *
 * 1. Sort queries by m_q·c_q (minimum rate × predicted cost at rate 1).
 * 2. If Σ m_q·c_q > available, freeze (rate 0: the query is disabled for this batch) queries from the top of
 *    that order until the rest fit.
 * 3. Otherwise (for the non-frozen queries, in decreasing order of m_q): the common rate is r = avail / Σ c over
 *    the queries not yet fixed; a query whose minimum exceeds r is fixed at m_q (its cost leaves avail and Σc);
 *    as soon as m_q <= r, every remaining query gets min(1, r).
 *
 * Differences from the C code: when every query is frozen the rates are still written (CoMo returned early and
 * left the previous batch's rates in place), Σc = 0 gives rate 1 instead of a division by zero, and ties sort by
 * query index so the result is deterministic.
 */
export interface Allocation {
  /** Sampling rate per query in [0, 1]; 0 exactly for frozen queries (and queries given a 0 common rate). */
  rates: Float64Array;
  /** 1 for queries disabled for this batch because even their minimum rates did not fit. */
  frozen: Uint8Array;
  frozenCount: number;
  /** Σ rate_q · c_q (≤ available whenever at least the minimum rates of the unfrozen queries fit). */
  allocatedNs: number;
  /** The common rate given to queries above their minimum (1 when nothing is shed). */
  commonRate: number;
}

export function allocateRates(costs: ArrayLike<number>, minRates: ArrayLike<number>, availableNs: number): Allocation {
  const n = costs.length;
  if (minRates.length !== n) throw new RangeError(`minRates has ${minRates.length} entries for ${n} queries`);
  const rates = new Float64Array(n);
  const frozen = new Uint8Array(n);
  const c = new Float64Array(n);
  const m = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const cq = costs[q]!;
    const mq = minRates[q]!;
    if (!(cq >= 0) || !Number.isFinite(cq)) throw new RangeError(`cost of query ${q} must be finite and >= 0, got ${cq}`);
    if (!(mq >= 0 && mq <= 1)) throw new RangeError(`minimum rate of query ${q} must be in [0, 1], got ${mq}`);
    c[q] = cq;
    m[q] = mq;
  }
  const avail = availableNs > 0 ? availableNs : 0;
  const order = Int32Array.from({ length: n }, (_, q) => q);
  order.sort((a, b) => m[a]! * c[a]! - m[b]! * c[b]! || a - b);
  // Sums are recomputed from scratch (n is small) rather than decremented, so that freezing a query with a
  // huge m·c does not leave rounding residue that decides the fate of tiny ones.
  let frozenCount = 0;
  for (let i = n - 1; i >= 0; i--) {
    let minTotal = 0;
    for (let j = 0; j <= i; j++) minTotal += m[order[j]!]! * c[order[j]!]!;
    if (minTotal <= avail) break;
    frozen[order[i]!] = 1;
    frozenCount++;
  }
  // Among the unfrozen, walk from the largest minimum rate down.
  const live = Int32Array.from(order.filter((q) => frozen[q] === 0));
  live.sort((a, b) => m[a]! - m[b]! || a - b);
  let common = 1;
  let i = live.length - 1;
  for (; i >= 0; i--) {
    let total = 0;
    let pinned = 0;
    for (let j = 0; j < live.length; j++) {
      const q = live[j]!;
      if (j <= i) total += c[q]!;
      else pinned += m[q]! * c[q]!;
    }
    const left = Math.max(0, avail - pinned);
    const r = total > 0 ? left / total : 1;
    const q = live[i]!;
    if (m[q]! <= r) {
      common = Math.min(1, r);
      break;
    }
    rates[q] = m[q]!;
  }
  for (; i >= 0; i--) rates[live[i]!] = common;
  let allocated = 0;
  for (let q = 0; q < n; q++) allocated += rates[q]! * c[q]!;
  return { rates, frozen, frozenCount, allocatedNs: allocated, commonRate: common };
}
