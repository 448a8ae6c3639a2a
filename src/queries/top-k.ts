/** Top-k selection over a FlowTable's rows by a score column, with a bounded min-heap (flush time only). */
import type { FlowTable } from './flow-table.ts';

/**
 * The rows of the k highest values of column `col` (score = `table.vals[table.valueIndex(row) + col]`) among
 * held rows that pass `keep` (all when omitted), highest first (ties broken by lower row, i.e. earlier
 * insertion). Also returns how many rows passed.
 */
export function topSlots(
  table: FlowTable,
  col: number,
  k: number,
  keep?: (slot: number) => boolean,
): { slots: number[]; passed: number } {
  const heap: number[] = []; // min-heap of slots by score
  let passed = 0;
  if (table.size === 0) return { slots: heap, passed };
  const vals = table.vals;
  const less = (a: number, b: number): boolean => {
    const x = vals[table.valueIndex(a) + col]!;
    const y = vals[table.valueIndex(b) + col]!;
    return x < y || (x === y && a > b);
  };
  for (let s = 0; s < table.size; s++) {
    if (keep !== undefined && !keep(s)) continue;
    passed++;
    if (k <= 0) continue;
    // Rows are scanned in increasing order, so a score not above the heap's minimum never enters it.
    if (heap.length === k && !(vals[table.valueIndex(s) + col]! > vals[table.valueIndex(heap[0]!) + col]!)) continue;
    if (heap.length < k) {
      heap.push(s);
      let c = heap.length - 1;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!less(heap[c]!, heap[p]!)) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        c = p;
      }
    } else if (less(heap[0]!, s)) {
      heap[0] = s;
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        const r = l + 1;
        let m = p;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === p) break;
        [heap[m], heap[p]] = [heap[p]!, heap[m]!];
        p = m;
      }
    }
  }
  heap.sort((a, b) => (less(a, b) ? 1 : less(b, a) ? -1 : 0));
  return { slots: heap, passed };
}
