// Size and duration syntax, as nginx writes them (`128k`, `10m`, `30s`, `5m`).

const SIZE_UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Accepted size form, quoted in error messages. */
export const SIZE_FORM = "a whole number of bytes with an optional k, m or g suffix (512, 128k, 10m, 2g)";
/** Accepted duration form, quoted in error messages. */
export const DURATION_FORM = "a whole number with a unit ms, s, m or h (250ms, 30s, 5m, 1h)";

/**
 * Parses a size such as `512`, `128k`, `10m` or `2g` (binary multiples, as nginx).
 * @returns bytes, or `undefined` when `text` is not of that form
 */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)([kmg]?)$/i.exec(text.trim());
  return m ? Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()] : undefined;
}

/**
 * Parses a duration such as `250ms`, `30s`, `5m`, `1h`; a bare `0` is zero.
 * @returns milliseconds, or `undefined` when `text` is not of that form
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (t === "0") return 0;
  const m = /^(\d+)(ms|s|m|h)$/i.exec(t);
  return m ? Number(m[1]) * DURATION_UNITS[m[2].toLowerCase()] : undefined;
}

/** Formats bytes for people: `1.5 MiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}
