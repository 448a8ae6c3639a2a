/**
 * The `loadcast` command line. Each command group lives in its own file and registers itself here; this file
 * only wires them and maps errors to exit codes: 0 ok, 1 user error (one clear line, no stack), 2 internal.
 */
import { Command, CommanderError } from 'commander';
import { UserError } from '../errors.ts';
import { registerTrace } from './trace.ts';
import { registerFeatures } from './features.ts';
import { registerMonitor } from './monitor.ts';
import { registerPredict } from './predict.ts';
import { registerSeries } from './series.ts';
import { registerForecast } from './forecast.ts';
import { registerExperiment } from './experiment.ts';
import { registerDemo } from './demo.ts';

export function buildProgram(): Command {
  const program = new Command('loadcast')
    .description(
      'Predictive resource management for network monitors and cloud-native backends.\n' +
        'Fast loop: per-batch traffic features -> per-query cost prediction -> load shedding by sampling.\n' +
        'Slow loop: shared-representation multi-task forecasting of cluster metrics.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerTrace(program);
  registerFeatures(program);
  registerMonitor(program);
  registerPredict(program);
  registerSeries(program);
  registerForecast(program);
  registerExperiment(program);
  registerDemo(program);
  return program;
}

/** Prints a user error the way every command does: what, where, what to do. Never a stack trace. */
export function reportError(err: unknown): number {
  if (err instanceof UserError) {
    process.stderr.write(`loadcast: ${err.message}\n`);
    if (err.hint) process.stderr.write(`  ${err.hint}\n`);
    return 1;
  }
  if (err instanceof CommanderError) {
    // commander already printed its message; help/version exit with 0.
    return err.exitCode === 0 ? 0 : 1;
  }
  const e = err as Error;
  process.stderr.write(`loadcast: internal error: ${e?.message ?? String(err)}\n`);
  if (e?.stack && process.env.LOADCAST_DEBUG) process.stderr.write(`${e.stack}\n`);
  else process.stderr.write('  This is a bug in loadcast; rerun with LOADCAST_DEBUG=1 for the stack trace and report it.\n');
  return 2;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
