import type { Command } from 'commander';

/** Registers the `monitor` commands. (Scaffolding: filled in by the owner of this command group.) */
export function registerMonitor(_program: Command): void {}
