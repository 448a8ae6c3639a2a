/**
 * Time-ordered k-way merge of traces into one classic pcap (like mergecap): streaming, one window per input.
 * All inputs must share one link type (the output has exactly one); otherwise a CaptureError says which differ.
 */
import { CaptureError } from '../errors.ts';
import { PcapWriter } from './pcap-writer.ts';
import { TraceReader, asCaptureError } from './trace-reader.ts';

/** Advances r to its next packet record, refilling as needed; false at the end of the file. */
async function advance(r: TraceReader): Promise<boolean> {
  for (;;) {
    if (r.next()) return true;
    if (r.done) return false;
    await r.fill();
  }
}

export async function mergeTraces(
  inputs: string[],
  out: string,
  opts: { chunkSize?: number; skipCorrupt?: boolean } = {},
): Promise<{ packets: number }> {
  if (inputs.length === 0) throw new CaptureError('capture.merge-no-input', 'merge needs at least one input trace');
  const readers: TraceReader[] = [];
  let w: PcapWriter | undefined;
  try {
    for (const p of inputs) readers.push(await TraceReader.open(p, { chunkSize: opts.chunkSize ?? 1 << 20, skipCorrupt: opts.skipCorrupt }));
    const live: TraceReader[] = [];
    for (const r of readers) if (await advance(r)) live.push(r);
    const linkType = live.length > 0 ? live[0]!.rec.linkType : (readers[0]!.stats.linkTypes[0] ?? 1);
    const nano = readers.some((r) => r.stats.format !== 'pcap');
    const snaplen = Math.max(65535, ...readers.map((r) => r.stats.snaplen));
    w = await PcapWriter.open(out, { linkType, snaplen: Math.min(snaplen, 262144), nanosecond: nano, gzip: out.endsWith('.gz') });
    while (live.length > 0) {
      let m = 0;
      for (let k = 1; k < live.length; k++) {
        const a = live[k]!.rec, b = live[m]!.rec;
        if (a.tsSec < b.tsSec || (a.tsSec === b.tsSec && a.tsFrac < b.tsFrac)) m = k;
      }
      const r = live[m]!;
      const rec = r.rec;
      if (rec.linkType !== linkType) {
        throw new CaptureError(
          'capture.mixed-linktypes',
          `cannot merge: link type ${rec.linkType} differs from the output's link type ${linkType}`,
          { file: r.src.path, hint: 'Merge only traces with one link type (convert first, e.g. with editcap -T), or merge them separately.' },
        );
      }
      w.write(BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsFrac), r.buf.subarray(rec.dataOff, rec.dataOff + rec.capLen), rec.wireLen);
      if (!(await advance(r))) live.splice(m, 1);
    }
    await w.close();
    return { packets: w.packets };
  } catch (e) {
    if (w) await w.close().catch(() => undefined);
    throw asCaptureError(e, inputs.join(', '));
  } finally {
    for (const r of readers) await r.close();
  }
}
