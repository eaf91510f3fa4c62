import type { StatusSnapshot } from "./state.ts";

/**
 * nginx's `stub_status` page, byte for byte (trailing spaces included), so
 * that dashboards and exporters made for nginx (nginx-prometheus-exporter,
 * Datadog, Telegraf's nginx input) read holdfast too:
 *
 * ```
 * Active connections: 2
 * server accepts handled requests
 *  17 17 35
 * Reading: 0 Writing: 1 Waiting: 1
 * ```
 *
 * `accepts` and `handled` are the client connections accepted (holdfast
 * refuses none it accepted); `requests` the requests started, parse errors
 * included.
 */
export function stubStatus(s: StatusSnapshot): string {
  const c = s.connections;
  const accepted = s.counters.connectionsAccepted;
  const started = s.counters.requests + s.inflight.length;
  return `Active connections: ${c.active} \nserver accepts handled requests\n ${accepted} ${accepted} ${started} \n` +
    `Reading: ${c.reading} Writing: ${c.writing} Waiting: ${c.waiting} \n`;
}
