/**
 * A full garbage collection on demand, between runs: the runs of an experiment share one process, and the
 * garbage of one run (its flow tables, records) would otherwise be collected during the next run's first
 * batches and charged to them. Uses V8's `gc` exposed at runtime (--expose-gc set through v8.setFlagsFromString,
 * then fetched from a fresh context); a no-op if that is not possible.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | null | undefined;

export function fullGc(): boolean {
  if (gcFn === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const f: unknown = runInNewContext('gc');
      gcFn = typeof f === 'function' ? (f as () => void) : null;
    } catch {
      gcFn = null;
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}
