/**
 * `features check`: the sketch extractor and the exact extractor run side by side on the same batches; per
 * feature family (aggregate x {unique, new}) the relative error of the estimate over batches.
 *
 * Relative error of a batch: |estimate - exact| / max(exact, 1). The floor of 1 keeps batches whose exact
 * count is 0 finite (an estimate of 1 there counts as error 1). Batches without packets are skipped (every
 * count is trivially 0). p99 is the nearest-rank 99th percentile over the counted batches.
 */
import type { PacketBatch } from '../capture/index.ts';
import { readBatches } from '../capture/index.ts';
import { FeatureExtractor } from './extractor.ts';
import { AGGREGATES, AGGREGATE_COUNT, FEATURE_COUNT, aggFeature } from './names.ts';

export interface FamilyError {
  p99RelError: number;
  maxRelError: number;
  meanRelError: number;
}

export interface FeatureCheckReport {
  trace?: string;
  batches: number;
  /** Batches with at least one packet (the ones measured). */
  measuredBatches: number;
  packets: number;
  binNs?: number;
  intervalNs: number;
  /** Saturated estimates summed over batches (0 expected). */
  saturated: number;
  /** Keyed `<aggregate>.unique` and `<aggregate>.new`. */
  families: Record<string, FamilyError>;
  /** The family with the largest p99. */
  worstFamily: string;
  worstP99RelError: number;
  /** Bytes of the sketch state. */
  sketchBytes: number;
}

export interface FeatureCheckOptions {
  binNs?: number;
  intervalNs?: number;
  seed?: number;
  skipCorrupt?: boolean;
  /** See FeatureExtractorOptions.sparseLimit (0 = bitmaps only). */
  sparseLimit?: number;
  /** Called after each batch with the bytes read so far (for progress bars). */
  onProgress?: (bytesRead: number) => void;
}

/** Accumulates the per-batch errors of a sketch extractor against an exact one. */
export class FeatureComparison {
  private readonly est: FeatureExtractor;
  private readonly ref: FeatureExtractor;
  private readonly e = new Float64Array(FEATURE_COUNT);
  private readonly x = new Float64Array(FEATURE_COUNT);
  /** errors[2a] = unique errors of aggregate a, errors[2a+1] = new errors. */
  private readonly errors: number[][] = Array.from({ length: 2 * AGGREGATE_COUNT }, () => []);
  batches = 0;
  measuredBatches = 0;
  packets = 0;
  saturated = 0;

  constructor(readonly intervalNs = 1e9, seed = 1, sparseLimit?: number) {
    this.est = new FeatureExtractor({ intervalNs, seed, sparseLimit });
    this.ref = new FeatureExtractor({ intervalNs, exact: true });
  }

  add(batch: PacketBatch): void {
    this.batches++;
    this.est.beginBatch(batch);
    this.ref.beginBatch(batch);
    if (batch.count > 0) {
      this.est.measure(undefined, this.e);
      this.saturated += this.est.saturated;
      this.ref.measure(undefined, this.x);
      this.measuredBatches++;
      this.packets += batch.count;
      for (let a = 0; a < AGGREGATE_COUNT; a++) {
        for (let k = 0; k < 2; k++) {
          const f = aggFeature(a, k);
          this.errors[2 * a + k]!.push(relError(this.e[f]!, this.x[f]!));
        }
      }
    }
    this.est.endBatch();
    this.ref.endBatch();
  }

  report(): FeatureCheckReport {
    const families: Record<string, FamilyError> = {};
    let worstFamily = '';
    let worst = -1;
    for (let a = 0; a < AGGREGATE_COUNT; a++) {
      for (let k = 0; k < 2; k++) {
        const name = `${AGGREGATES[a]}.${k === 0 ? 'unique' : 'new'}`;
        const fe = summarize(this.errors[2 * a + k]!);
        families[name] = fe;
        if (fe.p99RelError > worst) {
          worst = fe.p99RelError;
          worstFamily = name;
        }
      }
    }
    return {
      batches: this.batches,
      measuredBatches: this.measuredBatches,
      packets: this.packets,
      intervalNs: this.intervalNs,
      saturated: this.saturated,
      families,
      worstFamily,
      worstP99RelError: Math.max(0, worst),
      sketchBytes: this.est.stateBytes,
    };
  }
}

/** |est - exact| / max(exact, 1). */
export function relError(est: number, exact: number): number {
  return Math.abs(est - exact) / Math.max(exact, 1);
}

function summarize(errs: number[]): FamilyError {
  if (errs.length === 0) return { p99RelError: 0, maxRelError: 0, meanRelError: 0 };
  const s = Float64Array.from(errs).sort();
  const rank = Math.max(0, Math.ceil(0.99 * s.length) - 1);
  let sum = 0;
  for (const v of s) sum += v;
  return { p99RelError: s[rank]!, maxRelError: s[s.length - 1]!, meanRelError: sum / s.length };
}

/** Runs the check on a trace file. */
export async function checkFeatures(path: string, opts: FeatureCheckOptions = {}): Promise<FeatureCheckReport> {
  const cmp = new FeatureComparison(opts.intervalNs ?? 1e9, opts.seed ?? 1, opts.sparseLimit);
  const stream = readBatches(path, { binNs: opts.binNs, skipCorrupt: opts.skipCorrupt });
  for await (const b of stream) {
    cmp.add(b);
    opts.onProgress?.(stream.bytesRead);
  }
  return { trace: path, binNs: opts.binNs ?? 1e8, ...cmp.report() };
}
