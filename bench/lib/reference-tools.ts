/**
 * The outside reference tools the benchmarks run side by side with loadcast (argus, tcpdump), timed once here:
 * every benchmark reads the same `/usr/bin/time` figures the same way, and reports medians the same way.
 */
import { spawnSync } from 'node:child_process';

/** Debian's argus flow monitor (C), the reference of bench/flows.ts and bench/monitor.ts. */
export const ARGUS = '/usr/sbin/argus';

/** The median of xs (the upper one for an even count). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time, user + sys CPU time (seconds) and peak RSS (KiB) of one run of `cmd args`, from `/usr/bin/time`. */
export function timeTool(cmd: string, args: string[]): { wallS: number; cpuS: number; maxRssKb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): ${r.stderr.trim()}\n` +
        `hint: check that ${cmd} and /usr/bin/time are installed and can read the input`,
    );
  }
  const [e, u, s, m] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallS: e!, cpuS: u! + s!, maxRssKb: m! };
}

/** One argus run over a pcap, flow records discarded (`argus -r FILE -w /dev/null`). */
export function argus(file: string): { wallS: number; cpuS: number } {
  const { wallS, cpuS } = timeTool(ARGUS, ['-r', file, '-w', '/dev/null']);
  return { wallS, cpuS };
}
