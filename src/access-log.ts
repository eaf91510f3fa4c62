import type { RequestHead } from "./http1/head.ts";
import type { AttemptRecord } from "./proxy/hold.ts";
import { formatCombined } from "./log/access-combined.ts";
import { formatJson } from "./log/access-json.ts";
import { formatKv } from "./log/access-kv.ts";

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
  /** Response body bytes sent, holdfast's own bodies included (nginx `$body_bytes_sent`). */
  sentBytes: number;
  attempts: AttemptRecord[];
  /** Time between the body's end and the response head (or giving up). */
  heldMs: number;
  /**
   * The parsed head, kept by reference (its bytes are never written over):
   * Host, User-Agent and Referer are decoded from it only when a line is
   * written. Undefined for a head that did not parse.
   */
  head?: RequestHead;
  /** The received first line of a head that did not parse (400, 414, 431): what `"$request"` shows. */
  requestLine?: string;
}

/** `--access-log-format`: `kv` (holdfast's key=value line), `json`, or nginx's `combined` plus `$request_time`. */
export type AccessLogFormat = "kv" | "json" | "combined";

/** Formats one access-log line (without its newline); `now` is epoch ms at the request's end. */
export type AccessLineFormatter = (r: AccessRecord, now: number) => string;

/** The formatter of an `--access-log-format` (src/log/access-*.ts; README "Logs" lists their fields). */
export function accessLineFormatter(format: AccessLogFormat): AccessLineFormatter {
  return format === "json" ? formatJson : format === "combined" ? formatCombined : formatKv;
}

/** The kv line (`--access-log-format kv`, the default); see {@link formatKv}. */
export const formatAccessLine: AccessLineFormatter = formatKv;
