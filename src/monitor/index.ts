/** The monitor engine (seed 004's fast loop) and its runner, sinks and statistics. */
export { MonitorEngine } from './engine.ts';
export { EngineController } from './controller.ts';
export type { EngineOptions, EngineState } from './engine-options.ts';
export type { CpuModel, EngineQuery, FeatureSource } from './components.ts';
export { EmulatedClock, RealtimeClock } from './clock.ts';
export { GcWatch } from './gc-watch.ts';
export type { GcWindow } from './gc-watch.ts';
export type { BatchRecord, IntervalResult, OverheadSplit, ResultSink, TelemetrySink } from './records.ts';
export { CsvTelemetry, LongTelemetry, ParquetTelemetry, openTelemetry } from './telemetry.ts';
export { JsonlResults, resultReplacer } from './results-sink.ts';
export { SummaryAccumulator, compareResults, numericFields, quantile, mean, relError, scored, PRIMARY_FIELDS } from './summary.ts';
export type { QuerySummary, RunSummary, ResultError } from './summary.ts';
export { runMonitor } from './run.ts';
export { diagnose } from './diagnose.ts';
export type { MonitorOptions, MonitorReport, ShedMode, WarmupPassReport } from './run.ts';
export { costClock } from './cost-clock.ts';
export type { CostClockKind } from './cost-clock.ts';
