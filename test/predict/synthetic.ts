/**
 * Synthetic batches for predictor tests: 55 features shaped like src/features (packets, bytes, new_interval,
 * then unique/new/batch-repeated/interval-repeated for 13 aggregates, with the same linear dependencies:
 * br = packets - unique, ar = packets - new), and an optional spoofed DDoS that is on every other second.
 */
import { Rng } from '../../src/random.ts';

const AGGREGATES = ['sip', 'dip', 'sipdip', 'sport', 'dport', 'sipsport', 'dipdport', 'sportdport', 'tuple', 'snet', 'dnet', 'netpair', 'proto'];
export const NAMES: readonly string[] = ['packets', 'bytes', 'new_interval', ...AGGREGATES.flatMap((a) => [`u_${a}`, `n_${a}`, `br_${a}`, `ar_${a}`])];
export const TUPLE = AGGREGATES.indexOf('tuple');
export const col = (name: string): number => {
  const i = NAMES.indexOf(name);
  if (i < 0) throw new Error(name);
  return i;
};

/** Features of batch t (10 batches per second). With `ddos`, odd seconds add many spoofed new 5-tuples. */
export function syntheticFeatures(rng: Rng, t: number, ddos: boolean): Float64Array {
  const f = new Float64Array(NAMES.length);
  const attack = ddos && Math.floor(t / 10) % 2 === 1;
  const base = 8000 + 1500 * Math.sin(t / 37) + 400 * rng.normal();
  const attackPkts = attack ? 3000 + 300 * rng.normal() : 0;
  const packets = Math.max(100, base + attackPkts);
  f[0] = packets;
  f[1] = base * (600 + 30 * rng.normal()) + attackPkts * 60;
  f[2] = t % 10 === 0 ? 1 : 0;
  for (let a = 0; a < AGGREGATES.length; a++) {
    const share = 0.1 + 0.05 * a / AGGREGATES.length + 0.02 * rng.next();
    let unique = base * share;
    let fresh = unique * (t % 10 === 0 ? 1 : 0.2 + 0.1 * rng.next());
    if (attack && a !== AGGREGATES.indexOf('proto') && a !== AGGREGATES.indexOf('dip') && a !== AGGREGATES.indexOf('dnet')) {
      unique += attackPkts * 0.98;
      fresh += attackPkts * 0.97;
    }
    f[3 + 4 * a] = unique;
    f[4 + 4 * a] = fresh;
    f[5 + 4 * a] = packets - unique;
    f[6 + 4 * a] = packets - fresh;
  }
  return f;
}
