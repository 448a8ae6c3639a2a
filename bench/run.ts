/**
 * `npm run bench -- <name> [flags]` runs one benchmark (bench/<name>.ts) and passes the flags on; without a
 * name it lists them. Every benchmark prints one JSON object on stdout and, where an outside reference exists
 * (tcpdump, argus), measures it side by side in the same run. Benchmarks never run in `npm test`.
 */
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...rest] = process.argv.slice(2);
if (!name || name === '--help' || !benches.includes(name)) {
  if (name && name !== '--help') process.stderr.write(`unknown benchmark '${name}'\n`);
  process.stderr.write(`usage: npm run bench -- <name> [flags]\nbenchmarks: ${benches.join(', ')}\n`);
  process.exit(name && name !== '--help' ? 1 : 0);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`), ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 2);
