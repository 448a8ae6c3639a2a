/**
 * JSONL sink for per-interval query results: one line per query per interval, with the query's own result
 * (value, correction, rates it saw, coverage) and the rates the engine applied. BigInts (timestamps) are
 * written as decimal strings; Maps as objects; typed arrays as arrays.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { UserError } from '../errors.ts';
import type { IntervalResult, ResultSink } from './records.ts';

/** JSON replacer for results: bigint -> string, Map -> object, Set/typed array -> array. */
export function resultReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return Object.fromEntries(v);
  if (v instanceof Set) return [...v];
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

export class JsonlResults implements ResultSink {
  private readonly out: WriteStream;
  private failed: Error | undefined;

  constructor(readonly path: string) {
    this.out = createWriteStream(path);
    this.out.on('error', (e) => (this.failed = e));
  }

  write(r: IntervalResult): void {
    const line = { ...r.result, engineRates: r.engineRates };
    this.out.write(`${JSON.stringify(line, resultReplacer)}\n`);
  }

  async close(): Promise<void> {
    await new Promise<void>((res, rej) => this.out.end((e?: Error | null) => (e ? rej(e) : res())));
    if (this.failed) throw new UserError('monitor.results-write', `cannot write results ${this.path}: ${this.failed.message}`, 'check the directory exists and is writable');
  }
}
