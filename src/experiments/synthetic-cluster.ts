/**
 * A generated cluster-usage dataset for machines without `../shared/data` (the demo says when it uses it).
 * Shaped like the Alibaba 2018 machine_usage table after cleaning: machines grouped in failure domains, five
 * metrics per machine (cpu, mem, disk_io in percent; net_in, net_out as per-step traffic), a 300 s step over
 * 8 days. Structure that a multi-task model can exploit is built in on purpose and documented here:
 * - a daily cycle shared by every machine of a failure domain (phase and amplitude per domain);
 * - cpu drives net_in/net_out and disk_io of the same machine with a one-step lag;
 * - mem drifts slowly (AR(1) with a tiny innovation) and jumps when a job lands;
 * - bursts (load spikes lasting 3-12 steps) hit all machines of a domain together;
 * - 1% of values are missing at random, and one machine has a 6-hour outage (all metrics missing).
 * It is written in the generic long format (time, entity, metric, value) that `series prepare --source long` reads.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Rng } from '../random.ts';

export interface SyntheticClusterOptions {
  machines?: number;
  domains?: number;
  steps?: number;
  stepSeconds?: number;
  seed?: number;
}

/** Writes the dataset as CSV (header `time,entity,metric,value`; empty value = missing). Returns the row count. */
export async function writeSyntheticCluster(path: string, opts: SyntheticClusterOptions = {}): Promise<number> {
  const machines = opts.machines ?? 16;
  const domains = opts.domains ?? 4;
  const steps = opts.steps ?? 2304;
  const step = opts.stepSeconds ?? 300;
  const rng = new Rng(opts.seed ?? 7);
  const perDay = Math.round(86400 / step);

  const domainPhase = Array.from({ length: domains }, () => rng.next() * 2 * Math.PI);
  const domainAmp = Array.from({ length: domains }, () => 8 + 12 * rng.next());
  const burst = Array.from({ length: domains }, () => new Float64Array(steps));
  for (let d = 0; d < domains; d++) {
    for (let t = 0; t < steps; t++) {
      if (rng.next() < 0.004) {
        const len = 3 + rng.int(10);
        const height = 15 + 25 * rng.next();
        for (let u = t; u < Math.min(steps, t + len); u++) burst[d]![u]! += height;
      }
    }
  }
  const outageMachine = rng.int(machines);
  const outageStart = Math.floor(steps * 0.4);
  const outageLen = Math.round((6 * 3600) / step);

  const out = createWriteStream(path);
  let rows = 0;
  const write = async (line: string): Promise<void> => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write('time,entity,metric,value\n');
  for (let m = 0; m < machines; m++) {
    const d = m % domains;
    const base = 20 + 30 * rng.next();
    let noise = 0;
    let mem = 55 + 30 * rng.next();
    let prevCpu = base;
    for (let t = 0; t < steps; t++) {
      noise = 0.8 * noise + 2.5 * rng.normal();
      const daily = domainAmp[d]! * Math.sin((2 * Math.PI * t) / perDay + domainPhase[d]!);
      const cpu = clamp(base + daily + burst[d]![t]! + noise, 0, 100);
      mem = clamp(mem + 0.02 * (70 - mem) + 0.3 * rng.normal() + (rng.next() < 0.003 ? 10 : 0), 0, 100);
      const disk = clamp(0.3 * prevCpu + 3 * rng.normal() + 5, 0, 100);
      const netIn = Math.max(0, 0.05 * prevCpu + 0.3 * rng.normal() + 0.5);
      const netOut = Math.max(0, 0.04 * prevCpu + 0.3 * rng.normal() + 0.4);
      prevCpu = cpu;
      const down = m === outageMachine && t >= outageStart && t < outageStart + outageLen;
      const time = t * step;
      const values: [string, number][] = [
        ['cpu', cpu],
        ['mem', mem],
        ['disk_io', disk],
        ['net_in', netIn],
        ['net_out', netOut],
      ];
      for (const [metric, v] of values) {
        const missing = down || rng.next() < 0.01;
        await write(`${time},m_${String(m).padStart(3, '0')},${metric},${missing ? '' : v.toFixed(4)}\n`);
        rows++;
      }
    }
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
