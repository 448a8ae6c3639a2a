import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FEATURE_NAMES } from '../../src/features/index.ts';
import { CorrelationWorkspace, CostHistory, SlidingCorrelations, selectFeatures } from '../../src/predict/index.ts';
import { Rng } from '../../src/random.ts';
import { realFeatureRows } from './real-features.ts';

/**
 * Feeds the same observations to the incremental statistics and to the direct computation (CorrelationWorkspace
 * over a CostHistory) and checks, after every push, that the relevance and the feature-feature correlations agree
 * to 1e-9, that both call the same columns constant, and that FCBF selects exactly the same features in the same
 * order.
 */
function compareStreams(rows: readonly Float64Array[], costs: readonly number[], capacity: number, threshold = 0.6, maxFeatures = 15): number {
  const width = rows[0]!.length;
  const h = new CostHistory(capacity, width);
  const ws = new CorrelationWorkspace(width, capacity);
  const sc = new SlidingCorrelations(capacity, width);
  const direct = new Int32Array(width);
  const inc = new Int32Array(width);
  const order = new Int32Array(width);
  let nonEmpty = 0;
  for (let t = 0; t < rows.length; t++) {
    h.push(rows[t]!, costs[t]!);
    sc.push(rows[t]!, costs[t]!);
    assert.equal(sc.count, h.count);
    ws.prepare(h);
    sc.refresh();
    for (let j = 0; j < width; j++) {
      assert.ok(Math.abs(ws.relevance[j]! - sc.relevance[j]!) <= 1e-9, `t=${t} column ${j}: direct r ${ws.relevance[j]} vs incremental ${sc.relevance[j]}`);
      assert.equal(ws.ssq[j] === 0, sc.ssq[j] === 0, `t=${t} column ${j}: constant? direct ssq ${ws.ssq[j]} vs incremental ${sc.ssq[j]}`);
    }
    for (let j = 1; j < width; j++) {
      const want = ws.correlation(0, j);
      const got = sc.correlation(0, j);
      assert.ok(Math.abs(want - got) <= 1e-9, `t=${t}: r(0, ${j}) direct ${want} vs incremental ${got}`);
    }
    const limit = Math.min(maxFeatures, Math.max(0, h.count - 2));
    const k1 = ws.select(threshold, limit, direct);
    const k2 = selectFeatures(sc, threshold, limit, order, inc);
    assert.deepEqual([...inc.subarray(0, k2)], [...direct.subarray(0, k1)], `t=${t}: selections differ`);
    if (k1 > 0) nonEmpty++;
  }
  return nonEmpty;
}

/** Column kinds that stress the incremental sums: scale, duplicates, constants, NaN, regime changes. */
type Kind = 'count' | 'large' | 'duplicate' | 'affine' | 'constant' | 'rare-change' | 'nan' | 'regime' | 'cost-like';
const KINDS: Kind[] = ['count', 'large', 'duplicate', 'affine', 'constant', 'rare-change', 'nan', 'regime', 'cost-like'];

function stream(seed: number, kinds: readonly Kind[], length: number): { rows: Float64Array[]; costs: number[] } {
  const rng = new Rng(seed);
  const rows: Float64Array[] = [];
  const costs: number[] = [];
  for (let t = 0; t < length; t++) {
    const attack = Math.floor(t / 25) % 2 === 1;
    const packets = Math.round((attack ? 20000 : 6000) * (1 + 0.1 * rng.normal()));
    const f = new Float64Array(kinds.length + 1);
    f[0] = packets;
    kinds.forEach((k, c) => {
      const j = c + 1;
      switch (k) {
        case 'count':
          f[j] = Math.round(rng.next() * 1000 + (attack ? packets * 0.9 : 0));
          break;
        case 'large':
          f[j] = Math.round(packets * (600 + 50 * rng.normal()));
          break;
        case 'duplicate':
          f[j] = f[j - 1]!;
          break;
        case 'affine':
          f[j] = packets - 3 * f[j - 1]!;
          break;
        case 'constant':
          f[j] = 7;
          break;
        case 'rare-change':
          f[j] = rng.next() < 0.05 ? 1e6 * rng.next() : 3;
          break;
        case 'nan':
          f[j] = rng.next() < 0.03 ? NaN : rng.next() * 50;
          break;
        case 'regime':
          f[j] = t < length / 2 ? 1e9 + rng.next() * 10 : rng.next() * 10;
          break;
        case 'cost-like':
          f[j] = (attack ? 5e3 : 1) * (1 + rng.next());
          break;
      }
    });
    rows.push(f);
    const driver = Number.isFinite(f[1]!) && Math.abs(f[1]!) < 1e8 ? f[1]! : 0;
    costs.push(Math.max(0, Math.round(2e5 + 180 * packets + 400 * driver + 3e5 * rng.normal())));
  }
  return { rows, costs };
}

test('incremental FCBF statistics match the direct computation: same relevance, constants and selections', () => {
  // The selection comparison must not be vacuous: count the batches where FCBF selected something.
  let batches = 0;
  let selecting = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      fc.array(fc.constantFrom(...KINDS), { minLength: 1, maxLength: 10 }),
      fc.integer({ min: 2, max: 70 }),
      fc.integer({ min: 20, max: 260 }),
      (seed, kinds, capacity, length) => {
        const { rows, costs } = stream(seed, kinds, length);
        selecting += compareStreams(rows, costs, capacity);
        batches += length;
      },
    ),
    { numRuns: 200, seed: 20261121 },
  );
  assert.ok(selecting > batches / 2, `FCBF selected something in only ${selecting} of ${batches} batches`);
});

test('constant, NaN and regime-change columns: incremental relevance is 0 exactly when the direct one is', () => {
  const { rows, costs } = stream(5, ['constant', 'nan', 'regime', 'rare-change', 'count'], 400);
  // Window 60 as in the predictor; the NaN column must drop out while a NaN is in the window and come back after.
  compareStreams(rows, costs, 60);
  const sc = new SlidingCorrelations(4, 2);
  for (const [a, y] of [[1, 10], [NaN, 20], [3, 30], [4, 40]] as const) sc.push(Float64Array.of(a, a), y);
  sc.refresh();
  assert.equal(sc.relevance[0], 0);
  sc.push(Float64Array.of(5, 5), 50);
  sc.refresh();
  assert.equal(sc.relevance[0], 0, 'the NaN row is still in the window');
  sc.push(Float64Array.of(6, 6), 60); // now it leaves
  sc.refresh();
  assert.ok(Math.abs(sc.relevance[0]! - 1) < 1e-12, String(sc.relevance[0]));
  assert.ok(Math.abs(sc.correlation(0, 1) - 1) < 1e-12);
});

test('non-finite costs are refused (the sums could not recover from them)', () => {
  const sc = new SlidingCorrelations(4, 1);
  assert.throws(() => sc.push(Float64Array.of(1), NaN), RangeError);
  assert.throws(() => sc.push(Float64Array.of(1), Infinity), RangeError);
  assert.equal(sc.count, 0);
});

test('real traffic features (Tinba background, then a spoofed SYN flood): identical FCBF selections', async () => {
  // Features of real batches (10 ms bins to get several hundred of them), a cost built from them with seeded
  // multiplicative noise, and the window sliding across the switch from background to attack traffic.
  const rows = await realFeatureRows();
  assert.ok(rows.length >= 500, `only ${rows.length} batches`);
  const rng = new Rng(9);
  const col = (name: string): number => FEATURE_NAMES.indexOf(name);
  const costs = rows.map((f) => Math.round((3e4 + 150 * f[col('packets')]! + 600 * f[col('five_tuple.new')]!) * Math.exp(0.03 * rng.normal())));
  const selectedBatches = compareStreams(rows, costs, 60);
  assert.ok(selectedBatches > rows.length / 4, `FCBF selected something in only ${selectedBatches} of ${rows.length} batches`);
});
