import type { AccessRecord } from "../access-log.ts";
import { LOGGED_FIELDS, requestField, requestLineOf } from "./request-fields.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => (n < 10 ? "0" : "") + n;

// $time_local changes once a second: formatted once per second, as nginx caches its time strings.
let cachedSecond = -1;
let cachedTime = "";

/** nginx's `$time_local` of epoch ms `now`: `02/Jan/2026:03:04:05 +0000`, in the process's time zone. */
export function timeLocal(now: number): string {
  const second = Math.floor(now / 1000);
  if (second === cachedSecond) return cachedTime;
  const d = new Date(second * 1000);
  const off = -d.getTimezoneOffset();
  const abs = Math.abs(off);
  cachedTime = `${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${two(d.getHours())}:${two(d.getMinutes())}:${
    two(d.getSeconds())
  } ${off < 0 ? "-" : "+"}${two(Math.floor(abs / 60))}${two(abs % 60)}`;
  cachedSecond = second;
  return cachedTime;
}

/** Whether nginx escapes char code `c` in a log variable (escape=default): `"`, `\`, control characters and bytes from 0x7f. */
function escaped(c: number): boolean {
  return c === 0x22 || c === 0x5c || c < 0x20 || c >= 0x7f;
}

/** A value inside a combined line's quotes, escaped as nginx does: `"` -> `\x22`, byte 0xE9 -> `\xE9`. */
export function escapeNginx(s: string): string {
  let i = 0;
  while (i < s.length && !escaped(s.charCodeAt(i))) i++;
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += escaped(c) ? `\\x${(c & 0xff).toString(16).toUpperCase().padStart(2, "0")}` : s[i];
  }
  return out;
}

/**
 * `--access-log-format combined`: nginx's predefined `combined` format with
 * `$request_time` after it, so tools that read nginx's logs (GoAccess,
 * AWStats, fail2ban) read holdfast's:
 * `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`.
 * `$remote_user` is always `-` (holdfast does no authentication).
 * @param now epoch ms at which the request ended (`$time_local` is the log time in nginx too)
 */
export function formatCombined(r: AccessRecord, now: number): string {
  const referer = requestField(r, LOGGED_FIELDS.referer);
  const ua = requestField(r, LOGGED_FIELDS.userAgent);
  return `${r.clientAddress || "-"} - - [${timeLocal(now)}] "${escapeNginx(requestLineOf(r))}" ${r.status} ${r.sentBytes} "${
    referer === undefined ? "-" : escapeNginx(referer)
  }" "${ua === undefined ? "-" : escapeNginx(ua)}" ${((now - r.startedAt) / 1000).toFixed(3)}`;
}
