/** `info`: what a prepared dataset holds, from its meta and series tables (no value scan). */
import type { GapSummary } from './gaps.ts';
import type { MaskedCount } from './prepare.ts';
import { openStore, readMeta, readSeries } from './store.ts';
import { rows } from './db.ts';

export interface DatasetInfo {
  path: string;
  source: string;
  inputs: string[];
  T: number;
  K: number;
  stepSeconds: number;
  startTime: number;
  /** Time of the last step's start. */
  endTime: number;
  entities: string[];
  metrics: string[];
  /** Share of missing (masked) steps per metric over the whole grid. */
  missingShare: Record<string, number>;
  /** Share of missing steps over all series, per part. */
  missingShareByPart: { train: number; val: number; test: number };
  split: { trainEnd: number; valEnd: number; ratios: [number, number]; trainSteps: number; valSteps: number; testSteps: number };
  adjacency: { kind: string; edges: number; nonZeros: number; topK: number | null };
  /** Masked samples (or steps, for counter-* reasons) by metric and reason. */
  masked: MaskedCount[];
  maskedByReason: Record<string, number>;
  gaps: GapSummary;
  /** Series constant in training (std < 1e-6): not z-scorable, left out of pooled metrics. */
  constantSeries: number;
  observedValues: number;
  fingerprint: string;
  notes: string[];
}

export async function datasetInfo(path: string): Promise<DatasetInfo> {
  const db = await openStore(path);
  try {
    const meta = await readMeta(db.conn);
    const s = await readSeries(db.conn);
    const T = Number(meta.T);
    const K = Number(meta.K);
    const trainEnd = Number(meta.train_end);
    const valEnd = Number(meta.val_end);
    const step = Number(meta.step_seconds);
    const part = (
      await rows(
        db.conn,
        `SELECT count(*) FILTER (WHERE t < ${trainEnd}) AS tr, count(*) FILTER (WHERE t >= ${trainEnd} AND t < ${valEnd}) AS va,
          count(*) FILTER (WHERE t >= ${valEnd}) AS te, count(*) AS n FROM obs`,
      )
    )[0]!;
    const nz = Number((await rows(db.conn, `SELECT count(*) AS n FROM adjacency`))[0]!.n);
    const masked = meta.masked as MaskedCount[];
    const byReason: Record<string, number> = {};
    for (const m of masked) byReason[m.reason] = (byReason[m.reason] ?? 0) + m.count;
    return {
      path,
      source: String(meta.source),
      inputs: meta.inputs as string[],
      T,
      K,
      stepSeconds: step,
      startTime: Number(meta.start_time),
      endTime: Number(meta.start_time) + (T - 1) * step,
      entities: [...new Set(s.entityOf)],
      metrics: [...new Set(s.metricOf)],
      missingShare: meta.missing_share as Record<string, number>,
      missingShareByPart: {
        train: 1 - Number(part.tr) / (trainEnd * K),
        val: 1 - Number(part.va) / ((valEnd - trainEnd) * K || 1),
        test: 1 - Number(part.te) / ((T - valEnd) * K),
      },
      split: { trainEnd, valEnd, ratios: meta.split_ratios as [number, number], trainSteps: trainEnd, valSteps: valEnd - trainEnd, testSteps: T - valEnd },
      adjacency: { kind: String(meta.adjacency_kind), edges: Number(meta.adjacency_edges), nonZeros: nz, topK: (meta.adjacency_top_k as number | null) ?? null },
      masked,
      maskedByReason: byReason,
      gaps: meta.gap_summary as GapSummary,
      constantSeries: s.constant.reduce((a, b) => a + b, 0),
      observedValues: Number(part.n),
      fingerprint: String(meta.fingerprint),
      notes: meta.notes as string[],
    };
  } finally {
    db.close();
  }
}
