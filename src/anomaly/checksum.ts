/**
 * The Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum of the data taken
 * as big-endian 16-bit words. Used for the IPv4 header checksum and, with the IPv4 pseudo-header
 * (RFC 793 / RFC 768), for the TCP and UDP checksums of the frames the injector writes.
 */

/** Adds the big-endian 16-bit words of `buf[start, end)` to `sum` (an odd last byte is padded with zero). */
export function onesComplementSum(buf: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** Folds a 32-bit-or-wider running sum to 16 bits and complements it. */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** RFC 1071 checksum of `buf[start, end)`. Verifying data that contains its own checksum yields 0. */
export function internetChecksum(buf: Uint8Array, start: number, end: number): number {
  return foldChecksum(onesComplementSum(buf, start, end));
}

/**
 * Checksum of a TCP or UDP segment over IPv4: pseudo-header (source, destination, zero, protocol, L4 length)
 * plus the segment `buf[l4Start, l4End)`. The checksum field inside the segment must be zero when computing it,
 * or hold the stored value when verifying (then the result is 0).
 */
export function ipv4L4Checksum(
  buf: Uint8Array,
  srcAddrOffset: number,
  protocol: number,
  l4Start: number,
  l4End: number,
): number {
  // Source and destination addresses are adjacent in the IPv4 header (8 bytes).
  let sum = onesComplementSum(buf, srcAddrOffset, srcAddrOffset + 8);
  sum += protocol;
  sum += l4End - l4Start;
  sum = onesComplementSum(buf, l4Start, l4End, sum);
  return foldChecksum(sum);
}
