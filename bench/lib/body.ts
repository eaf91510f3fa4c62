/** The upload body: one file on /dev/shm, made once and reused by every run. */
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { createHash, randomFillSync } from "node:crypto";

// 16 MiB of random bytes repeated: incompressible within any buffer a proxy
// holds, and 1 GiB of it is written in well under a second.
const BLOCK = 16 * 1024 * 1024;

/** Makes `path` hold exactly `size` bytes unless it already does. */
export function ensureBody(path: string, size: number): void {
  if (existsSync(path) && statSync(path).size === size) return;
  const block = randomFillSync(new Uint8Array(BLOCK));
  const fd = openSync(path, "w", 0o600);
  try {
    for (let left = size; left > 0; left -= BLOCK) writeSync(fd, block, 0, Math.min(BLOCK, left));
  } finally {
    closeSync(fd);
  }
}

/** The SHA-256 (hex) of the file at `path`, read in 4 MiB pieces (a bounded loop: the file's size over 4 MiB). */
export function sha256Of(path: string): string {
  const h = createHash("sha256");
  const piece = new Uint8Array(4 * 1024 * 1024);
  const fd = openSync(path, "r");
  try {
    for (let n = readSync(fd, piece); n > 0; n = readSync(fd, piece)) h.update(piece.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}
