/**
 * Test-only driver: runs `loadcast trace inject` through commander in a child process (until the lead wires the
 * command into src/cli/trace.ts), mapping a UserError to exit 1 with its message on stderr like the real CLI.
 */
import { Command, CommanderError } from 'commander';
import { registerTraceInject } from '../../src/cli/trace-inject.ts';
import { UserError } from '../../src/errors.ts';

const program = new Command('loadcast').exitOverride();
registerTraceInject(program.command('trace').exitOverride());
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exitCode = e.exitCode === 0 ? 0 : 1;
  else if (e instanceof UserError) {
    process.stderr.write(`loadcast: ${e.message}\n`);
    process.exitCode = 1;
  } else throw e;
}
