/**
 * HyperLogLog (Flajolet, Fusy, Gandouet, Meunier, AofA 2007) on 32-bit hashes, dense registers in a
 * Uint8Array, with the paper's small-range correction (linear counting on empty registers when the raw
 * estimate is <= 2.5 m) and large-range correction for a 32-bit hash. Standard error ~1.04 / sqrt(m).
 *
 * Kept as the measured alternative to the multi-resolution bitmap for the per-interval accumulators; see
 * src/features/README.md for the comparison and why the extractor uses MRB for both.
 */
const TWO32 = 4294967296;

export class HyperLogLog {
  readonly p: number;
  readonly m: number;
  readonly registers: Uint8Array;
  private readonly alphaMM: number;

  constructor(p = 14) {
    if (!(Number.isInteger(p) && p >= 4 && p <= 16)) throw new RangeError('HLL precision p must be an integer in 4..16');
    this.p = p;
    this.m = 1 << p;
    this.registers = new Uint8Array(this.m);
    const m = this.m;
    const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
    this.alphaMM = alpha * m * m;
  }

  /** Adds a key by its 32-bit hash: the top p bits pick the register, the rest give the rank. */
  add(h: number): boolean {
    const j = h >>> (32 - this.p);
    const w = (h << this.p) | (1 << (this.p - 1)); // sentinel bit bounds the rank at 32 - p + 1
    const rho = Math.clz32(w) + 1;
    if (rho > this.registers[j]!) {
      this.registers[j] = rho;
      return true;
    }
    return false;
  }

  estimate(): number {
    const r = this.registers;
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < this.m; j++) {
      const v = r[j]!;
      sum += 1 / (1 << v);
      if (v === 0) zeros++;
    }
    const raw = this.alphaMM / sum;
    if (raw <= 2.5 * this.m) return zeros > 0 ? this.m * Math.log(this.m / zeros) : raw;
    if (raw > TWO32 / 30) return -TWO32 * Math.log(1 - Math.min(raw / TWO32, 1 - 1e-12));
    return raw;
  }

  /** Register-wise max: the sketch of the union. */
  merge(other: HyperLogLog): void {
    if (other.p !== this.p) throw new RangeError('HLL merge needs the same precision');
    const a = this.registers;
    const b = other.registers;
    for (let j = 0; j < this.m; j++) if (b[j]! > a[j]!) a[j] = b[j]!;
  }

  copyFrom(other: HyperLogLog): void {
    this.registers.set(other.registers);
  }

  clear(): void {
    this.registers.fill(0);
  }
}
