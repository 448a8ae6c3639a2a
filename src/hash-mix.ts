/**
 * The murmur3 fmix32 finaliser, shared by the hashes of the features and queries layers (and the same mix the
 * seeding in random.ts uses). A leaf module: it imports nothing.
 */

/** murmur3 fmix32: a bijection on u32 with full avalanche (every input bit flips each output bit with p ~ 1/2). */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
