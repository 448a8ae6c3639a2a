/**
 * `pattern-search`: counts the packets whose captured L4 payload contains each of a list of byte strings (CoMo
 * `pattern-search`; a stand-in for signature matching). Every payload byte is scanned, so its cost follows the
 * bytes of the batch, not its packets. Matching: a 256-entry first-byte table points at the patterns starting
 * with that byte, which are then compared in full.
 *
 * Correction: none possible (a match in a dropped packet is simply missed). The result reports the raw counts
 * over the processed packets; `coverage` (processed / offered packets) and the rates tell how much was missed:
 * the expected number of missed matching packets is about (1 - coverage) x the true number.
 */
import type { PacketBatch, Selection } from '../capture/index.ts';
import { UserError } from '../errors.ts';
import { IntervalStats } from './interval-stats.ts';
import type { BatchContext, FlushContext, Query, QueryResult } from './query.ts';

/** Default patterns: common plaintext protocol markers and attack strings. */
export const DEFAULT_PATTERNS: readonly string[] = [
  'GET ',
  'POST ',
  'HTTP/1.',
  'SSH-',
  '\x13BitTorrent protocol',
  'GNUTELLA',
  'USER ',
  'PASS ',
  '/etc/passwd',
  'cmd.exe',
  '\xffSMB',
  '\xfeSMB',
];

export interface PatternCount {
  /** The pattern, with non-printable bytes as \xNN. */
  pattern: string;
  /** Processed packets whose payload contains it. */
  packets: number;
}

export interface PatternSearchValue {
  patterns: PatternCount[];
  /** Processed packets matching at least one pattern. */
  matchingPackets: number;
  scannedPackets: number;
  scannedBytes: number;
}

export interface PatternSearchOptions {
  /** Patterns as strings (each char code 0..255 is one byte) or byte arrays. */
  readonly patterns?: readonly (string | Uint8Array)[];
}

export class PatternSearchQuery implements Query<PatternSearchValue> {
  readonly name = 'pattern-search';
  readonly sampling = 'packet' as const;
  readonly correction = 'coverage' as const;
  private readonly pats: Uint8Array[];
  /** firstHead[b]: 1 + index of the first pattern starting with byte b in `order` (0 = none). */
  private readonly firstStart = new Int32Array(256);
  private readonly firstEnd = new Int32Array(256);
  /** Pattern indices grouped by first byte. */
  private readonly order: Int32Array;
  private readonly hits: Float64Array;
  /** Per pattern, 1 when it already matched the current packet. */
  private readonly seen: Uint8Array;
  private matching = 0;
  private scannedPackets = 0;
  private scannedBytes = 0;
  private readonly stats = new IntervalStats();

  constructor(opts: PatternSearchOptions = {}) {
    const raw = opts.patterns ?? DEFAULT_PATTERNS;
    this.pats = raw.map((p, k) => {
      const b = typeof p === 'string' ? latin1(p, k) : p;
      if (b.length === 0) throw new UserError('queries.empty-pattern', `pattern ${k} is empty`, 'give non-empty patterns');
      return b;
    });
    const byFirst = [...this.pats.keys()].sort((a, b) => this.pats[a]![0]! - this.pats[b]![0]! || a - b);
    this.order = Int32Array.from(byFirst);
    for (let j = 0; j < byFirst.length; j++) {
      const f = this.pats[byFirst[j]!]![0]!;
      if (this.firstEnd[f] === 0) this.firstStart[f] = j;
      this.firstEnd[f] = j + 1;
    }
    this.hits = new Float64Array(this.pats.length);
    this.seen = new Uint8Array(this.pats.length);
  }

  process(batch: PacketBatch, sel: Selection, ctx: BatchContext): void {
    this.stats.observe(batch, sel, ctx);
    const bytes = batch.bytes;
    const idx = sel.idx;
    const fs = this.firstStart;
    const fe = this.firstEnd;
    const order = this.order;
    const pats = this.pats;
    const seen = this.seen;
    let scanned = 0;
    for (let j = 0; j < sel.length; j++) {
      const i = idx[j]!;
      const start = batch.payloadOffset[i]!;
      const end = start + batch.payloadLen[i]!;
      scanned += end - start;
      let any = false;
      for (let q = start; q < end; q++) {
        const e = fe[bytes[q]!]!;
        if (e === 0) continue;
        for (let o = fs[bytes[q]!]!; o < e; o++) {
          const p = order[o]!;
          if (seen[p] === 1) continue;
          const pat = pats[p]!;
          const n = pat.length;
          if (q + n > end) continue;
          let m = 1;
          while (m < n && bytes[q + m] === pat[m]) m++;
          if (m === n) {
            seen[p] = 1;
            this.hits[p] = this.hits[p]! + 1;
            any = true;
          }
        }
      }
      if (any) {
        this.matching++;
        seen.fill(0);
      }
    }
    this.scannedPackets += sel.length;
    this.scannedBytes += scanned;
  }

  flush(ctx: FlushContext): QueryResult<PatternSearchValue> {
    const value: PatternSearchValue = {
      patterns: this.pats.map((p, k) => ({ pattern: printable(p), packets: this.hits[k]! })),
      matchingPackets: this.matching,
      scannedPackets: this.scannedPackets,
      scannedBytes: this.scannedBytes,
    };
    this.hits.fill(0);
    this.matching = this.scannedPackets = this.scannedBytes = 0;
    return this.stats.result(this.name, this.correction, ctx, value);
  }
}

function latin1(s: string, k: number): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c > 255) {
      throw new UserError('queries.bad-pattern', `pattern ${k} has a character above \\xff at ${j}`, 'give patterns as bytes (latin1 strings or Uint8Array)');
    }
    b[j] = c;
  }
  return b;
}

function printable(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return s;
}

export function createPatternSearch(opts: PatternSearchOptions = {}): PatternSearchQuery {
  return new PatternSearchQuery(opts);
}
