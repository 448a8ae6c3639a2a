/**
 * Feature vectors of real batches for predictor tests and bench/predict.ts: src/features on the first 400 batches
 * (10 ms bins, to get several hundred of them) of the Tinba trace, then of the spoofed SYN flood capture, so that
 * a sliding window crosses the switch from background to attack traffic. Paths are relative to the repo root.
 */
import { readBatches } from '../../src/capture/index.ts';
import { FeatureExtractor } from '../../src/features/index.ts';

export const REAL_TRACES = ['../shared/data/pcap/ustctfc2016__Tinba.pcap', '../shared/data/pcap/stopddos__pkt.TCP.synflood.spoofed.pcap'] as const;

export async function realFeatureRows(batchesPerTrace = 400): Promise<Float64Array[]> {
  const rows: Float64Array[] = [];
  for (const trace of REAL_TRACES) {
    const fx = new FeatureExtractor({ seed: 1, intervalNs: 1e8 });
    let n = 0;
    for await (const batch of readBatches(trace, { binNs: 1e7 })) {
      fx.beginBatch(batch);
      rows.push(fx.measure().slice());
      fx.endBatch();
      if (++n >= batchesPerTrace) break;
    }
  }
  return rows;
}
