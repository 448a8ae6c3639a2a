/**
 * The Query contract: a black-box traffic query as the monitor engine sees it. The engine knows nothing of a
 * query but its declared sampling method, its measured cost per batch and the results it returns.
 *
 * Per batch the engine calls {@link Query.process} with the batch, the selection the shedder kept for this
 * query (all packets when not shedding) and the sampling rate in force. At every measurement-interval end it
 * calls {@link Query.flush}, which returns the interval's result and resets the query's interval state.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';

export type SamplingMethod = 'packet' | 'flow';

/** How a query's result relates to the unsampled truth under sampling. */
export type Correction =
  /** Additive outputs weighted by 1/p at the time each packet was sampled (Horvitz-Thompson). */
  | 'horvitz-thompson'
  /**
   * Distinct-flow counts under flow sampling: each flow counted where first seen, 1/m_b when its hash passes the
   * interval's running-minimum rate m_b (flow-count.ts; rates may rise again inside an interval).
   */
  | 'flow-count'
  /**
   * Distinct-flow counts under packet sampling: sampled SYNs weighted 1/p plus a Chao1-type estimate of the
   * unseen flows (see sampled-distinct.ts); nearly unbiased, not exactly.
   */
  | 'sampled-distinct'
  /** Cannot be corrected (trace, pattern-search): the result reports the coverage instead. */
  | 'coverage';

/** What the engine hands a query alongside a batch. */
export interface BatchContext {
  /** Sampling rate applied to this query's packets in this batch (1 = unsampled). */
  readonly rate: number;
  /**
   * Under flow sampling: per packet of the batch (indexed like the batch, not the selection), the 32-bit flow
   * hash of the interval's seed. A packet was kept when hash <= rate x (2^32 - 1). Queries that count flows
   * count a flow where it is first seen when its hash passes the interval's running-minimum rate (see
   * flow-count.ts), and may store the hash to tell flows kept in every batch (hash <= the final threshold). Undefined under packet sampling or when unsampled. The engine should pass it for every batch of
   * a flow-sampled query, including batches at rate 1 (FlowSampler computes the hashes at any rate), so that
   * flows first seen before the rate fell carry their hash too.
   */
  readonly flowHash?: Uint32Array;
  /** Start of the current measurement interval, ns since the epoch. */
  readonly intervalStartNs: bigint;
}

/** What the engine hands a query at an interval end. */
export interface FlushContext {
  readonly intervalStartNs: bigint;
  readonly intervalEndNs: bigint;
  /**
   * The lowest flow-sampling rate in force during the interval; 1 when unsampled. Flows with hash <=
   * finalRate x (2^32 - 1) were kept in every batch (complete records); the flow counts themselves use the
   * running minimum of the batches' rates (flow-count.ts).
   */
  readonly finalRate: number;
}

/** One interval's output of one query. */
export interface QueryResult<R = unknown> {
  readonly query: string;
  readonly intervalStartNs: bigint;
  readonly intervalEndNs: bigint;
  /** The corrected estimate (or the raw output for coverage-only queries). */
  readonly value: R;
  readonly correction: Correction;
  /** Sampling rates seen during the interval: min, max and the packet-weighted mean. */
  readonly rates: { readonly min: number; readonly max: number; readonly mean: number };
  /** Share of the interval's packets the query actually processed (0..1). */
  readonly coverage: number;
}

export interface Query<R = unknown> {
  /** Stable name, used in flags, telemetry columns and results (e.g. `flows`, `active-flows`). */
  readonly name: string;
  /** The sampling method that gives this query the best results under shedding. */
  readonly sampling: SamplingMethod;
  /** How {@link QueryResult.value} is corrected under sampling. */
  readonly correction: Correction;
  /** Processes the selected packets of one batch. */
  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void;
  /** Ends the measurement interval: returns its result and resets interval state. */
  flush(ctx: FlushContext): QueryResult<R>;
  /** Releases resources (open files). Optional. */
  close?(): Promise<void> | void;
}
