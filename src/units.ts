/** Parsing of the CLI's values (durations, numbers, choices), with errors that name the flag. */
import { UserError } from './errors.ts';

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, min: 60e9, h: 3600e9 };

/** Parses `100ms`, `1.5s`, `300s`, `250us`, `5m` into nanoseconds; a bare number means `defaultUnit`. */
export function parseDurationNs(text: string, flag: string, defaultUnit = 's'): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([a-zµ]*)\s*$/i.exec(text);
  const unit = (m?.[2] || defaultUnit).toLowerCase();
  const scale = DURATION_UNITS[unit];
  if (!m || scale === undefined) {
    throw new UserError('cli.bad-duration', `${flag}: '${text}' is not a duration`, 'Use a number with a unit: ns, us, ms, s, m, h (e.g. 100ms, 300s).');
  }
  const ns = Number(m[1]) * scale;
  if (!Number.isFinite(ns) || ns <= 0) {
    throw new UserError('cli.bad-duration', `${flag}: '${text}' must be a positive duration`, 'e.g. 100ms');
  }
  return ns;
}

/** Parses a finite number, with bounds, naming the flag on error. */
export function parseNumber(text: string, flag: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const v = Number(text);
  const bad =
    text.trim() === '' ||
    !Number.isFinite(v) ||
    (opts.integer && !Number.isInteger(v)) ||
    (opts.min !== undefined && v < opts.min) ||
    (opts.max !== undefined && v > opts.max);
  if (bad) {
    const range = [opts.min !== undefined ? `>= ${opts.min}` : '', opts.max !== undefined ? `<= ${opts.max}` : '']
      .filter(Boolean)
      .join(' and ');
    throw new UserError('cli.bad-number', `${flag}: '${text}' is not a valid ${opts.integer ? 'integer' : 'number'}${range ? ` (${range})` : ''}`);
  }
  return v;
}

/** `v` if it is one of `choices`, else a UserError naming `flag` (code `cli.bad-<code>`) and the choices. */
export function oneOf<T extends string>(v: string, flag: string, code: string, choices: readonly T[], what = 'value'): T {
  if ((choices as readonly string[]).includes(v)) return v as T;
  throw new UserError(`cli.bad-${code}`, `${flag}: unknown ${what} '${v}'`, `use ${choices.join(' or ')}`);
}
