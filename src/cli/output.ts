/**
 * Output helpers shared by every command: JSON for scripts (--json), aligned text for people, progress on a
 * TTY only (never in --json mode, never when stderr is not a terminal).
 */
import cliProgress from 'cli-progress';
import { statSync } from 'node:fs';

/** Writes `value` as pretty JSON on stdout. BigInts are written as strings. */
export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`,
  );
}

/** Prints a command's result: pretty JSON with --json ({@link printJson}), otherwise `human(value)` and a newline. */
export function printResult<T>(value: T, json: boolean | undefined, human: (value: T) => string): void {
  if (json) printJson(value);
  else process.stdout.write(`${human(value)}\n`);
}

/** Size in bytes of `path` (a progress bar's total), or undefined when it cannot be read (the reader says why). */
export function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Renders rows as an aligned text table (first row = header). */
export function formatTable(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

export interface Progress {
  /** Sets progress to `value` of `total`, with optional named payload fields shown after the bar. */
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a TTY and not in JSON mode; otherwise a no-op. `format` may use
 * cli-progress tokens ({bar}, {percentage}, {value}, {total}, {eta_formatted}) and payload names.
 */
export function progress(label: string, total: number, opts: { json?: boolean; format?: string } = {}): Progress {
  if (opts.json || !process.stderr.isTTY || process.env.CI) {
    return { update() {}, setTotal() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} {bar} {percentage}% | ${opts.format ?? '{value}/{total} | ETA {eta_formatted}'}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (v, payload) => bar.update(v, payload),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}
