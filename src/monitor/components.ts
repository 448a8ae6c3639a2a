/**
 * What the engine needs from the parts it wires, as small structural interfaces. The real parts (features,
 * predict) satisfy them directly; tests pass small fakes. The shedding controller, budget and CPU/buffer model
 * are src/shed's own classes (see engine.ts and clock.ts).
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import type { Query, SamplingMethod } from '../queries/index.ts';
import type { CostPredictor } from '../predict/index.ts';

/** Per-batch traffic features (src/features FeatureExtractor). */
export interface FeatureSource {
  /** Starts a batch; {@link measure} then reads the interval state as it was before this batch. */
  beginBatch(batch: PacketBatch): void;
  /** Features of `sel` (all packets when omitted); callable several times per batch. */
  measure(sel?: Selection, out?: Float64Array): Float64Array;
  /** Commits the whole batch to the interval state. */
  endBatch(): void;
}

/** One query as the engine runs it: the query, its own cost predictor, how it is shed. */
export interface EngineQuery {
  readonly query: Query;
  readonly predictor: CostPredictor;
  /** The sampling method used when shedding this query (its declared one, or the one forced by --shed). */
  readonly method: SamplingMethod;
}

/**
 * The CPU the monitor runs on. `emulated`: one CPU that gets `budget` ns of work per batch period, with a
 * capture buffer of B ns of traffic; `realtime`: the real wall clock.
 */
export interface CpuModel {
  /** Batch arrival: how many of its first packets are lost because the capture buffer is full. */
  admit(batch: PacketBatch): Promise<number> | number;
  /** Charges the batch's total processing time (queries + overhead), ns. */
  charge(workNs: number, batch: PacketBatch): void;
  /** Work (ns) still queued from earlier overruns: subtracted from the next batch's available time. */
  readonly backlogNs: number;
  /** Packets lost in the full buffer since the start. */
  readonly drops: number;
  /** Forgets the backlog (the engine's warm-up is over and measurement starts; see EngineOptions). */
  clearBacklog?(): void;
}
