/**
 * The per-batch CPU budget, in ns of processing time per batch (queries + engine overhead), from one of three
 * flags:
 * - `--budget 4ms`: absolute;
 * - `--budget-share 0.6`: a share of the batch interval (0.6 × 100 ms = 60 ms);
 * - `--budget-auto 1.2`: 1.2 × the median total cost per batch (queries + overhead, nothing shed) measured over a
 *   warm-up of N batches (default 60). Until the warm-up is complete the budget is not {@link Budget.ready} and
 *   {@link Budget.ns} is +Infinity: nothing is shed while it is being measured.
 */
import { UserError } from '../errors.ts';
import { parseDurationNs, parseNumber } from '../units.ts';

export type BudgetSpec =
  | { kind: 'absolute'; ns: number }
  | { kind: 'share'; share: number }
  | { kind: 'auto'; factor: number; warmupBatches: number };

export class Budget {
  readonly spec: BudgetSpec;
  readonly intervalNs: number;
  private resolved: number;
  private readonly warmup: Float64Array;
  private warmupCount = 0;

  constructor(spec: BudgetSpec, intervalNs = 1e8) {
    if (!(intervalNs > 0)) throw new RangeError(`batch interval must be > 0 ns, got ${intervalNs}`);
    this.spec = spec;
    this.intervalNs = intervalNs;
    switch (spec.kind) {
      case 'absolute':
        if (!(spec.ns > 0) || !Number.isFinite(spec.ns)) throw new RangeError(`budget must be a positive number of ns, got ${spec.ns}`);
        this.resolved = spec.ns;
        this.warmup = new Float64Array(0);
        break;
      case 'share':
        if (!(spec.share > 0)) throw new RangeError(`budget share must be > 0, got ${spec.share}`);
        this.resolved = spec.share * intervalNs;
        this.warmup = new Float64Array(0);
        break;
      case 'auto':
        if (!(spec.factor > 0)) throw new RangeError(`budget-auto factor must be > 0, got ${spec.factor}`);
        if (!Number.isInteger(spec.warmupBatches) || spec.warmupBatches < 1) throw new RangeError(`warm-up must be >= 1 batch, got ${spec.warmupBatches}`);
        this.resolved = Number.POSITIVE_INFINITY;
        this.warmup = new Float64Array(spec.warmupBatches);
        break;
    }
  }

  static absolute(ns: number, intervalNs?: number): Budget {
    return new Budget({ kind: 'absolute', ns }, intervalNs);
  }

  static share(share: number, intervalNs?: number): Budget {
    return new Budget({ kind: 'share', share }, intervalNs);
  }

  static auto(factor: number, warmupBatches = 60, intervalNs?: number): Budget {
    return new Budget({ kind: 'auto', factor, warmupBatches }, intervalNs);
  }

  /** True once the budget is known (always, except during an auto warm-up). */
  get ready(): boolean {
    return Number.isFinite(this.resolved);
  }

  /** Budget per batch in ns; +Infinity while an auto warm-up is running. */
  get ns(): number {
    return this.resolved;
  }

  /** Warm-up batches still needed (0 when ready). */
  get warmupRemaining(): number {
    return this.spec.kind === 'auto' ? this.warmup.length - this.warmupCount : 0;
  }

  /**
   * Feeds the total cost (queries + overhead, ns) of one unshed batch during an auto warm-up. Returns true when
   * this sample completed the warm-up. Ignored (false) for the other kinds and after the warm-up.
   */
  addWarmupCost(totalNs: number): boolean {
    if (this.spec.kind !== 'auto' || this.ready) return false;
    if (!(totalNs >= 0) || !Number.isFinite(totalNs)) throw new RangeError(`warm-up cost must be a finite number >= 0, got ${totalNs}`);
    this.warmup[this.warmupCount++] = totalNs;
    if (this.warmupCount < this.warmup.length) return false;
    const sorted = Float64Array.from(this.warmup).sort();
    const n = sorted.length;
    const median = n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
    // A zero median (idle warm-up) would forbid everything; keep a 1 µs floor so the budget stays usable.
    this.resolved = Math.max(1e3, this.spec.factor * median);
    return true;
  }

  /** One-line description, e.g. `4 ms per batch (absolute)`. */
  describe(): string {
    const ms = (ns: number): string => `${+(ns / 1e6).toFixed(3)} ms`;
    switch (this.spec.kind) {
      case 'absolute':
        return `${ms(this.resolved)} per batch (absolute)`;
      case 'share':
        return `${ms(this.resolved)} per batch (${this.spec.share} of the ${ms(this.intervalNs)} interval)`;
      case 'auto':
        return this.ready
          ? `${ms(this.resolved)} per batch (${this.spec.factor} x median of ${this.warmup.length} warm-up batches)`
          : `auto: ${this.spec.factor} x median of ${this.warmup.length} warm-up batches (warming up, ${this.warmupRemaining} to go)`;
    }
  }

  toJSON(): { spec: BudgetSpec; ns: number | null; intervalNs: number } {
    return { spec: this.spec, ns: this.ready ? this.resolved : null, intervalNs: this.intervalNs };
  }
}

/** The CLI flags that select a budget (strings as commander gives them). */
export interface BudgetFlags {
  budget?: string;
  budgetShare?: string;
  budgetAuto?: string;
  /** Warm-up batches for `--budget-auto` (`--warmup`, default 60). */
  warmup?: string | number;
}

/** Builds the budget from exactly one of `--budget`, `--budget-share`, `--budget-auto` (default: share 1.0). */
export function parseBudget(flags: BudgetFlags, intervalNs = 1e8): Budget {
  const given = (['budget', 'budgetShare', 'budgetAuto'] as const).filter((k) => flags[k] !== undefined);
  if (given.length > 1) {
    throw new UserError('shed.budget-conflict', `give only one of --budget, --budget-share, --budget-auto (got ${given.length})`, 'e.g. --budget 4ms, or --budget-share 0.6, or --budget-auto 1.2');
  }
  if (flags.budget !== undefined) return Budget.absolute(parseDurationNs(flags.budget, '--budget', 'ms'), intervalNs);
  if (flags.budgetShare !== undefined) return Budget.share(parseNumber(flags.budgetShare, '--budget-share', { min: 1e-6, max: 1000 }), intervalNs);
  if (flags.budgetAuto !== undefined) {
    const factor = parseNumber(flags.budgetAuto, '--budget-auto', { min: 1e-6, max: 1000 });
    const warm = flags.warmup === undefined ? 60 : parseNumber(String(flags.warmup), '--warmup', { min: 1, integer: true });
    return Budget.auto(factor, warm, intervalNs);
  }
  return Budget.share(1, intervalNs);
}
