import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/random.ts';
import { ArrivalProcess, type ArrivalOptions } from '../../src/anomaly/arrivals.ts';

function collect(opts: ArrivalOptions, seed: number): Float64Array {
  const p = new ArrivalProcess(opts, new Rng(seed));
  const out: number[] = [];
  for (let t = p.next(); t !== Infinity; t = p.next()) out.push(t);
  return Float64Array.from(out);
}

const S = 1e9;

test('Poisson count is rate x duration within 4 standard deviations; times in window, non-decreasing', () => {
  for (const seed of [1, 2, 3]) {
    const t = collect({ startNs: 5 * S, endNs: 15 * S, rate: 2000 }, seed);
    const mean = 2000 * 10;
    assert.ok(Math.abs(t.length - mean) < 4 * Math.sqrt(mean), `seed ${seed}: ${t.length} vs ${mean}`);
    assert.ok(t[0]! >= 5 * S && t[t.length - 1]! < 15 * S);
    for (let i = 1; i < t.length; i++) assert.ok(t[i]! >= t[i - 1]!);
  }
});

test('Poisson gaps are exponential: mean 1/rate and coefficient of variation ~1', () => {
  const t = collect({ startNs: 0, endNs: 20 * S, rate: 1000 }, 7);
  let s = 0;
  let s2 = 0;
  for (let i = 1; i < t.length; i++) {
    const g = t[i]! - t[i - 1]!;
    s += g;
    s2 += g * g;
  }
  const n = t.length - 1;
  const mean = s / n;
  const cv = Math.sqrt(s2 / n - mean * mean) / mean;
  assert.ok(Math.abs(mean - 1e6) / 1e6 < 0.03, `mean gap ${mean}`);
  assert.ok(Math.abs(cv - 1) < 0.05, `cv ${cv}`);
});

test('on/off 1 s: no packet in any off second, rate while on, half the packets overall', () => {
  const t = collect({ startNs: 0, endNs: 20 * S, rate: 1000, onOffNs: S }, 11);
  const perSecond = new Array(20).fill(0);
  for (const x of t) perSecond[Math.floor(x / S)]++;
  for (let s = 0; s < 20; s++) {
    if (s % 2 === 1) assert.equal(perSecond[s], 0, `second ${s} must be idle`);
    else assert.ok(Math.abs(perSecond[s] - 1000) < 4 * Math.sqrt(1000), `second ${s}: ${perSecond[s]}`);
  }
  assert.ok(Math.abs(t.length - 10000) < 4 * 100);
});

test('constant model gives exactly rate x duration evenly spaced arrivals', () => {
  const t = collect({ startNs: 0, endNs: 2 * S, rate: 500, model: 'constant' }, 1);
  assert.equal(t.length, 999); // arrivals at 2 ms, 4 ms, ..., 1998 ms
  assert.equal(t[1]! - t[0]!, 2e6);
});

test('bursts: packets come in groups spaced by the burst gap, mean rate preserved', () => {
  const t = collect({ startNs: 0, endNs: 10 * S, rate: 8000, burstLength: 16, burstGapNs: 12304 }, 5);
  const bursts = 8000 * 10 / 16;
  // Count is 16 x Poisson(5000): sd = 16 * sqrt(5000).
  assert.ok(Math.abs(t.length - 80000) < 4 * 16 * Math.sqrt(bursts), `${t.length}`);
  let tight = 0;
  for (let i = 1; i < t.length; i++) if (Math.abs(t[i]! - t[i - 1]! - 12304) < 1e-6) tight++;
  assert.ok(tight / t.length > 15 / 16 - 0.01, `fraction of back-to-back gaps ${tight / t.length}`);
});

test('same seed gives the same times; different seeds differ', () => {
  const o = { startNs: 0, endNs: S, rate: 3000, onOffNs: 0.25 * S };
  assert.deepEqual(collect(o, 42), collect(o, 42));
  assert.notDeepEqual(collect(o, 42), collect(o, 43));
});

test('empty window or zero rate yields no arrivals', () => {
  assert.equal(collect({ startNs: S, endNs: S, rate: 100 }, 1).length, 0);
  assert.equal(collect({ startNs: 0, endNs: S, rate: 0 }, 1).length, 0);
});

test('high rates are not limited by any minimum gap (200 kpps Poisson)', () => {
  const t = collect({ startNs: 0, endNs: 2 * S, rate: 200_000 }, 21);
  assert.ok(Math.abs(t.length - 400_000) < 4 * Math.sqrt(400_000), `${t.length}`);
});

test('bursts keep the mean rate up to line rate and saturate at back-to-back bursts above it', () => {
  const gap = 12304; // 1514-byte frames at 1 Gbit/s: at most 1e9 / 12304 = 81,274 packets/s
  const near = collect({ startNs: 0, endNs: 4 * S, rate: 60_000, burstLength: 16, burstGapNs: gap }, 3);
  assert.ok(Math.abs(near.length - 240_000) < 4 * 16 * Math.sqrt(240_000 / 16), `${near.length}`);
  const over = collect({ startNs: 0, endNs: 1 * S, rate: 500_000, burstLength: 16, burstGapNs: gap }, 3);
  assert.ok(Math.abs(over.length - 1e9 / gap) <= 16, `${over.length}`);
  for (let i = 1; i < over.length; i++) assert.ok(Math.abs(over[i]! - over[i - 1]! - gap) < 1e-3);
});
