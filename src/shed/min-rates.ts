/** Per-query minimum sampling rates (`--min-rate flows=0.1`, repeatable or comma-separated; `*=0.05` = default). */
import { UserError } from '../errors.ts';

/** Parses `['flows=0.1', 'counter=0.2,*=0.05']` into a map from query name (`*` = every other query) to rate. */
export function parseMinRates(entries: readonly string[] | string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  const list = entries === undefined ? [] : typeof entries === 'string' ? [entries] : entries;
  for (const entry of list) {
    for (const part of entry.split(',')) {
      const text = part.trim();
      if (text === '') continue;
      const m = /^([A-Za-z0-9_.*-]+)\s*=\s*(.+)$/.exec(text);
      const v = m ? Number(m[2]!.trim()) : NaN;
      if (!m || m[2]!.trim() === '' || !Number.isFinite(v) || v < 0 || v > 1) {
        throw new UserError('shed.bad-min-rate', `--min-rate: '${text}' is not <query>=<rate in [0, 1]>`, 'e.g. --min-rate flows=0.1 (or *=0.05 for every query)');
      }
      out.set(m[1]!, v);
    }
  }
  return out;
}

/** Minimum rate of each named query (default `*`, else 0); unknown names in the map are an error. */
export function minRatesFor(queryNames: readonly string[], rates: ReadonlyMap<string, number>): Float64Array {
  for (const name of rates.keys()) {
    if (name !== '*' && !queryNames.includes(name)) {
      throw new UserError('shed.unknown-query', `--min-rate: no query named '${name}'`, `Known queries: ${queryNames.join(', ')}.`);
    }
  }
  const def = rates.get('*') ?? 0;
  return Float64Array.from(queryNames, (q) => rates.get(q) ?? def);
}
