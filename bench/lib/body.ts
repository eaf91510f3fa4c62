/** The upload body: one file on /dev/shm, made once and reused by every run. */
import { closeSync, existsSync, openSync, statSync, writeSync } from "node:fs";
import { randomFillSync } from "node:crypto";

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
