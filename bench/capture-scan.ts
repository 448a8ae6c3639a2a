import { readBatches } from '../src/capture/index.ts';
const f = process.argv[2]!;
for (let rep = 0; rep < 3; rep++) {
  const t = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let n = 0;
  for await (const b of readBatches(f)) n += b.count;
  const dt = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = process.cpuUsage(c0);
  console.log(JSON.stringify({ n, dt, mpps: n / dt / 1e6, cpuMpps: n / ((cpu.user + cpu.system) / 1e6) / 1e6 }));
}
