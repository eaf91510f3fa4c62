import { downstreamResponseHeaders } from "../headers.ts";

/** How a relayed response ended. */
export type RelayOutcome = "complete" | "client-gone" | "upstream-error" | "read-timeout";

// Statuses whose response never has a body (RFC 9110 §6.4.1, §15.3.5, §15.4.5).
const NULL_BODY = new Set([204, 205, 304]);

/**
 * Turns the upstream's response into the client's, streaming the body as it
 * arrives. A pause longer than `readTimeoutMs` between two reads from the
 * upstream ends the body early (nginx `proxy_read_timeout`; the client sees a
 * truncated response, as with nginx, since the status is already sent).
 *
 * @param onEnd called once, when the body ended or was abandoned, with the
 *   outcome and the body bytes relayed
 */
export function relayResponse(
  res: Response,
  readTimeoutMs: number,
  isHead: boolean,
  onEnd: (outcome: RelayOutcome, bytes: number) => void,
): Response {
  const headers = downstreamResponseHeaders(res.headers);
  if (!res.body || isHead || NULL_BODY.has(res.status)) {
    res.body?.cancel().catch(() => {});
    onEnd("complete", 0);
    return new Response(null, { status: res.status, statusText: res.statusText, headers });
  }
  const reader = res.body.getReader();
  let bytes = 0;
  let ended = false;
  let lastReadAt = Date.now();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const end = (outcome: RelayOutcome) => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    onEnd(outcome, bytes);
  };
  const watch = () => {
    const idle = Date.now() - lastReadAt;
    if (idle < readTimeoutMs) {
      timer = setTimeout(watch, readTimeoutMs - idle);
      return;
    }
    timedOut = true;
    reader.cancel().catch(() => {});
  };
  timer = setTimeout(watch, readTimeoutMs);
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      try {
        const step = await reader.read();
        if (timedOut) {
          ctl.error(new Error("upstream read timeout"));
          return end("read-timeout");
        }
        if (step.done) {
          ctl.close();
          return end("complete");
        }
        lastReadAt = Date.now();
        bytes += step.value.byteLength;
        ctl.enqueue(step.value);
      } catch (e) {
        ctl.error(e);
        end(timedOut ? "read-timeout" : "upstream-error");
      }
    },
    cancel(reason) {
      reader.cancel(reason).catch(() => {});
      end("client-gone");
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}
