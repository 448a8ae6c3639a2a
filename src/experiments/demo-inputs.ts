/**
 * Where the demo's inputs come from: the shared real data (`../shared/data` next to the package root, or
 * `--data-dir`), or, on a machine without it (or with `--generate`), inputs generated here with a fixed seed.
 * Each part (pcap, cluster) falls back on its own, and every input is labelled real or generated.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';

/** The package root (two levels above this file: src/experiments/ -> root). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `../shared/data` relative to the package root. */
export const DEFAULT_DATA_DIR = resolve(PACKAGE_ROOT, '..', 'shared', 'data');

const ALIBABA_USAGE = 'alibaba2018_machine_usage_16machines.csv.gz';
const ALIBABA_META = 'alibaba2018_machine_meta.csv.gz';
/** The most general-traffic-like real trace (16k flows over 29 minutes): the shedding background. */
const REAL_BACKGROUND = 'ustctfc2016__Tinba.pcap';

export interface DataLocation {
  /** The directory that was looked at. */
  dir: string;
  /** Real pcaps found in `dir/pcap` (sorted), empty when generated. */
  pcaps: string[];
  /** The real background trace, or null when the pcap part is generated. */
  background: string | null;
  /** Alibaba usage + meta, or null when the cluster part is generated. */
  cluster: { usage: string; meta: string } | null;
  /** Why a part is generated (empty when everything is real). */
  reasons: string[];
}

const isTrace = (name: string): boolean => /\.(pcap|pcapng|cap)(\.gz)?$/i.test(name);

/**
 * Finds the real inputs. An explicit `dataDir` that does not exist is a user error; the default one may be
 * absent (a user's machine), and then both parts are generated. `generate` forces generated inputs.
 */
export function locateData(dataDir: string | undefined, generate: boolean): DataLocation {
  const dir = resolve(dataDir ?? DEFAULT_DATA_DIR);
  if (dataDir !== undefined && !existsSync(dir)) {
    throw new UserError('demo.no-data-dir', `--data-dir ${dataDir} does not exist`, 'Point it at a directory with pcap/ and cluster/ subdirectories, or pass --generate.');
  }
  const loc: DataLocation = { dir, pcaps: [], background: null, cluster: null, reasons: [] };
  if (generate) {
    loc.reasons.push('--generate was given');
    return loc;
  }
  const pcapDir = join(dir, 'pcap');
  if (existsSync(pcapDir) && statSync(pcapDir).isDirectory()) {
    loc.pcaps = readdirSync(pcapDir).filter(isTrace).sort().map((f) => join(pcapDir, f));
  }
  const bg = join(pcapDir, REAL_BACKGROUND);
  if (loc.pcaps.length === 0) loc.reasons.push(`no pcap files in ${pcapDir}`);
  else loc.background = existsSync(bg) ? bg : loc.pcaps[0]!;
  const usage = join(dir, 'cluster', ALIBABA_USAGE);
  const meta = join(dir, 'cluster', ALIBABA_META);
  if (existsSync(usage) && existsSync(meta)) loc.cluster = { usage, meta };
  else loc.reasons.push(`no ${ALIBABA_USAGE} and ${ALIBABA_META} in ${join(dir, 'cluster')}`);
  return loc;
}
