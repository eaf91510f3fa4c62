/**
 * The `--limit-req` phase of a request (nginx's preaccess phase): once, when
 * its head has arrived and its route is known, before its body is read. A held
 * request is never checked again: its hold and replays come after this.
 *
 * @module
 */
import type { ClientConnection } from "../engine/client-conn.ts";
import { ClientGoneError, LimitError } from "../errors.ts";
import type { RequestHead } from "../http1/head.ts";
import type { RateLimiter } from "./limit-req.ts";
import type { ClientSignal } from "../proxy/gone.ts";

/**
 * Passes, delays or refuses a request by its route's zone.
 * @param bodiless the request has no body: a refusal may keep the connection
 * @param gone ends a delay early: the client left, or a shutdown ran out of time
 * @throws {LimitError} 429 with the seconds for `Retry-After`
 * @throws {ClientGoneError} or the `ShutdownError` of `gone` when a delay was cut short
 */
export async function admitRate(
  zone: RateLimiter,
  conn: ClientConnection,
  head: RequestHead,
  bodiless: boolean,
  gone: ClientSignal,
): Promise<void> {
  const key = zone.keyOf(conn.clientAddress, head);
  if (key === undefined) return;
  const v = zone.check(key, Date.now());
  if (!v.pass) throw new LimitError(429, `Too many requests: more than ${zone.spec.ratePerS}r/s`, v.retryAfterS, bodiless);
  if (v.delayMs === 0) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      gone.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, v.delayMs);
    gone.addEventListener("abort", done);
  });
  if (gone.aborted) throw gone.reason;
  if (conn.closed) throw new ClientGoneError();
}
