/**
 * The event log (nginx's `error_log`, HAProxy's and Caddy's structured
 * logs): one line per thing that happened to the proxy rather than to one
 * request, on stderr, in `--log-format kv` or `json`. The access log says
 * what each request got; this says why (a peer went down, requests began to
 * be held, a spool directory filled up).
 *
 * One sink for the process, set once at start-up with {@link configureEvents}:
 * events are raised deep in the lifecycle (peer health, the hold, the spool),
 * where threading a logger through every constructor would change every
 * signature for the sake of a side channel. Until it is configured (unit
 * tests), events are dropped.
 *
 * To add an event: call {@link event} with a kebab-case kind and its fields;
 * put `id` (the request id) last when there is a request, so that
 * `grep id=...` finds it beside its access-log line. List the kind in the
 * README's event table.
 *
 * @module
 */
import { kvValue } from "./kv.ts";

/** `--log-format`: `kv` is `key=value` after an ISO time and the kind; `json` is one object per line. */
export type EventFormat = "kv" | "json";

/** An event's fields, in the order they are printed; `undefined` ones are left out. */
export type EventFields = Record<string, string | number | boolean | undefined>;

/** Where event lines go: a function given one line without its newline. */
export type EventSink = (line: string) => void;

let sink: EventSink | undefined;
let format: EventFormat = "kv";

/**
 * Sets where events go and how they are written (start-up, `--log-format`).
 * @param write receives each line without its newline, e.g. to stderr; undefined drops events
 */
export function configureEvents(write: EventSink | undefined, as: EventFormat = "kv"): void {
  sink = write;
  format = as;
}

/**
 * Writes one event line, e.g. in kv
 * `2026-05-01T10:00:00.000Z peer-down group=default peer=127.0.0.1:3000 source=passive reason=refused id=mwq54wvd0001`,
 * in json `{"time":"...","event":"peer-down","group":"default",...}`.
 * Nothing is formatted when no sink is set.
 * @param kind kebab-case, listed in the README's event table
 */
export function event(kind: string, fields: EventFields = {}): void {
  if (!sink) return;
  sink(formatEvent(kind, fields, Date.now(), format));
}

/**
 * One event line without its newline. kv values that are not a plain token
 * (spaces, quotes, `=`, non-ASCII) are JSON-quoted, so a line splits on
 * spaces outside quotes.
 * @param now epoch ms
 */
export function formatEvent(kind: string, fields: EventFields, now: number, as: EventFormat): string {
  const time = new Date(now).toISOString();
  if (as === "json") {
    const o: Record<string, unknown> = { time, event: kind };
    for (const k in fields) if (fields[k] !== undefined) o[k] = fields[k];
    return JSON.stringify(o);
  }
  let line = `${time} ${kind}`;
  for (const k in fields) {
    const v = fields[k];
    if (v !== undefined) line += ` ${k}=${kvValue(v)}`;
  }
  return line;
}
