/**
 * Whether a batch is larger than what the predictors have learnt from: fewer than `seen` of the last `window`
 * admitted batches (after `minHistory` batches) had at least 1/`jump` of its packets. With `seen` = 1 that is
 * "more than `jump` times the largest"; the default 3 keeps the guard on for the first three batches of a new
 * size, because one guarded sample teaches the regression little: in a development run of the shedding
 * experiment with the real attack (`--features lite`, fig4.csv at 20.3 s) the second 42 k-packet burst, no
 * longer novel by the largest-batch rule, cost 4.5x its prediction and dropped 1,080 packets.
 *
 * Why: a regression fitted on one kind of traffic extrapolates a batch of a new kind at the old cost per packet.
 * In development runs of the same experiment, the first batch of a real SYN flood after normal traffic (6-7x
 * the packets, nearly every one a new flow) was predicted at 0-0.1 ms when it cost 0.9-1.7 ms on its sample
 * (2.4x the normal cost per packet, up to 6x in earlier runs): one such batch overruns the emulated CPU's 200 ms
 * buffer. The flag is raised for the first `seen` batches of a new size (each enters the window), so the guard
 * stays armed for the next new kind without holding back the batches after them.
 */
import { RecentValues } from '../shed/index.ts';

export class SizeNovelty {
  private readonly sizes: RecentValues;
  /** Batches flagged so far. */
  flagged = 0;

  constructor(
    readonly window = 60,
    readonly jump = 2,
    readonly minHistory = 10,
    readonly seen = 3,
  ) {
    this.sizes = new RecentValues(window);
  }

  /** Whether a batch of `packets` admitted packets is novel against the window; then adds it to the window. */
  check(packets: number): boolean {
    const recent = this.sizes.values();
    let like = 0;
    const half = packets / this.jump;
    for (let i = 0; i < recent.length; i++) if (recent[i]! >= half) like++;
    const novel = recent.length >= this.minHistory && like < this.seen;
    this.sizes.push(packets);
    // Counted on every call: written as `if (novel) this.flagged++`, the first novel batch (a flood's onset) ran a
    // property access optimized code had never seen, and deoptimised it there.
    this.flagged += novel ? 1 : 0;
    return novel;
  }
}
