/** `loadcast experiment ...`: reproductions of the two seeds' evaluations. Each lives in its own file. */
import type { Command } from 'commander';
import { registerExperimentShedding } from './experiment-shedding.ts';
import { registerExperimentForecast } from './experiment-forecast.ts';

export function registerExperiment(program: Command): void {
  const exp = program
    .command('experiment')
    .description('Reproduce the seeds\' evaluations: shedding (seed 004, section VI) and forecast (seed 000, Table 1, Figs. 2-3).');
  registerExperimentShedding(exp);
  registerExperimentForecast(exp);
}
