import type { ProxyError } from "../errors.ts";
import { event } from "../log/events.ts";

/**
 * Tells the event log why a body could not be spooled: `spool-full` for a
 * 507 (no directory keeps `--spool-reserve` free, or the disk filled up:
 * ENOSPC, EDQUOT), `spool-unwritable` for any other write failure (500:
 * EACCES, EROFS, EIO). One line per request that failed, as nginx's error
 * log has one per failed temp file.
 * @param dirs the directory the body was being written to, else every one that was considered
 * @returns `error`, to throw
 */
export function spoolFailed(error: ProxyError, dirs: readonly string[], id: string): ProxyError {
  event(error.status === 507 ? "spool-full" : "spool-unwritable", { dir: dirs.join(","), reason: error.message, id });
  return error;
}
