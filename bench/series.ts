/**
 * Dataset-layer benchmark: `series prepare` of the shared Alibaba and Bitbrains files (wall, CPU, peak RSS of
 * the CLI process via /usr/bin/time -v), open/info/export of the Bitbrains dataset, and the export -> wide
 * re-import round trip (bit-identical check). Outputs go to /tmp. Prints one JSON object.
 * Run: npx tsx bench/series.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { datasetInfo, exportDataset, openDataset } from '../src/series/index.ts';

const DIR = '/tmp/loadcast-bench-series';
const ALI = '../shared/data/cluster/alibaba2018_machine_usage_16machines.csv.gz';
const ALI_META = '../shared/data/cluster/alibaba2018_machine_meta.csv.gz';
const BB = '../shared/data/cluster/bitbrains_rnd_2013-08_vm001-250.csv.gz';
mkdirSync(DIR, { recursive: true });

interface Run {
  wallSeconds: number;
  cpuSeconds: number | null;
  peakRssMB: number | null;
}

/** Runs the CLI under /usr/bin/time -v (when present) and returns wall time, user+sys CPU and peak RSS. */
function cli(args: string[]): Run {
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const cmd = timeBin ? timeBin : './bin/loadcast';
  const argv = timeBin ? ['-v', './bin/loadcast', ...args] : args;
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`loadcast ${args.join(' ')} failed: ${r.stderr}`);
  const num = (re: RegExp): number | null => {
    const m = re.exec(r.stderr);
    return m ? Number(m[1]) : null;
  };
  const user = num(/User time \(seconds\): ([\d.]+)/);
  const sys = num(/System time \(seconds\): ([\d.]+)/);
  const rss = num(/Maximum resident set size \(kbytes\): (\d+)/);
  return { wallSeconds, cpuSeconds: user !== null && sys !== null ? user + sys : null, peakRssMB: rss !== null ? rss / 1024 : null };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await f();
  return [v, (performance.now() - t0) / 1000];
}

const loadBefore = loadavg()[0];
const aliOut = join(DIR, 'alibaba.duckdb');
const bbOut = join(DIR, 'bitbrains.duckdb');
const bbTopo = join(DIR, 'bitbrains-topology.duckdb');
const alibabaPrepare = cli(['series', 'prepare', '--source', 'alibaba2018', '--input', ALI, '--meta', ALI_META, '--out', aliOut, '--force', '--json']);
const bitbrainsPrepare = cli(['series', 'prepare', '--source', 'bitbrains', '--input', BB, '--out', bbOut, '--force', '--json']);
const bitbrainsPrepareTopologyOnly = cli(['series', 'prepare', '--source', 'bitbrains', '--input', BB, '--out', bbTopo, '--force', '--adjacency', 'topology', '--json']);

const aliInfo = await datasetInfo(aliOut);
const [ds, openSeconds] = await timed(() => openDataset(bbOut));
const [info, infoSeconds] = await timed(() => datasetInfo(bbOut));
const dense = join(DIR, 'bitbrains-dense.csv.gz');
const [, exportSeconds] = await timed(() => exportDataset(bbOut, dense));
const reimportOut = join(DIR, 'bitbrains-reimport.duckdb');
const reimport = cli(['series', 'prepare', '--source', 'wide', '--input', dense, '--out', reimportOut, '--force', '--adjacency', 'identity', '--json']);
const back = await openDataset(reimportOut);
let valueDiffs = 0;
let maskDiffs = 0;
for (let i = 0; i < ds.values.length; i++) {
  if (ds.mask[i] !== back.mask[i]) maskDiffs++;
  else if (ds.mask[i] && !Object.is(ds.values[i], back.values[i])) valueDiffs++;
}

console.log(
  JSON.stringify(
    {
      machine: { loadAverage1mBefore: loadBefore, loadAverage1mAfter: loadavg()[0], note: 'wall times depend on other processes; cpuSeconds = user + sys of the CLI process' },
      alibaba: { T: aliInfo.T, K: aliInfo.K, prepare: alibabaPrepare },
      bitbrains: {
        rows: 2168065,
        T: info.T,
        K: info.K,
        prepare: bitbrainsPrepare,
        prepareTopologyOnly: bitbrainsPrepareTopologyOnly,
        openDatasetSeconds: openSeconds,
        infoSeconds,
        exportSeconds,
        exportBytes: statSync(dense).size,
        reimportWide: reimport,
        roundTrip: { valueDiffs, maskDiffs, sameNames: ds.names.join() === back.names.join(), identical: valueDiffs === 0 && maskDiffs === 0 },
      },
    },
    null,
    2,
  ),
);
