/**
 * Linux errno numbers holdfast names (alike on x64 and arm64), and their
 * codes as node:fs errors carry them (`ENOSPC`): for errors that come back
 * as bare numbers, from Deno's node:fs messages or from C calls made
 * through `bun:ffi`.
 *
 * @module
 */
/** errno values C calls are told apart by: interrupted, try again later, not for this file. */
export const EINTR = 4, EAGAIN = 11, EINVAL = 22;

const CODES: Record<number, string> = {
  4: "EINTR",
  5: "EIO",
  11: "EAGAIN",
  22: "EINVAL",
  27: "EFBIG",
  28: "ENOSPC",
  30: "EROFS",
  32: "EPIPE",
  104: "ECONNRESET",
  122: "EDQUOT",
};

/** The code of errno `n` (`28` → `"ENOSPC"`), or undefined for one not listed. */
export function errnoCode(n: number | undefined): string | undefined {
  return n === undefined ? undefined : CODES[n];
}
