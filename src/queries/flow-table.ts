/**
 * FlowTable: a bounded hash table keyed by packet header fields, shared by the flow queries (flows, active-flows,
 * top-destinations, super-sources). No strings, no per-packet objects, no Map: typed arrays only.
 *
 * Layout: an open-addressing index (linear probing; two Uint32 per slot: the key's 32-bit table hash and its
 * row + 1, 0 = empty) over dense rows numbered 0..size-1 in insertion order (a row is the "slot" handle of this
 * API: {@link occupied}, {@link keyOffset}, {@link valueIndex}). A row is [state, table hash, key words, value
 * columns (float64)], seen as Uint32Array {@link FlowTable.rows} and Float64Array {@link FlowTable.vals}.
 * Why: at ~1 M flows an interval (a flood at 1 Mpps) nothing fits a cache. Probing an 8-byte-per-slot index keeps
 * the random working set small, a new flow is appended to the rows sequentially, and growing or clearing moves
 * only the index. {@link FlowTable.hashSelection} + {@link FlowTable.touch} / {@link FlowTable.touchRows} +
 * {@link FlowTable.upsertHashed} let a query hash a batch first and load the index entries (and rows) of packets
 * ahead, so cache misses overlap.
 *
 * Keys (all fields of the packet columns, nothing else):
 *   `5-tuple`  10 words: [proto, src w0..w3, dst w0..w3, srcPort << 16 | dstPort]
 *   `pair`      8 words: [src w0..w3, dst w0..w3]
 *   `src`/`dst` 4 words: the address
 *
 * The index doubles while it is at most half full, up to 2 x maxFlows slots (rounded to a power of two); the rows
 * grow x4 while small, then to maxFlows rows at once (rows never used are untouched, unmapped pages). At most
 * `maxFlows` flows are held: about 16 B x maxFlows (index) + (4 x keyWords + 8 + 8 x valueColumns) B x maxFlows
 * (rows): 16 + 96 B x 1 M = ~112 MB for the 5-tuple with 6 columns at the 1 M default.
 *
 * Eviction policy (bounded memory under floods): when the table holds `maxFlows` flows and a new key arrives, a
 * CLOCK (second-chance) sweep over the rows evicts a flow not updated since the hand last passed it
 * (approximately least recently updated); its index entry is deleted by backward shift (no tombstones) and the
 * last row moves into its place (rows stay dense). Every eviction is counted ({@link FlowTable.evictions}) and
 * the evicted flow's values are readable right after the {@link upsert} that evicted it ({@link evictedNow},
 * {@link evictedValues}), so a query can still account for it.
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
/** Row state bit: updated since the CLOCK hand last passed. */
const REFERENCED = 2;

export class FlowTable {
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
  /** Index slot count (power of two); the rows hold at most half as many flows. */
  slots: number;
  private mask: number;
  /** Index: [table hash, row + 1 (0 = empty)] per slot. */
  private index: Uint32Array;
  /** Rows 0..size-1: [state (bit 1 referenced), table hash, key words, values]. */
  rows: Uint32Array;
  /** The same memory as float64: value c of row s is `vals[valueIndex(s) + c]`. */
  vals: Float64Array;
  /** Flows currently held (rows 0..size-1). */
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
    this.index = new Uint32Array(2 * this.slots);
    this.rows = new Uint32Array(rowCapacity(this.slots, maxFlows) * this.rowWords);
    this.vals = new Float64Array(this.rows.buffer);
    // Touch every page now (fresh typed arrays are lazily mapped zero pages): no page faults mid-run.
    if (pre) {
      this.index.fill(0);
      this.rows.fill(0);
    }
    this.evictedValues = new Float64Array(opts.valueColumns);
    this.scratch = new Uint32Array(this.keyWords);
  }

  /** Whether s is a row holding a flow (0 <= s < size). */
  occupied(s: number): boolean {
    return s >= 0 && s < this.size;
  }

  /** Index in {@link rows} of row s's first key word. */
  keyOffset(s: number): number {
    return s * this.rowWords + 2;
  }

  /** Index in {@link vals} of row s's first value. */
  valueIndex(s: number): number {
    return s * this.rowDoubles + this.valueBase;
  }

  /** Finds or inserts the flow of packet i (key of this table's kind); returns its row. */
  upsert(batch: PacketBatch, i: number): number {
    this.loadKey(batch, i);
    return this.upsertScratchHashed(hashWords(this.scratch, this.keyWords));
  }

  /**
   * Table hashes of the keys of packets idx[0..n) into out[0..n), for {@link upsertHashed}: hashing a batch first
   * lets the caller {@link touch} the index entries of packets a few places ahead, so several cache misses overlap.
   */
  hashSelection(batch: PacketBatch, idx: Uint32Array, n: number, out: Uint32Array): void {
    if (this.kindCode === 0) {
      hashTuples(batch, idx, n, out);
      return;
    }
    const k = this.scratch;
    const kw = this.keyWords;
    for (let j = 0; j < n; j++) {
      this.loadKey(batch, idx[j]!);
      out[j] = hashWords(k, kw);
    }
  }

  /**
   * Software prefetch of the home index entries of table hashes hs[from..to): a burst of independent loads, so
   * their cache misses overlap each other (and the caller's work) instead of stalling one packet at a time.
   */
  touch(hs: Uint32Array, from: number, to: number): void {
    const index = this.index;
    const mask = this.mask;
    let x = 0;
    for (let j = from; j < to; j++) x ^= index[(hs[j]! & mask) << 1]!;
    this.sink ^= x;
  }

  /**
   * The second stage of the prefetch: loads the rows that the home index entries of hs[from..to) point to (call
   * it for hashes whose index entries were {@link touch}ed a while ago, so those are likely cached).
   */
  touchRows(hs: Uint32Array, from: number, to: number): void {
    const index = this.index;
    const rows = this.rows;
    const mask = this.mask;
    const rw = this.rowWords;
    let x = 0;
    for (let j = from; j < to; j++) {
      const h = hs[j]!;
      const slot = (h & mask) << 1;
      // Only a row whose hash matches is likely the packet's flow (a flood's new flows would load rows for nothing).
      if (index[slot] === h) {
        const e = index[slot + 1]!;
        if (e !== 0) x ^= rows[(e - 1) * rw]!;
      }
    }
    this.sink ^= x;
  }

  /** {@link upsert} with the table hash already computed by {@link hashSelection}. */
  upsertHashed(batch: PacketBatch, i: number, h: number): number {
    if (this.kindCode !== 0) {
      this.loadKey(batch, i);
      return this.upsertScratchHashed(h);
    }
    this.evictedNow = false;
    const found = this.findTuple(batch, i, h);
    if (found >= 0) {
      this.inserted = false;
      return found;
    }
    // A new flow: its key goes from the batch's columns straight into the new row.
    const row = this.insertRow(-1 - found, h);
    writeTuple(this.rows, row * this.rowWords + 2, batch, i);
    return row;
  }

  /**
   * The row of packet i's 5-tuple (table hash h) if held (and marks it referenced), else -1 - the free index slot
   * that ends its probe. Compares the key with the batch's columns directly (no copy into {@link scratch}).
   */
  private findTuple(batch: PacketBatch, i: number, h: number): number {
    const index = this.index;
    const rows = this.rows;
    const mask = this.mask;
    const rw = this.rowWords;
    const a = 4 * i;
    const src = batch.src;
    const dst = batch.dst;
    let slot = h & mask;
    for (;;) {
      const e = index[(slot << 1) + 1]!;
      if (e === 0) return -1 - slot;
      if (index[slot << 1] === h) {
        const r = (e - 1) * rw;
        if (
          rows[r + 2] === batch.proto[i] &&
          rows[r + 3] === src[a] && rows[r + 4] === src[a + 1] && rows[r + 5] === src[a + 2] && rows[r + 6] === src[a + 3] &&
          rows[r + 7] === dst[a] && rows[r + 8] === dst[a + 1] && rows[r + 9] === dst[a + 2] && rows[r + 10] === dst[a + 3] &&
          rows[r + 11] === (((batch.srcPort[i]! << 16) | batch.dstPort[i]!) >>> 0)
        ) {
          rows[r] = REFERENCED;
          return e - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Copies packet i's key into {@link scratch}. */
  private loadKey(batch: PacketBatch, i: number): void {
    const k = this.scratch;
    const a = 4 * i;
    const s = batch.src;
    const d = batch.dst;
    switch (this.kindCode) {
      case 0:
        writeTuple(k, 0, batch, i);
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

  /** Finds or inserts the flow whose key is in {@link scratch}; returns its row. */
  upsertScratch(): number {
    return this.upsertScratchHashed(hashWords(this.scratch, this.keyWords));
  }

  private upsertScratchHashed(h: number): number {
    const kw = this.keyWords;
    const rw = this.rowWords;
    const k = this.scratch;
    const rows = this.rows;
    const index = this.index;
    this.evictedNow = false;
    let slot = h & this.mask;
    for (;;) {
      const e = index[(slot << 1) + 1]!;
      if (e === 0) break;
      if (index[slot << 1] === h) {
        const r = (e - 1) * rw;
        let w = 0;
        while (w < kw && rows[r + 2 + w] === k[w]) w++;
        if (w === kw) {
          rows[r] = REFERENCED;
          this.inserted = false;
          return e - 1;
        }
      }
      slot = (slot + 1) & this.mask;
    }
    // Not held: a new row (insertRow may grow or evict, so the rows are re-read) gets the scratch key.
    const row = this.insertRow(slot, h);
    const r = row * rw + 2;
    const out = this.rows;
    for (let w = 0; w < kw; w++) out[r + w] = k[w]!;
    return row;
  }

  /**
   * Appends a row for a new flow of table hash h, whose probe ended at the free index slot `slot`, with its
   * values zeroed; the caller writes its key. Evicts first when the table is full, grows first when the index
   * would be over half full.
   */
  private insertRow(slot: number, h: number): number {
    if (this.size >= this.maxFlows || 2 * (this.size + 1) > this.slots) {
      // Evicting shifts index entries and growing rebuilds the index: find the free slot again.
      if (this.size >= this.maxFlows) this.evictOne();
      else if (this.slots < this.maxSlots) this.grow();
      const index = this.index;
      slot = h & this.mask;
      while (index[(slot << 1) + 1] !== 0) slot = (slot + 1) & this.mask;
    }
    const row = this.size++;
    this.index[slot << 1] = h;
    this.index[(slot << 1) + 1] = row + 1;
    const rows = this.rows;
    const r = row * this.rowWords;
    rows[r] = REFERENCED;
    rows[r + 1] = h;
    const vc = this.valueColumns;
    const vi = row * this.rowDoubles + this.valueBase;
    const vals = this.vals;
    for (let c = 0; c < vc; c++) vals[vi + c] = 0;
    this.inserted = true;
    return row;
  }

  /** Empties the table (keeps its memory). Resets the eviction counter. */
  clear(): void {
    if (this.size > 0) this.index.fill(0);
    this.size = 0;
    this.evictions = 0;
    this.hand = 0;
  }

  /** CLOCK sweep over the rows: clear reference bits until an unreferenced flow is found; evict it. */
  private evictOne(): void {
    const rows = this.rows;
    const rw = this.rowWords;
    for (;;) {
      if (this.hand >= this.size) this.hand = 0;
      const s = this.hand++;
      if (rows[s * rw]! & REFERENCED) {
        rows[s * rw] = 0;
        continue;
      }
      const vc = this.valueColumns;
      const vi = this.valueIndex(s);
      for (let c = 0; c < vc; c++) this.evictedValues[c] = this.vals[vi + c]!;
      this.removeRow(s);
      this.evictions++;
      this.evictedNow = true;
      return;
    }
  }

  /** The index slot that points to row s (which must be held). */
  private slotOf(s: number): number {
    const index = this.index;
    let slot = this.rows[s * this.rowWords + 1]! & this.mask;
    while (index[(slot << 1) + 1] !== s + 1) slot = (slot + 1) & this.mask;
    return slot;
  }

  /** Removes row s: backward-shift deletion of its index entry (Knuth 6.4, Algorithm R); the last row moves into s. */
  private removeRow(s: number): void {
    const mask = this.mask;
    const index = this.index;
    let i = this.slotOf(s);
    index[(i << 1) + 1] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (index[(j << 1) + 1] === 0) break;
      const home = index[j << 1]! & mask;
      // Entry j may stay when its home lies cyclically in (i, j].
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      index[i << 1] = index[j << 1]!;
      index[(i << 1) + 1] = index[(j << 1) + 1]!;
      index[(j << 1) + 1] = 0;
      i = j;
    }
    const last = --this.size;
    if (s !== last) {
      const rw = this.rowWords;
      index[(this.slotOf(last) << 1) + 1] = s + 1;
      this.rows.copyWithin(s * rw, last * rw, last * rw + rw);
    }
  }

  /** Doubles the index (re-inserting its entries); the rows grow only when they must ({@link growRows}). */
  private grow(): void {
    const old = this.index;
    const oldSlots = this.slots;
    this.slots = oldSlots * 2;
    const mask = (this.mask = this.slots - 1);
    const index = (this.index = new Uint32Array(2 * this.slots));
    for (let s = 0; s < oldSlots; s++) {
      const e = old[(s << 1) + 1]!;
      if (e === 0) continue;
      const h = old[s << 1]!;
      let t = h & mask;
      while (index[(t << 1) + 1] !== 0) t = (t + 1) & mask;
      index[t << 1] = h;
      index[(t << 1) + 1] = e;
    }
    if (this.rows.length < rowCapacity(this.slots, this.maxFlows) * this.rowWords) this.growRows();
  }

  /**
   * Enlarges the rows (one copy): x4 while small, then straight to maxFlows rows. A fresh typed array is
   * lazily mapped zero pages, so rows never used cost address space only, and a table that reaches a few tens of
   * thousands of flows is copied once more at most instead of at every doubling of the index.
   */
  private growRows(): void {
    const cap = this.rows.length / this.rowWords;
    const next = cap >= ROWS_BEFORE_FULL ? this.maxFlows : Math.min(this.maxFlows, Math.max(cap * 4, rowCapacity(this.slots, this.maxFlows)));
    const rows = new Uint32Array(next * this.rowWords);
    rows.set(this.rows.subarray(0, this.size * this.rowWords));
    this.rows = rows;
    this.vals = new Float64Array(rows.buffer);
  }
}

/** Row capacity from which {@link FlowTable.growRows} allocates all maxFlows rows at once. */
const ROWS_BEFORE_FULL = 1 << 14;

/** Writes packet i's 5-tuple key words into w[o..o+10). */
function writeTuple(w: Uint32Array, o: number, batch: PacketBatch, i: number): void {
  const a = 4 * i;
  const s = batch.src;
  const d = batch.dst;
  w[o] = batch.proto[i]!;
  w[o + 1] = s[a]!; w[o + 2] = s[a + 1]!; w[o + 3] = s[a + 2]!; w[o + 4] = s[a + 3]!;
  w[o + 5] = d[a]!; w[o + 6] = d[a + 1]!; w[o + 7] = d[a + 2]!; w[o + 8] = d[a + 3]!;
  w[o + 9] = ((batch.srcPort[i]! << 16) | batch.dstPort[i]!) >>> 0;
}

/** Rows needed by an index of `slots` slots: the index is at most half full. */
function rowCapacity(slots: number, maxFlows: number): number {
  return Math.max(1, Math.min(maxFlows, slots >> 1));
}

/** {@link hashWords} of the 5-tuple keys of packets idx[0..n) (the same words as loadKey, without the copy). */
function hashTuples(batch: PacketBatch, idx: Uint32Array, n: number, out: Uint32Array): void {
  const s = batch.src;
  const d = batch.dst;
  const proto = batch.proto;
  const sp = batch.srcPort;
  const dp = batch.dstPort;
  for (let j = 0; j < n; j++) {
    const i = idx[j]!;
    const a = 4 * i;
    let h = HASH_SEED;
    // The key words in loadKey's order: proto, src w0..w3, dst w0..w3, ports (hashWords' step inlined).
    for (let w = 0; w < 10; w++) {
      const x = w === 0 ? proto[i]! : w < 5 ? s[a + w - 1]! : w < 9 ? d[a + w - 5]! : ((sp[i]! << 16) | dp[i]!) >>> 0;
      h = Math.imul(h ^ x, HASH_MUL);
      h ^= h >>> 15;
    }
    out[j] = mix32(h ^ 10) & TABLE_HASH_MASK;
  }
}

const HASH_SEED = 0x9747b28c;
const HASH_MUL = 0x9e3779b1;
/**
 * Table hashes keep 31 bits: a small integer (Smi) to V8, so passing one to the table's methods, which the
 * queries' per-packet loops do not inline, allocates nothing. A full u32 above 2^31 is boxed into a new heap
 * number at each such call: with half of all hashes there, that was the monitor's largest garbage (24 of the 32
 * MB a 50 s unsampled active-flows run allocated; sampling heap profile), and its young-generation collections
 * landed in the queries' measured batches. The index compares the whole hash, so a bit less only doubles the
 * (2^-32) chance that two keys in one probe run share a hash; the full key is compared after it anyway.
 */
const TABLE_HASH_MASK = 0x7fffffff;

/**
 * The table's bucket hash of the first n words of k (not the sampling hash; nothing outside the table sees it:
 * rows are numbered in insertion order whatever the hash). Per word one multiply and an xor-shift, each step a
 * bijection of the state for a fixed word (keys differing in one word never collide), then the murmur3
 * finaliser for the avalanche the index's low bits need.
 */
function hashWords(k: Uint32Array, n: number): number {
  let h = HASH_SEED;
  for (let w = 0; w < n; w++) {
    h = Math.imul(h ^ k[w]!, HASH_MUL);
    h ^= h >>> 15;
  }
  return mix32(h ^ n) & TABLE_HASH_MASK;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
