/**
 * The standard query set by name, and creating a list of queries from names (for `--queries a,b` or `all`).
 */
import { UserError } from '../errors.ts';
import { createActiveFlows } from './active-flows.ts';
import { type AppClass, createApplication } from './application.ts';
import { createCounter } from './counter.ts';
import { createFlows } from './flows.ts';
import { createHighWatermark } from './high-watermark.ts';
import { createPatternSearch } from './pattern-search.ts';
import type { Query } from './query.ts';
import { createSuperSources } from './super-sources.ts';
import { createTopDestinations } from './top-destinations.ts';
import { createTrace } from './trace.ts';

/** Options for the standard queries; each query reads the ones it needs. */
export interface StandardQueryOptions {
  /** FlowTable cap for flows, active-flows, top-destinations, super-sources (default 1,048,576). */
  readonly maxFlows?: number;
  /** Pre-size the 5-tuple tables of flows and active-flows for this many flows per interval (FlowTable initialFlows). */
  readonly initialFlows?: number;
  /** Top-k size for top-destinations and super-sources (default 10). */
  readonly k?: number;
  /** Flow records listed by `flows` (default 10). */
  readonly maxRecords?: number;
  /** Fan-out threshold of super-sources (default 50). */
  readonly superSourceThreshold?: number;
  readonly appClasses?: readonly AppClass[];
  readonly patterns?: readonly (string | Uint8Array)[];
  /** Slot width of high-watermark in ns (default 10 ms). */
  readonly slotNs?: number;
  /** Output file of `trace`; `trace` is only created when this is set. */
  readonly tracePath?: string;
  readonly traceLinkType?: number;
}

export type QueryFactory = (opts: StandardQueryOptions) => Query | Promise<Query>;

export const STANDARD_QUERIES: Readonly<Record<string, QueryFactory>> = {
  counter: () => createCounter(),
  application: (o) => createApplication({ classes: o.appClasses }),
  flows: (o) => createFlows({ maxFlows: o.maxFlows, maxRecords: o.maxRecords, initialFlows: o.initialFlows }),
  'active-flows': (o) => createActiveFlows({ maxFlows: o.maxFlows, initialFlows: o.initialFlows }),
  'top-destinations': (o) => createTopDestinations({ k: o.k, maxFlows: o.maxFlows }),
  'super-sources': (o) => createSuperSources({ k: o.k, threshold: o.superSourceThreshold, maxFlows: o.maxFlows }),
  'pattern-search': (o) => createPatternSearch({ patterns: o.patterns }),
  'high-watermark': (o) => createHighWatermark({ slotNs: o.slotNs }),
  trace: (o) => {
    if (o.tracePath === undefined) {
      throw new UserError('queries.trace-needs-path', 'the trace query needs an output file', 'pass --trace-out FILE.pcap');
    }
    return createTrace({ path: o.tracePath, linkType: o.traceLinkType });
  },
};

/** Standard query names, in a stable order. */
export const STANDARD_QUERY_NAMES: readonly string[] = Object.keys(STANDARD_QUERIES);

/**
 * Creates the named standard queries (duplicates rejected). `'all'` is every standard query, except `trace`
 * unless `opts.tracePath` is set.
 */
export async function createQueries(names: readonly string[] | 'all', opts: StandardQueryOptions = {}): Promise<Query[]> {
  const list =
    names === 'all' ? STANDARD_QUERY_NAMES.filter((n) => n !== 'trace' || opts.tracePath !== undefined) : names;
  const seen = new Set<string>();
  const out: Query[] = [];
  for (const raw of list) {
    const name = raw.trim();
    const f = STANDARD_QUERIES[name];
    if (f === undefined) {
      throw new UserError('queries.unknown', `unknown query '${name}'`, `known queries: ${STANDARD_QUERY_NAMES.join(', ')}, or all`);
    }
    if (seen.has(name)) throw new UserError('queries.duplicate', `query '${name}' is listed twice`, 'list each query once');
    seen.add(name);
    out.push(await f(opts));
  }
  return out;
}
