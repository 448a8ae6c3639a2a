import type { Command } from 'commander';

/** Registers `experiment shedding`. (Scaffolding: filled in by the owner of this command.) */
export function registerExperimentShedding(_experiment: Command): void {}
