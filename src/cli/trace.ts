import type { Command } from 'commander';

/** Registers the `trace` commands. (Scaffolding: filled in by the owner of this command group.) */
export function registerTrace(_program: Command): void {}
