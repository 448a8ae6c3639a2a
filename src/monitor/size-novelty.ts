/**
 * Whether a batch is larger than anything the predictors have learnt from: more than `jump` times the largest
 * admitted batch of the last `window` batches (after `minHistory` batches).
 *
 * Why: a regression fitted on one kind of traffic extrapolates a batch of a new kind at the old cost per packet.
 * The first batch of a real SYN flood after normal traffic (6-7x the packets, nearly every one a new flow) was
 * predicted at 0-0.1 ms when it cost 0.9-1.7 ms on its sample (2.4x the normal cost per packet, up to 6x in
 * earlier runs): one such batch overruns the emulated CPU's 200 ms buffer. The flag is raised once per jump (the
 * batch itself enters the window), so the guard stays armed for the next new kind without holding back the
 * batches after it.
 */
export class SizeNovelty {
  private readonly ring: Float64Array;
  private count = 0;
  private next = 0;
  /** Batches flagged so far. */
  flagged = 0;

  constructor(
    readonly window = 60,
    readonly jump = 2,
    readonly minHistory = 10,
  ) {
    this.ring = new Float64Array(window);
  }

  /** Whether a batch of `packets` admitted packets is novel against the window; then adds it to the window. */
  check(packets: number): boolean {
    let max = 0;
    for (let i = 0; i < this.count; i++) if (this.ring[i]! > max) max = this.ring[i]!;
    const novel = this.count >= this.minHistory && packets > this.jump * max;
    this.ring[this.next] = packets;
    this.next = this.next + 1 === this.window ? 0 : this.next + 1;
    if (this.count < this.window) this.count++;
    if (novel) this.flagged++;
    return novel;
  }
}
