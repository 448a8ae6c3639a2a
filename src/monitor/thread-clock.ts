/**
 * The CPU time of the calling thread, in ns: POSIX CLOCK_THREAD_CPUTIME_ID, reached through Node's WASI host
 * (`clock_time_get` with the WASI clock id `thread_cputime_id`, which libuv's uvwasi answers with
 * clock_gettime(CLOCK_THREAD_CPUTIME_ID) on Linux). Node 20 has no JavaScript API for it
 * (`process.threadCpuUsage` came in Node 23.9), and a native addon would need a compiler on the user's machine.
 *
 * Why a thread clock for query costs: it counts only the work of the thread that runs the queries, user and
 * kernel (page faults, system calls), and neither the time it was descheduled nor the CPU time of the
 * process's other threads: V8's concurrent marking, sweeping and compiler threads and libuv's file reads,
 * which process.cpuUsage() adds to whatever phase they overlap. That is what CoMo's cycle counter measured on
 * a dedicated core.
 *
 * The module is 120 bytes, assembled below from its text form:
 *
 * ```wat
 * (module
 *   (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
 *   (memory (export "memory") 1)
 *   (func (export "thread_cpu_ns") (result i64)
 *     (drop (call $clock_time_get (i32.const 3) (i64.const 1) (i32.const 0)))  ;; 3 = thread_cputime_id
 *     (i64.load (i32.const 0))))
 * ```
 *
 * One read costs ~0.66 us (process.cpuUsage() ~0.84 us) and resolves single ns.
 */
import { createRequire } from 'node:module';

/** WASI preview1 clock id of the calling thread's CPU time. */
const THREAD_CPUTIME_ID = 3;

/** The module's bytes, section by section (see the file comment for the text form). */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const name = (s: string): number[] => [s.length, ...new TextEncoder().encode(s)];
  const section = (id: number, content: number[]): number[] => [id, content.length, ...content];
  const I32 = 0x7f;
  const I64 = 0x7e;
  const FUNC = 0x60;
  const code = [
    0x00, // no locals
    0x41, THREAD_CPUTIME_ID, // i32.const 3
    0x42, 0x01, // i64.const 1 (precision, ignored)
    0x41, 0x00, // i32.const 0 (where the result goes)
    0x10, 0x00, // call $clock_time_get
    0x1a, // drop (the errno; a failure leaves the previous value, and the probe below checks it works)
    0x41, 0x00, // i32.const 0
    0x29, 0x03, 0x00, // i64.load align=8 offset=0
    0x0b, // end
  ];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
    ...section(1, [2, FUNC, 3, I32, I64, I32, 1, I32, FUNC, 0, 1, I64]), // types: (i32 i64 i32) -> i32, () -> i64
    ...section(2, [1, ...name('wasi_snapshot_preview1'), ...name('clock_time_get'), 0x00, 0]), // import func type 0
    ...section(3, [1, 1]), // one function of type 1
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page
    ...section(7, [2, ...name('memory'), 0x02, 0, ...name('thread_cpu_ns'), 0x00, 1]),
    ...section(10, [1, code.length, ...code]),
  ]);
}

let cached: (() => bigint) | null | undefined;

/**
 * A function returning this thread's CPU time in ns, or null where the host cannot give it (no WASI, or a
 * clock that does not advance with work): callers fall back to the process CPU clock. Created once.
 */
export function threadCpuClock(): (() => bigint) | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    // node:wasi warns that it is experimental when first loaded; the one function used here is stable enough
    // (WASI preview1 is frozen), and the warning would only confuse a user of the monitor.
    const emit = process.emitWarning;
    let WASI: typeof import('node:wasi').WASI;
    process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
      if (String(typeof warning === 'string' ? warning : warning.message).includes('WASI')) return;
      (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
    }) as typeof process.emitWarning;
    try {
      ({ WASI } = createRequire(import.meta.url)('node:wasi') as typeof import('node:wasi'));
    } finally {
      process.emitWarning = emit;
    }
    const wasi = new WASI({ version: 'preview1' });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), wasi.getImportObject() as WebAssembly.Imports);
    wasi.initialize(instance);
    const read = instance.exports['thread_cpu_ns'] as () => bigint;
    if (advancesWithWork(read)) cached = read;
  } catch {
    cached = null;
  }
  return cached;
}

/** The probe: a few hundred microseconds of work must move the clock forward, by no more than wall time. */
function advancesWithWork(read: () => bigint): boolean {
  const c0 = read();
  const w0 = process.hrtime.bigint();
  let x = 0;
  for (let i = 0; i < 200_000; i++) x = (x + i * 7) % 1_000_003;
  const dc = read() - c0;
  const dw = process.hrtime.bigint() - w0;
  return x >= 0 && dc > 0n && dc <= dw + 1_000_000n;
}
