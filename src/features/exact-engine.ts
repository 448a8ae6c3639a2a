/**
 * Exact distinct counting for the 13 aggregates (`--exact` and the reference in `features check`): one
 * capture's {@link KeySet} per aggregate for the batch and one for the interval, keyed by the full key words.
 */
import { KeySet, type PacketBatch, type Selection } from '../capture/index.ts';
import type { DistinctEngine } from './engine.ts';
import { KEY_WIDTH, MAX_KEY_WIDTH, writeKey } from './keys.ts';
import { AGGREGATE_COUNT } from './names.ts';

export class ExactEngine implements DistinctEngine {
  /** The whole batch's distinct keys (kept for the commit); sampled selections use `selSets`. */
  private readonly batchSets: KeySet[];
  private readonly selSets: KeySet[];
  private readonly intervalSets: KeySet[];
  private readonly key = new Uint32Array(MAX_KEY_WIDTH);

  /** @param active per aggregate, 1 = counted (default all); the others' counts are NaN. */
  constructor(private readonly active: Uint8Array = new Uint8Array(AGGREGATE_COUNT).fill(1)) {
    this.batchSets = KEY_WIDTH.map((w) => new KeySet(w, 1024));
    this.selSets = KEY_WIDTH.map((w) => new KeySet(w, 1024));
    this.intervalSets = KEY_WIDTH.map((w) => new KeySet(w, 1024));
  }

  get stateBytes(): number {
    return 0; // grows with the data; not meaningful as a fixed figure
  }

  resetInterval(): void {
    for (const s of this.intervalSets) s.clear();
  }

  /** Whether batchSets hold the whole current batch (a measure of all packets was done). */
  private lastFull = false;

  load(_batch: PacketBatch): void {
    this.lastFull = false;
  }

  measure(batch: PacketBatch, sel: Selection | null, unique: Float64Array, fresh: Float64Array): number {
    const n = sel ? sel.length : batch.count;
    const full = n === batch.count;
    const key = this.key;
    for (let a = 0; a < AGGREGATE_COUNT; a++) {
      if (this.active[a] === 0) {
        unique[a] = fresh[a] = NaN;
        continue;
      }
      const bs = (full ? this.batchSets : this.selSets)[a]!;
      const is = this.intervalSets[a]!;
      bs.clear();
      let f = 0;
      for (let k = 0; k < n; k++) {
        const i = sel ? sel.idx[k]! : k;
        writeKey(batch, i, a, key);
        if (bs.add(key) && !is.has(key)) f++;
      }
      unique[a] = bs.size;
      fresh[a] = f;
    }
    if (full) this.lastFull = true;
    return 0;
  }

  commit(batch: PacketBatch): void {
    if (this.lastFull) {
      // the batch sets hold exactly the batch's distinct keys
      for (let a = 0; a < AGGREGATE_COUNT; a++) this.intervalSets[a]!.addAll(this.batchSets[a]!);
      return;
    }
    const key = this.key;
    for (let a = 0; a < AGGREGATE_COUNT; a++) {
      if (this.active[a] === 0) continue;
      const is = this.intervalSets[a]!;
      for (let i = 0; i < batch.count; i++) {
        writeKey(batch, i, a, key);
        is.add(key);
      }
    }
  }
}
