import type { Command } from 'commander';

/** Registers the `experiment` commands. (Scaffolding: filled in by the owner of this command group.) */
export function registerExperiment(_program: Command): void {}
