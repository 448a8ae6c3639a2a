/**
 * CoMo's exponentially weighted moving average (`loadshed.c: ewma`): the first sample initialises the value,
 * then value = weight × value + (1 − weight) × sample. The weight is on the OLD value: CoMo's 0.9
 * (PERROR_EWMA_WEIGHT, SHED_EWMA_WEIGHT, AVAIL_CYCLES_EWMA) means heavy smoothing, a new sample moves the
 * average by 10%. (The EWMA cost predictor of seed eq. 2 uses the opposite convention, alpha on the new value.)
 */
export class Smoothed {
  readonly weight: number;
  value = 0;
  initialized = false;

  constructor(weight: number) {
    if (!(weight >= 0 && weight < 1)) throw new RangeError(`EWMA weight must be in [0, 1), got ${weight}`);
    this.weight = weight;
  }

  update(sample: number): number {
    if (!this.initialized) {
      this.value = sample;
      this.initialized = true;
    } else {
      this.value = this.weight * this.value + (1 - this.weight) * sample;
    }
    return this.value;
  }

  reset(): void {
    this.value = 0;
    this.initialized = false;
  }
}
