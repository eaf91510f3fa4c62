/**
 * With `--workers`, each access-log line names the worker that served it:
 * ` worker=N` at the end of a kv or combined line, `"worker":N` last in a
 * JSON object. A lone holdfast's lines are unchanged.
 *
 * @module
 */
import type { AccessLineFormatter, AccessLogFormat } from "../access-log.ts";

/**
 * `format` with the worker's tag appended, or `format` itself when `worker` is undefined.
 * @param worker 1 to N
 */
export function withWorker(format: AccessLineFormatter, kind: AccessLogFormat, worker: number | undefined): AccessLineFormatter {
  if (worker === undefined) return format;
  if (kind === "json") {
    const tail = `,"worker":${worker}}`;
    return (r, now) => format(r, now).slice(0, -1) + tail;
  }
  const tail = ` worker=${worker}`;
  return (r, now) => format(r, now) + tail;
}
