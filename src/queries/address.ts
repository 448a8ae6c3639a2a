/**
 * Formats addresses stored as 4 u32 words (the PacketBatch scheme: IPv4-mapped for IPv4) for query results.
 * Used only at flush time, on the handful of addresses a result reports.
 */

/** `a.b.c.d` for IPv4-mapped (or all-zero, non-IP) words, else an RFC 5952-style IPv6 string. */
export function formatAddress(words: ArrayLike<number>, off: number): string {
  const w0 = words[off]!;
  const w1 = words[off + 1]!;
  const w2 = words[off + 2]!;
  const w3 = words[off + 3]!;
  if (w0 === 0 && w1 === 0 && (w2 === 0xffff || (w2 === 0 && w3 === 0))) {
    return `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  }
  const groups = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // Longest run of zero groups (length >= 2) becomes '::'.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
