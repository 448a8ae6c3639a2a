/**
 * The 55 per-batch traffic features and their stable names (CoMo `loadshed/feats.c` set, with its
 * mislabelled index order fixed: here the index of a name is, by construction, where its value is written).
 *
 * Layout: `packets`, `bytes`, `new_interval`, then for each of the 13 aggregates in {@link AGGREGATES}
 * order the four counts `<agg>.unique`, `<agg>.new`, `<agg>.batch_repeated`, `<agg>.interval_repeated`.
 */

/**
 * The 13 aggregates (keys) whose distinct values are counted. Addresses are the batch's 4-word form (IPv4
 * mapped). `*_net` keys are the address masked to a network prefix: /24 for IPv4 and /48 for IPv6 (the usual
 * smallest routable prefix on each family, i.e. the "site" level; see {@link netMask}).
 */
import { UserError } from '../errors.ts';
export const AGGREGATES = [
  'src_ip',
  'dst_ip',
  'proto',
  'src_dst_ip',
  'proto_src_port',
  'proto_dst_port',
  'proto_src_ip_src_port',
  'proto_dst_ip_dst_port',
  'proto_src_port_dst_port',
  'five_tuple',
  'src_net',
  'dst_net',
  'src_dst_net',
] as const;

export type AggregateName = (typeof AGGREGATES)[number];
export const AGGREGATE_COUNT = AGGREGATES.length;

/** Index of the aggregate in {@link AGGREGATES}. */
export const Agg = {
  SRC_IP: 0,
  DST_IP: 1,
  PROTO: 2,
  SRC_DST_IP: 3,
  PROTO_SRC_PORT: 4,
  PROTO_DST_PORT: 5,
  PROTO_SRC_IP_SRC_PORT: 6,
  PROTO_DST_IP_DST_PORT: 7,
  PROTO_SRC_PORT_DST_PORT: 8,
  FIVE_TUPLE: 9,
  SRC_NET: 10,
  DST_NET: 11,
  SRC_DST_NET: 12,
} as const;

/**
 * Aggregate sets for `--features`. `all` is the seed's full set. `lite` keeps the five aggregates that cover
 * addresses, ports and flows (src_ip, dst_ip, proto_src_port, proto_dst_port, five_tuple): FCBF's most frequent
 * picks for the flows query on the shedding experiment's inputs were the port aggregates (proto_src_port in 65%
 * of batches, proto_dst_port 36%), and the others are the obvious keys of the address and flow queries. The
 * features of the aggregates left out are NaN, which FCBF never selects.
 */
export const FEATURE_PRESETS: Readonly<Record<'all' | 'lite', readonly AggregateName[]>> = {
  all: AGGREGATES,
  lite: ['src_ip', 'dst_ip', 'proto_src_port', 'proto_dst_port', 'five_tuple'],
};

/** Parses `all`, `lite` or a comma-separated list of aggregate names; throws a UserError naming the bad one. */
export function parseAggregates(spec: string): readonly AggregateName[] {
  const v = spec.trim();
  if (v === 'all' || v === 'lite') return FEATURE_PRESETS[v];
  const out: AggregateName[] = [];
  for (const raw of v.split(',')) {
    const name = raw.trim();
    if (!(AGGREGATES as readonly string[]).includes(name)) {
      throw new UserError('features.unknown-aggregate', `unknown traffic aggregate "${name}" in --features ${spec}`, `Use all, lite, or a comma-separated list of: ${AGGREGATES.join(', ')}.`);
    }
    if (!out.includes(name as AggregateName)) out.push(name as AggregateName);
  }
  return out;
}

/** The four counts kept per aggregate, in feature order. */
export const AGGREGATE_COUNTS = ['unique', 'new', 'batch_repeated', 'interval_repeated'] as const;

/** Index of the first aggregate feature; aggregate a's count k is at `AGG_BASE + 4 * a + k`. */
export const AGG_BASE = 3;
export const F_PACKETS = 0;
/** Sum of the captured length (`capLen`, bytes present in the trace) of the packets, as in CoMo's `bytes`. */
export const F_BYTES = 1;
/** 1 when this batch is the first of a new measurement interval (the interval state was reset), else 0. */
export const F_NEW_INTERVAL = 2;

export const FEATURE_COUNT = 55;

/** Feature names, index i is the name of value i of every feature vector. */
export const FEATURE_NAMES: readonly string[] = Object.freeze([
  'packets',
  'bytes',
  'new_interval',
  ...AGGREGATES.flatMap((a) => AGGREGATE_COUNTS.map((c) => `${a}.${c}`)),
]);

/** Name -> index into a feature vector. */
export const FEATURE_INDEX: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])),
);

if (FEATURE_NAMES.length !== FEATURE_COUNT) throw new Error('feature table out of sync');

/** Feature index of aggregate `agg`'s count `k` (0 unique, 1 new, 2 batch_repeated, 3 interval_repeated). */
export function aggFeature(agg: number, k: number): number {
  return AGG_BASE + 4 * agg + k;
}
