import type { AttemptRecord } from "./proxy/hold.ts";

/** Everything one access-log line says about a request. Times in ms. */
export interface AccessRecord {
  id: string;
  /** Epoch ms when the request arrived. */
  startedAt: number;
  clientAddress: string;
  method: string;
  /** Path and query. */
  target: string;
  /** Status sent to the client; 499 when it left first (nginx's code). */
  status: number;
  /** Request body bytes received. */
  bodyBytes: number;
  /** Response body bytes sent. */
  sentBytes: number;
  attempts: AttemptRecord[];
  /** Time between the body's end and the response head (or giving up). */
  heldMs: number;
}

/**
 * Formats one access-log line: time, client, "method target", status, then
 * key=value fields. `upstream` and `upstream_status` list every attempt
 * separated by commas, like nginx's `$upstream_addr` and `$upstream_status`;
 * `upstream_ms` is the last attempt's time to the response head
 * (`$upstream_header_time`).
 */
export function formatAccessLine(r: AccessRecord, now: number): string {
  const last = r.attempts.at(-1);
  return [
    new Date(r.startedAt).toISOString(),
    r.clientAddress || "-",
    JSON.stringify(`${r.method} ${r.target}`),
    r.status,
    `body=${r.bodyBytes}`,
    `sent=${r.sentBytes}`,
    `upstream=${r.attempts.map((a) => a.peer).join(",") || "-"}`,
    `upstream_status=${r.attempts.map((a) => a.status).join(",") || "-"}`,
    `attempts=${r.attempts.length}`,
    `held_ms=${r.heldMs}`,
    `request_ms=${now - r.startedAt}`,
    `upstream_ms=${last ? last.ms : "-"}`,
    `id=${r.id}`,
  ].join(" ");
}
