import type { AccessRecord } from "../access-log.ts";
import { statusSummary, upstreamSummary } from "./attempt-summary.ts";
import { LOGGED_FIELDS, protocolOf, requestField, requestLineOf } from "./request-fields.ts";

/**
 * `--access-log-format json`: one JSON object per line with the kv format's
 * fields under the same names, numbers as numbers, and `null` for what kv
 * prints as `-`; `request` is nginx's `$request`, and `method`, `target`
 * and `protocol` are null when the head did not parse. README "Logs" lists
 * every key and its type.
 * @param now epoch ms at which the request ended
 */
export function formatJson(r: AccessRecord, now: number): string {
  const last = r.attempts.at(-1);
  const parsed = r.head !== undefined || r.requestLine === undefined;
  return JSON.stringify({
    time: new Date(r.startedAt).toISOString(),
    client: r.clientAddress || null,
    request: requestLineOf(r),
    method: parsed ? r.method : null,
    target: parsed ? r.target : null,
    protocol: protocolOf(r) ?? null,
    status: r.status,
    body: r.bodyBytes,
    sent: r.sentBytes,
    upstream: upstreamSummary(r.attempts) ?? null,
    upstream_status: statusSummary(r.attempts) ?? null,
    attempts: r.attempts.length,
    held_ms: r.heldMs,
    request_ms: now - r.startedAt,
    upstream_ms: last ? last.ms : null,
    id: r.id,
    host: requestField(r, LOGGED_FIELDS.host) ?? null,
    referer: requestField(r, LOGGED_FIELDS.referer) ?? null,
    ua: requestField(r, LOGGED_FIELDS.userAgent) ?? null,
  });
}
