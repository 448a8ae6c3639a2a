/** Reading a prepared dataset back: the whole MultiSeries, or a channel selection by entity and metric. */
import { SeriesError } from '../errors.ts';
import type { MultiSeries } from './dataset.ts';
import { restrictAdjacency } from './adjacency.ts';
import { buildMultiSeries } from './build.ts';
import { openStore, readAdjacency, readMeta, readSeries, readValues } from './store.ts';

export interface OpenOptions {
  /** Keep only these entities (default all). */
  entities?: string[];
  /** Keep only these metrics (default all). */
  metrics?: string[];
}

/**
 * Opens a prepared dataset. With a selection, values, stats and names are restricted to the chosen series (in
 * stored order) and the adjacency is restricted and row-renormalised; the split is unchanged. The full dataset's
 * fingerprint is checked against the stored one (detects a damaged or hand-edited file).
 */
export async function openDataset(path: string, opts: OpenOptions = {}): Promise<MultiSeries> {
  const db = await openStore(path);
  try {
    const meta = await readMeta(db.conn);
    const T = Number(meta.T);
    const K = Number(meta.K);
    const s = await readSeries(db.conn);
    const values = await readValues(db.conn, T, K);
    const adjacency = await readAdjacency(db.conn, K, String(meta.adjacency_kind));
    const common = {
      stepSeconds: Number(meta.step_seconds),
      startTime: Number(meta.start_time),
      boundaries: { trainEnd: Number(meta.train_end), valEnd: Number(meta.val_end) },
    };
    const full = buildMultiSeries({
      values,
      T,
      K,
      names: s.names,
      entityOf: s.entityOf,
      metricOf: s.metricOf,
      adjacency,
      stats: { mean: s.mean, std: s.std, constant: s.constant },
      ...common,
    });
    if (full.fingerprint !== meta.fingerprint) {
      throw new SeriesError('series.bad-dataset', `${path}: content does not match its fingerprint (${full.fingerprint} vs stored ${String(meta.fingerprint)})`, 'The file was modified or damaged; prepare it again.');
    }
    if (!opts.entities?.length && !opts.metrics?.length) return full;
    return selectChannels(full, opts);
  } finally {
    db.close();
  }
}

/** Restricts a MultiSeries to the series of the given entities and metrics. */
export function selectChannels(ds: MultiSeries, opts: OpenOptions): MultiSeries {
  const ents = new Set(ds.entityOf);
  const mets = new Set(ds.metricOf);
  const badE = (opts.entities ?? []).filter((e) => !ents.has(e));
  const badM = (opts.metrics ?? []).filter((m) => !mets.has(m));
  if (badE.length || badM.length) {
    throw new SeriesError(
      'series.unknown-channel',
      `unknown ${[badE.length ? `entit${badE.length > 1 ? 'ies' : 'y'} ${badE.join(', ')}` : '', badM.length ? `metric(s) ${badM.join(', ')}` : ''].filter(Boolean).join(' and ')}`,
      `Metrics: ${[...mets].join(', ')}; entities: ${[...ents].slice(0, 10).join(', ')}${ents.size > 10 ? ', ...' : ''} (see \`loadcast series info\`).`,
    );
  }
  const keep: number[] = [];
  for (let k = 0; k < ds.K; k++) {
    if (opts.entities?.length && !opts.entities.includes(ds.entityOf[k]!)) continue;
    if (opts.metrics?.length && !opts.metrics.includes(ds.metricOf[k]!)) continue;
    keep.push(k);
  }
  if (keep.length === 0) throw new SeriesError('series.empty-selection', 'the entity/metric selection matches no series', 'Check the combination of --entities and --metrics.');
  const K2 = keep.length;
  const values = new Float64Array(ds.T * K2);
  for (let t = 0; t < ds.T; t++) {
    const src = t * ds.K;
    const dst = t * K2;
    for (let j = 0; j < K2; j++) values[dst + j] = ds.values[src + keep[j]!]!;
  }
  const pick = <A extends Float64Array | Uint8Array>(a: A, make: (n: number) => A): A => {
    const out = make(K2);
    keep.forEach((k, j) => (out[j] = a[k]!));
    return out;
  };
  return buildMultiSeries({
    values,
    T: ds.T,
    K: K2,
    names: keep.map((k) => ds.names[k]!),
    entityOf: keep.map((k) => ds.entityOf[k]!),
    metricOf: keep.map((k) => ds.metricOf[k]!),
    stepSeconds: ds.stepSeconds,
    startTime: ds.startTime,
    boundaries: ds.split,
    adjacency: restrictAdjacency(ds.adjacency, keep),
    stats: {
      mean: pick(ds.stats.mean, (n) => new Float64Array(n)),
      std: pick(ds.stats.std, (n) => new Float64Array(n)),
      constant: pick(ds.stats.constant, (n) => new Uint8Array(n)),
    },
  });
}
