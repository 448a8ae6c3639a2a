/**
 * FlowTable: a bounded open-addressing hash table keyed by packet header fields, shared by the flow queries
 * (flows, active-flows, top-destinations, super-sources). No strings, no per-packet objects, no Map: typed-array
 * rows hold each slot's key words, its 32-bit table hash (checked before the full key compare) and its values.
 *
 * Layout: one buffer of rows, one row per slot: [state, table hash, key words..., value columns (float64)], seen
 * through a Uint32Array ({@link FlowTable.rows}) and a Float64Array ({@link FlowTable.vals}); value c of slot s
 * is `vals[table.valueIndex(s) + c]`. A flow's key and values share one row (adjacent cache lines, one page).
 * With hundreds of thousands of flows the table is memory-bound (a cache miss per packet); {@link
 * FlowTable.hashSelection} + {@link FlowTable.touch} + {@link FlowTable.upsertHashed} let a query hash a whole
 * batch first and load rows a few packets ahead, so misses overlap (~+20-35% at 500 k flows in bench/flows.ts).
 *
 * Keys (all fields of the packet columns, nothing else):
 *   `5-tuple`  10 words: [proto, src w0..w3, dst w0..w3, srcPort << 16 | dstPort]
 *   `pair`      8 words: [src w0..w3, dst w0..w3]
 *   `src`/`dst` 4 words: the address
 *
 * Probing is linear; the table doubles while it is at most half full, up to 2 x maxFlows slots (rounded to a power
 * of two), so at most `maxFlows` flows are held: memory is bounded at about (4 x keyWords + 8 + 8 x valueColumns)
 * bytes x 2 x maxFlows (5-tuple with 3 columns: 72 B x 2 M slots = ~150 MB at the 1 M default).
 *
 * Eviction policy (bounded memory under floods): when the table holds `maxFlows` flows and a new key arrives, a
 * CLOCK (second-chance) sweep evicts a flow not updated since the hand last passed it (approximately least
 * recently updated); deletion is by backward shift, so no tombstones accumulate. Every eviction is counted
 * ({@link FlowTable.evictions}) and the evicted flow's values are readable right after the {@link upsert} that
 * evicted it ({@link evictedNow}, {@link evictedValues}), so a query can still account for it.
 */
import type { PacketBatch } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { mix32 } from '../hash-mix.ts';

export type FlowKeyKind = '5-tuple' | 'pair' | 'src' | 'dst';

export interface FlowTableOptions {
  readonly key: FlowKeyKind;
  /** Number of Float64 value columns per flow (zeroed on insert). */
  readonly valueColumns: number;
  /** Most flows held at once (default 1,048,576). */
  readonly maxFlows?: number;
  /** Initial slot count (power of two; default 1024). */
  readonly initialSlots?: number;
  /**
   * Pre-sizing (as CoMo pre-allocated its memory): make room for this many flows up front (slots = the power of
   * two >= 2 x initialFlows, capped by maxFlows) and write every row once, so that the table neither doubles nor
   * takes first-touch page faults while traffic is processed (a flood would otherwise pay both in its first
   * batches). Overrides initialSlots. Default: none (start at initialSlots and grow).
   */
  readonly initialFlows?: number;
}

export const DEFAULT_MAX_FLOWS = 1 << 20;

const KEY_WORDS: Record<FlowKeyKind, number> = { '5-tuple': 10, pair: 8, src: 4, dst: 4 };
const OCCUPIED = 1;
const REFERENCED = 2;

export class FlowTable {
  readonly kind: FlowKeyKind;
  readonly keyWords: number;
  /** Words per row: state, hash, key, 2 per value column. */
  readonly rowWords: number;
  /** Float64 elements per row. */
  private readonly rowDoubles: number;
  /** Float64 index of the first value within a row. */
  private readonly valueBase: number;
  readonly valueColumns: number;
  readonly maxFlows: number;
  private readonly kindCode: number;
  private readonly maxSlots: number;
  /** Slot count (power of two). */
  slots: number;
  private mask: number;
  /** Rows: [state (bit 0 occupied, bit 1 referenced), table hash, key words, values] per slot. */
  rows: Uint32Array;
  /** The same memory as float64: value c of slot s is `vals[valueIndex(s) + c]`. */
  vals: Float64Array;
  /** Flows currently held. */
  size = 0;
  /** Flows evicted since the last {@link clear}. */
  evictions = 0;
  /** Whether the last {@link upsert} inserted a new flow. */
  inserted = false;
  /** Whether the last {@link upsert} evicted a flow; its values are then in {@link evictedValues}. */
  evictedNow = false;
  readonly evictedValues: Float64Array;
  /** Scratch key: fill `keyWords` words and call {@link upsertScratch} to use a key not taken from a batch. */
  readonly scratch: Uint32Array;
  private hand = 0;
  /** Sink of {@link touch} loads (keeps them from being optimised away). */
  private sink = 0;

  constructor(opts: FlowTableOptions) {
    const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
    if (!Number.isInteger(maxFlows) || maxFlows < 1) {
      throw new UserError('queries.bad-max-flows', `maxFlows ${maxFlows} must be a positive integer`, 'pass e.g. 1048576');
    }
    this.kind = opts.key;
    this.kindCode = opts.key === '5-tuple' ? 0 : opts.key === 'pair' ? 1 : opts.key === 'src' ? 2 : 3;
    this.keyWords = KEY_WORDS[opts.key];
    // keyWords + 2 is even for every key kind, so the values are 8-byte aligned.
    this.rowWords = this.keyWords + 2 + 2 * opts.valueColumns;
    this.rowDoubles = this.rowWords / 2;
    this.valueBase = (this.keyWords + 2) / 2;
    this.valueColumns = opts.valueColumns;
    this.maxFlows = maxFlows;
    this.maxSlots = nextPow2(2 * maxFlows);
    const pre = opts.initialFlows;
    if (pre !== undefined && (!Number.isInteger(pre) || pre < 0)) {
      throw new UserError('queries.bad-initial-flows', `initialFlows ${pre} must be an integer >= 0`, 'pass e.g. 200000 (the most flows expected in one interval)');
    }
    this.slots = Math.min(this.maxSlots, nextPow2(pre ? 2 * pre : (opts.initialSlots ?? 1024)));
    this.mask = this.slots - 1;
    this.rows = new Uint32Array(this.slots * this.rowWords);
    this.vals = new Float64Array(this.rows.buffer);
    // Touch every page now (fresh typed arrays are lazily mapped zero pages): no page faults mid-run.
    if (pre) this.rows.fill(0);
    this.evictedValues = new Float64Array(opts.valueColumns);
    this.scratch = new Uint32Array(this.keyWords);
  }

  /** Whether slot s holds a flow. */
  occupied(s: number): boolean {
    return (this.rows[s * this.rowWords]! & OCCUPIED) !== 0;
  }

  /** Index in {@link rows} of slot s's first key word. */
  keyOffset(s: number): number {
    return s * this.rowWords + 2;
  }

  /** Index in {@link vals} of slot s's first value. */
  valueIndex(s: number): number {
    return s * this.rowDoubles + this.valueBase;
  }

  /** Finds or inserts the flow of packet i (key of this table's kind); returns its slot. */
  upsert(batch: PacketBatch, i: number): number {
    this.loadKey(batch, i);
    return this.upsertScratchHashed(hashWords(this.scratch, this.keyWords));
  }

  /**
   * Table hashes of the keys of packets idx[0..n) into out[0..n), for {@link upsertHashed}: hashing a batch first
   * lets the caller {@link touch} the rows of packets a few places ahead, so several cache misses overlap.
   */
  hashSelection(batch: PacketBatch, idx: Uint32Array, n: number, out: Uint32Array): void {
    const k = this.scratch;
    const kw = this.keyWords;
    for (let j = 0; j < n; j++) {
      this.loadKey(batch, idx[j]!);
      out[j] = hashWords(k, kw);
    }
  }

  /** Reads the home row of table hash h (a software prefetch: the load overlaps with the current upsert). */
  touch(h: number): void {
    this.sink ^= this.rows[(h & this.mask) * this.rowWords]!;
  }

  /** {@link upsert} with the table hash already computed by {@link hashSelection}. */
  upsertHashed(batch: PacketBatch, i: number, h: number): number {
    this.loadKey(batch, i);
    return this.upsertScratchHashed(h);
  }

  /** Copies packet i's key into {@link scratch}. */
  private loadKey(batch: PacketBatch, i: number): void {
    const k = this.scratch;
    const a = 4 * i;
    const s = batch.src;
    const d = batch.dst;
    switch (this.kindCode) {
      case 0:
        k[0] = batch.proto[i]!;
        k[1] = s[a]!; k[2] = s[a + 1]!; k[3] = s[a + 2]!; k[4] = s[a + 3]!;
        k[5] = d[a]!; k[6] = d[a + 1]!; k[7] = d[a + 2]!; k[8] = d[a + 3]!;
        k[9] = ((batch.srcPort[i]! << 16) | batch.dstPort[i]!) >>> 0;
        break;
      case 1:
        k[0] = s[a]!; k[1] = s[a + 1]!; k[2] = s[a + 2]!; k[3] = s[a + 3]!;
        k[4] = d[a]!; k[5] = d[a + 1]!; k[6] = d[a + 2]!; k[7] = d[a + 3]!;
        break;
      case 2:
        k[0] = s[a]!; k[1] = s[a + 1]!; k[2] = s[a + 2]!; k[3] = s[a + 3]!;
        break;
      default:
        k[0] = d[a]!; k[1] = d[a + 1]!; k[2] = d[a + 2]!; k[3] = d[a + 3]!;
    }
  }

  /** Finds or inserts the flow whose key is in {@link scratch}; returns its slot. */
  upsertScratch(): number {
    return this.upsertScratchHashed(hashWords(this.scratch, this.keyWords));
  }

  private upsertScratchHashed(h: number): number {
    const kw = this.keyWords;
    const rw = this.rowWords;
    const k = this.scratch;
    this.inserted = false;
    this.evictedNow = false;
    let rows = this.rows;
    let slot = h & this.mask;
    for (;;) {
      const r = slot * rw;
      const st = rows[r]!;
      if (!(st & OCCUPIED)) break;
      if (rows[r + 1] === h) {
        let w = 0;
        while (w < kw && rows[r + 2 + w] === k[w]) w++;
        if (w === kw) {
          rows[r] = OCCUPIED | REFERENCED;
          return slot;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    if (this.size >= this.maxFlows) this.evictOne();
    else if (2 * (this.size + 1) > this.slots && this.slots < this.maxSlots) this.grow();
    rows = this.rows;
    slot = h & this.mask;
    while (rows[slot * rw]! & OCCUPIED) slot = (slot + 1) & this.mask;
    const r = slot * rw;
    rows[r] = OCCUPIED | REFERENCED;
    rows[r + 1] = h;
    for (let w = 0; w < kw; w++) rows[r + 2 + w] = k[w]!;
    const vc = this.valueColumns;
    const vi = slot * this.rowDoubles + this.valueBase;
    for (let c = 0; c < vc; c++) this.vals[vi + c] = 0;
    this.size++;
    this.inserted = true;
    return slot;
  }

  /** Empties the table (keeps its memory). Resets the eviction counter. */
  clear(): void {
    if (this.size > 0) {
      const rows = this.rows;
      const rw = this.rowWords;
      for (let s = 0; s < this.slots; s++) rows[s * rw] = 0;
    }
    this.size = 0;
    this.evictions = 0;
    this.hand = 0;
  }

  /** CLOCK sweep: clear reference bits until an unreferenced flow is found; evict it. */
  private evictOne(): void {
    const rows = this.rows;
    const rw = this.rowWords;
    for (;;) {
      const s = this.hand;
      this.hand = (this.hand + 1) & this.mask;
      const st = rows[s * rw]!;
      if (!(st & OCCUPIED)) continue;
      if (st & REFERENCED) {
        rows[s * rw] = OCCUPIED;
        continue;
      }
      const vc = this.valueColumns;
      const vi = this.valueIndex(s);
      for (let c = 0; c < vc; c++) this.evictedValues[c] = this.vals[vi + c]!;
      this.remove(s);
      this.evictions++;
      this.evictedNow = true;
      return;
    }
  }

  /** Backward-shift deletion for linear probing (Knuth 6.4, Algorithm R). */
  private remove(slot: number): void {
    const mask = this.mask;
    const rw = this.rowWords;
    const rows = this.rows;
    let i = slot;
    rows[i * rw] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (!(rows[j * rw]! & OCCUPIED)) break;
      const home = rows[j * rw + 1]! & mask;
      // Entry j may stay when its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      rows.copyWithin(i * rw, j * rw, j * rw + rw);
      rows[j * rw] = 0;
      i = j;
    }
    this.size--;
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldRows = this.rows;
    const rw = this.rowWords;
    this.slots = oldSlots * 2;
    this.mask = this.slots - 1;
    this.rows = new Uint32Array(this.slots * rw);
    this.vals = new Float64Array(this.rows.buffer);
    this.hand = 0;
    for (let s = 0; s < oldSlots; s++) {
      if (!(oldRows[s * rw]! & OCCUPIED)) continue;
      let t = oldRows[s * rw + 1]! & this.mask;
      while (this.rows[t * rw]! & OCCUPIED) t = (t + 1) & this.mask;
      this.rows.set(oldRows.subarray(s * rw, s * rw + rw), t * rw);
    }
  }
}

/** Murmur3-style 32-bit hash of the first n words of k (the table's bucket hash; not the sampling hash). */
function hashWords(k: Uint32Array, n: number): number {
  let h = 0x9747b28c;
  for (let w = 0; w < n; w++) {
    let x = Math.imul(k[w]!, 0xcc9e2d51);
    x = (x << 15) | (x >>> 17);
    x = Math.imul(x, 0x1b873593);
    h ^= x;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return mix32(h ^ n);
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
