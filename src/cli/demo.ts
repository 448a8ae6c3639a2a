import type { Command } from 'commander';

/** Registers the `demo` commands. (Scaffolding: filled in by the owner of this command group.) */
export function registerDemo(_program: Command): void {}
