import type { Command } from 'commander';

/** Registers `experiment forecast`. (Scaffolding: filled in by the owner of this command.) */
export function registerExperimentForecast(_experiment: Command): void {}
