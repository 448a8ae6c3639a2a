/**
 * The two clock modes of the monitor.
 *
 * `emulated` (default for traces): the trace's own timestamps drive arrivals. Each batch's measured processing
 * time (queries + overhead) is charged to one emulated CPU that can do `budget` ns of work per batch period,
 * with a capture buffer of `bufferNs` of traffic (src/shed EmulatedCpu). The CPU is normalised to traffic time:
 * a batch that costs c ns occupies the CPU for c / budget batch periods, so the EmulatedCpu is charged
 * c x period / budget. Packets that arrive while the buffer is full are lost without control (the first ones of
 * the batch, in arrival order) and counted: this is the seed's "no load shedding" with a 200 ms buffer
 * (section VI.B). With no budget (or before an auto budget is known) the CPU is infinitely fast.
 *
 * `realtime`: batches are replayed at trace speed x `speed` against the wall clock; the backlog is the real
 * lateness of the engine behind the replay, and once it exceeds the buffer the first packets of the batch are
 * lost.
 */
import type { PacketBatch } from '../capture/index.ts';
import { type Budget, EmulatedCpu } from '../shed/index.ts';
import type { CpuModel } from './components.ts';

/** Number of leading packets of `batch` whose offset is below `untilNs`. */
export function packetsBefore(batch: PacketBatch, untilNs: number): number {
  const off = batch.offsetNs;
  let k = 0;
  for (let i = 0; i < batch.count; i++) if (off[i]! < untilNs) k = i + 1;
  return k;
}

export class EmulatedClock implements CpuModel {
  private readonly cpu: EmulatedCpu;

  constructor(
    private readonly budget: Budget | undefined,
    bufferNs: number,
    intervalNs = 1e8,
  ) {
    this.cpu = new EmulatedCpu({ bufferNs, intervalNs });
  }

  /** Backlog in ns of CPU work (traffic time x budget / period). */
  get backlogNs(): number {
    const b = this.budget?.ns ?? Infinity;
    return Number.isFinite(b) ? (this.cpu.backlogNs * b) / this.cpu.intervalNs : 0;
  }

  get drops(): number {
    return this.cpu.dropped;
  }

  admit(batch: PacketBatch): number {
    return this.cpu.admit(batch.count, batch.durationNs).droppedPackets;
  }

  clearBacklog(): void {
    this.cpu.clearBacklog();
  }

  charge(workNs: number, batch: PacketBatch): void {
    const b = this.budget?.ns ?? Infinity;
    this.cpu.charge(Number.isFinite(b) ? (workNs * batch.durationNs) / b : 0, batch.durationNs);
  }
}

export class RealtimeClock implements CpuModel {
  private wallStart = 0n;
  private traceStart = 0n;
  private started = false;
  private lateness = 0;
  drops = 0;

  constructor(
    readonly speed: number,
    readonly bufferNs: number,
    private readonly now: () => bigint = process.hrtime.bigint,
  ) {}

  get backlogNs(): number {
    return this.lateness;
  }

  /** Waits until the batch's end is due on the replay clock; drops the head if the engine is too late. */
  async admit(batch: PacketBatch): Promise<number> {
    const end = batch.startNs + BigInt(Math.round(batch.durationNs));
    if (!this.started) {
      this.started = true;
      this.traceStart = batch.startNs;
      this.wallStart = this.now();
    }
    const dueWall = this.wallStart + BigInt(Math.round(Number(end - this.traceStart) / this.speed));
    let now = this.now();
    if (dueWall > now) {
      await new Promise((r) => setTimeout(r, Math.floor(Number(dueWall - now) / 1e6)));
      now = this.now();
    }
    this.lateness = now > dueWall ? Number(now - dueWall) : 0;
    // The engine is `lateness` wall ns behind: lateness x speed ns of traffic wait in the buffer.
    const excess = this.lateness * this.speed - this.bufferNs;
    if (batch.count === 0 || excess <= 0) return 0;
    const lost = excess >= batch.durationNs ? batch.count : packetsBefore(batch, excess);
    this.drops += lost;
    return lost;
  }

  charge(): void {}
}
