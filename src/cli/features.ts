import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { checkFeatures } from '../features/index.ts';
import { fileSize, formatTable, printResult, progress } from './output.ts';
import { parseDurationNs, parseNumber } from '../units.ts';

/** Registers the `features` commands. */
export function registerFeatures(program: Command): void {
  const features = program
    .command('features')
    .description('Per-batch traffic features (55 CoMo features: packets, bytes, new-interval flag, and unique/new/repeated counts of 13 aggregates).');

  features
    .command('check')
    .argument('<trace>', 'pcap or pcapng file (optionally .gz)')
    .description(
      'Runs the sketch feature extractor (multi-resolution bitmaps) and an exact counter side by side on every ' +
        'batch of the trace, and reports per feature family (aggregate x {unique, new}) the p99 and max relative ' +
        'error over the batches that hold packets. Relative error = |estimate - exact| / max(exact, 1). ' +
        '"saturated" counts estimates that were outside the sketch range (0 expected).',
    )
    .option('--batch <duration>', 'batch (time bin) width', '100ms')
    .option('--interval <duration>', 'measurement interval for the "new" counts', '1s')
    .option('--seed <n>', 'hash seed', '1')
    .option('--skip-corrupt', 'skip corrupt records instead of failing')
    .option('--json', 'print the report as JSON')
    .action(async (trace: string, o: { batch: string; interval: string; seed: string; skipCorrupt?: boolean; json?: boolean }) => {
      const binNs = parseDurationNs(o.batch, '--batch', 'ms');
      const intervalNs = parseDurationNs(o.interval, '--interval', 's');
      const seed = parseNumber(o.seed, '--seed', { integer: true, min: 0 });
      if (!Number.isInteger(binNs) || binNs < 1) throw new UserError('cli.bad-batch', `--batch ${o.batch} must be at least 1 ns`, 'Use e.g. --batch 100ms.');
      if (!Number.isInteger(intervalNs) || intervalNs < 1) throw new UserError('cli.bad-interval', `--interval ${o.interval} must be at least 1 ns`, 'Use e.g. --interval 1s.');
      const size = fileSize(trace);
      if (size === undefined) {
        throw new UserError('cli.no-such-file', `cannot read trace '${trace}'`, 'Check the path (pcap or pcapng, optionally .gz).');
      }
      const bar = progress('features check', size, { json: o.json });
      const r = await checkFeatures(trace, { binNs, intervalNs, seed, skipCorrupt: o.skipCorrupt, onProgress: (b) => bar.update(Math.min(b, size)) });
      bar.stop();
      printResult(r, o.json, () => {
        const pct = (x: number): string => `${(100 * x).toFixed(3)}%`;
        const rows: (string | number)[][] = [['family', 'p99 rel error', 'max rel error', 'mean rel error']];
        for (const [name, fe] of Object.entries(r.families)) rows.push([name, pct(fe.p99RelError), pct(fe.maxRelError), pct(fe.meanRelError)]);
        return (
          `${trace}\n` +
          `batches ${r.batches} (${r.measuredBatches} with packets), packets ${r.packets}, interval ${intervalNs / 1e9} s, ` +
          `saturated estimates ${r.saturated}, sketch state ${(r.sketchBytes / 2 ** 20).toFixed(1)} MiB\n\n` +
          `${formatTable(rows)}\n\nworst p99: ${r.worstFamily} ${pct(r.worstP99RelError)}`
        );
      });
    });
}
