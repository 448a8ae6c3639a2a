/** Load shedding (seed 004 section V): budget, per-query max-min fair rates, the controller, CPU/buffer emulation, samplers. */
export { Budget, parseBudget } from './budget.ts';
export type { BudgetSpec, BudgetFlags } from './budget.ts';
export { allocateRates } from './allocate.ts';
export type { Allocation } from './allocate.ts';
export { ShedController } from './controller.ts';
export type { ShedControllerOptions, ShedPlan, ShedObservation } from './controller.ts';
export { EmulatedCpu } from './emulated-cpu.ts';
export type { AdmitResult } from './emulated-cpu.ts';
export { parseMinRates, minRatesFor } from './min-rates.ts';
export { Smoothed } from './smoothing.ts';
export { RecentValues } from './recent-values.ts';
export { PacketSampler } from './packet-sampler.ts';
export { FlowSampler } from './flow-sampler.ts';
export type { FlowSample } from './flow-sampler.ts';
