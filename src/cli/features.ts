import type { Command } from 'commander';

/** Registers the `features` commands. (Scaffolding: filled in by the owner of this command group.) */
export function registerFeatures(_program: Command): void {}
