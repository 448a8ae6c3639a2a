/** Public entry of the experiments: the demo, the generated inputs, and the seeds' reproductions. */
export { runDemo, machineInfo, DEMO_SCALES, SCALE_PARAMS, type DemoOptions, type DemoResult, type DemoScale, type PartOutcome, type PartStatus } from './demo.ts';
export { locateData, DEFAULT_DATA_DIR, PACKAGE_ROOT, type DataLocation } from './demo-inputs.ts';
export { writeSyntheticTrace, expectedTcpPackets, type SyntheticTraceOptions, type SyntheticTraceReport } from './synthetic-trace.ts';
export { writeSyntheticCluster, type SyntheticClusterOptions } from './synthetic-cluster.ts';
export { runSheddingExperiment, type SheddingExperimentOptions, type SheddingResults, type ModeResult } from './shedding.ts';
export { runForecastExperiment, type ForecastExperimentOptions, type ForecastExperimentResults, type TableRow } from './forecast.ts';
