import type { AccessRecord } from "../access-log.ts";
import { statusSummary, upstreamSummary } from "./attempt-summary.ts";
import { kvValue } from "./kv.ts";
import { LOGGED_FIELDS, requestField } from "./request-fields.ts";

/** A request field as a kv value: `-` when absent, quoted when it is not a plain token. */
function field(r: AccessRecord, name: Uint8Array): string {
  const v = requestField(r, name);
  return v === undefined ? "-" : kvValue(v);
}

/**
 * `--access-log-format kv` (the default): time, client, "method target",
 * status, then key=value fields; README "Logs" lists them.
 * `upstream` and `upstream_status` summarise the attempts like nginx's
 * `$upstream_addr` and `$upstream_status`, runs collapsed (attempt-summary.ts);
 * `upstream_ms` is the last attempt's time to the response head
 * (`$upstream_header_time`). The request line of a head that did not parse
 * is shown as it was received.
 * @param now epoch ms at which the request ended
 */
export function formatKv(r: AccessRecord, now: number): string {
  const last = r.attempts.at(-1);
  // One concatenation: cheaper than an array and join at one line per request.
  return `${new Date(r.startedAt).toISOString()} ${r.clientAddress || "-"} ${
    JSON.stringify(r.head || r.requestLine === undefined ? `${r.method} ${r.target}` : r.requestLine)
  } ${r.status} body=${r.bodyBytes} sent=${r.sentBytes} upstream=${upstreamSummary(r.attempts) ?? "-"} upstream_status=${
    statusSummary(r.attempts) ?? "-"
  } attempts=${r.attempts.length} held_ms=${r.heldMs} request_ms=${now - r.startedAt} upstream_ms=${last ? last.ms : "-"} id=${r.id} host=${
    field(r, LOGGED_FIELDS.host)
  } referer=${field(r, LOGGED_FIELDS.referer)} ua=${field(r, LOGGED_FIELDS.userAgent)}`;
}
