/** Small statistics for the report. */

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Bytes per second in MB/s (10^6 bytes). */
export function mbPerSecond(bytes: number, seconds: number): number {
  return bytes / seconds / 1e6;
}
