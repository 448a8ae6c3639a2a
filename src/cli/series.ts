import type { Command } from 'commander';

/** Registers the `series` commands. (Scaffolding: filled in by the owner of this command group.) */
export function registerSeries(_program: Command): void {}
