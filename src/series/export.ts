/**
 * `export`: a dense CSV (optionally gzipped) with a time column and one column per series (`entity:metric`),
 * raw values written in JS's shortest round-trip form (`String(x)`, so parsing gives back the same double),
 * empty = missing; and a JSON beside it with T, K, split boundaries and the training mean/std per series, so an
 * outside tool can run on exactly the same numbers.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { SeriesError } from '../errors.ts';
import { openDataset } from './open.ts';

export interface ExportReport {
  csv: string;
  json: string;
  T: number;
  K: number;
  observed: number;
  fingerprint: string;
}

/** Shortest string that parses back to the same double (String(x), except that -0 keeps its sign). */
function formatDouble(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** CSV field: quoted when it holds a comma, quote or line break. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** `dense.csv.gz` -> `dense.json`, `x.csv` -> `x.json`. */
function sidecarPath(out: string): string {
  return out.replace(/\.csv(\.gz)?$/i, '') + '.json';
}

export async function exportDataset(path: string, out: string): Promise<ExportReport> {
  if (!/\.csv(\.gz)?$/i.test(out)) throw new SeriesError('series.bad-out', `--out ${out}: the export is a .csv or .csv.gz file`, 'e.g. --out dense.csv.gz');
  const ds = await openDataset(path);
  const { T, K, values, mask } = ds;
  let observed = 0;
  function* lines(): Generator<string> {
    yield `time,${ds.names.map(csvField).join(',')}\n`;
    const parts: string[] = new Array(K + 1);
    let buf = '';
    for (let t = 0; t < T; t++) {
      parts[0] = String(ds.startTime + t * ds.stepSeconds);
      const row = t * K;
      for (let k = 0; k < K; k++) {
        if (mask[row + k]) {
          parts[k + 1] = formatDouble(values[row + k]!);
          observed++;
        } else parts[k + 1] = '';
      }
      buf += parts.join(',') + '\n';
      if (buf.length > 1 << 20) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  const gz = /\.gz$/i.test(out);
  const src = Readable.from(lines());
  if (gz) await pipeline(src, createGzip({ level: 6 }), createWriteStream(out));
  else await pipeline(src, createWriteStream(out));
  const json = sidecarPath(out);
  writeFileSync(
    json,
    `${JSON.stringify(
      {
        source_dataset: path,
        csv: out,
        T,
        K,
        step_seconds: ds.stepSeconds,
        start_time: ds.startTime,
        time_column: 'time',
        train_end: ds.split.trainEnd,
        val_end: ds.split.valEnd,
        note: 'train = rows [0, train_end), validation = [train_end, val_end), test = [val_end, T); z = (x - train_mean) / train_std; train_std is the population std (ddof 0) of the observed training values, set to 1 for series flagged constant (std < 1e-6 or no training value)',
        names: ds.names,
        train_mean: Array.from(ds.stats.mean),
        train_std: Array.from(ds.stats.std),
        constant: Array.from(ds.stats.constant, (c) => c === 1),
        fingerprint: ds.fingerprint,
      },
      null,
      1,
    )}\n`,
  );
  return { csv: out, json, T, K, observed, fingerprint: ds.fingerprint };
}
