import type { Command } from 'commander';

/** Registers the `forecast` commands. (Scaffolding: filled in by the owner of this command group.) */
export function registerForecast(_program: Command): void {}
