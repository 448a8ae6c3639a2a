/**
 * The contract between the feature extractor and its distinct-counting back ends (sketch or exact).
 */
import type { PacketBatch, Selection } from '../capture/index.ts';

export interface DistinctEngine {
  /** Empties the interval state (and may reseed hashes). */
  resetInterval(): void;
  /** A new batch is current (invalidates per-batch caches). */
  load(batch: PacketBatch): void;
  /**
   * Per aggregate a: `unique[a]` = distinct keys among the selected packets, `fresh[a]` = those keys not seen
   * in the interval before this batch. Interval state is not changed. Returns the number of saturated
   * estimates (0 for exact counting). Aggregates the engine was built without (its `active` mask) are NaN.
   */
  measure(batch: PacketBatch, sel: Selection | null, unique: Float64Array, fresh: Float64Array): number;
  /** Adds every packet of the batch to the interval state. */
  commit(batch: PacketBatch): void;
  /** Bytes of counting state (excluding per-batch caches that grow with the batch). */
  readonly stateBytes: number;
}
