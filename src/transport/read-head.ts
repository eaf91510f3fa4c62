/**
 * Reading a peer's response head (RFC 9112 §2-4, bounded by
 * `--max-response-header-size`, nginx `proxy_buffer_size`): interim 1xx
 * responses before it (RFC 9110 §15.2), then the final head and its body
 * framing (RFC 9112 §6.3), which decide whether the connection can be reused.
 *
 * A function of the exchange's state (exchange-state.ts); Exchange calls it
 * when the bytes it holds can complete a head, for src/transport/ only.
 *
 * @module
 */
import { ParseError } from "../http1/errors.ts";
import { responseFraming } from "../http1/framing.ts";
import type { ResponseHead } from "../http1/head.ts";
import { parseResponseHead } from "../http1/parse-response.ts";
import { connectionTokens } from "../proxy/hop-by-hop.ts";
import { BODY, EMPTY, type ExchangeState, HEAD, SEND } from "./exchange-state.ts";

/**
 * Parses the heads in `ex.buf`. Interim responses are passed to
 * `input.interim` (but a 100: holdfast answered the client's `Expect`
 * itself) and skipped. A final head moves the exchange to phase BODY, with
 * the body bytes after it left in `ex.buf` from `ex.off`, and resolves
 * `response()`; an incomplete one waits for more bytes (`--read-timeout`
 * re-armed). A head or framing that does not parse fails the exchange with
 * "invalid-response" (a 502 to the client).
 */
export function parseHead(ex: ExchangeState): void {
  for (;;) {
    let h: ResponseHead | null;
    try {
      h = parseResponseHead(ex.buf, ex.input.maxHeadBytes);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      return ex.fail("invalid-response", `Invalid response head: ${e.message}`);
    }
    if (h === null) {
      if (ex.phase === HEAD) ex.deadline.set(ex.input.readTimeoutMs);
      return;
    }
    if (h.length === ex.buf.byteLength) ex.buf = EMPTY;
    else ex.off = h.length;
    if (h.status >= 100 && h.status < 200 && h.status !== 101) {
      ex.buf = ex.take();
      // RFC 9110 §15.2: 100 answers an Expect holdfast already answered itself.
      if (h.status !== 100) ex.input.interim.onInterim(h);
      continue;
    }
    try {
      ex.framing = responseFraming(h, ex.input.method);
    } catch (e) {
      return ex.fail("invalid-response", `Invalid response framing: ${(e as Error).message}`);
    }
    ex.head = h;
    if (ex.phase === SEND) {
      // An early answer (e.g. 413) before the body was sent: stop sending, never reuse.
      ex.reusable = false;
      ex.drainWaiter?.();
    }
    ex.phase = BODY;
    ex.deadline.clear();
    ex.connection = connectionTokens(h);
    if (h.minor === 0 || ex.connection?.has("close") || ex.framing.kind === "close" || h.status === 101) ex.reusable = false;
    return ex.resolveHead(h);
  }
}
