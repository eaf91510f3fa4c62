import { errorResponse } from "../errors.ts";
import { downstreamResponseHeaders } from "../headers.ts";

/** How a relayed response ended. */
export type RelayOutcome = "complete" | "client-gone" | "upstream-error" | "read-timeout";

/** Receives how a relayed response ended: outcome, body bytes relayed, status the client got. */
export type OnEnd = (outcome: RelayOutcome, bytes: number, status: number) => void;

// Statuses whose response never has a body (RFC 9110 §6.4.1, §15.3.5, §15.4.5).
const NULL_BODY = new Set([204, 205, 304]);

// Bun frames any stream a handler returns as chunked, dropping its
// Content-Length (oven-sh/bun#10507). A body up to this size is read whole
// first, so it keeps its length (nginx buffers responses too, proxy_buffers);
// a larger one streams, chunked on Bun.
const WHOLE_BODY_BYTES = 256 * 1024;

/**
 * Turns the upstream's response into the client's. A small body with a
 * Content-Length is read whole and sent with its length; any other body
 * streams as it arrives. A pause longer than `readTimeoutMs` between two reads
 * from the upstream (nginx `proxy_read_timeout`) gives 504 while nothing was
 * sent yet, or ends a streaming body early (the client sees a truncated
 * response, as with nginx, since the status is already sent); an upstream
 * that breaks before a small body is complete gives 502.
 *
 * @param onEnd called once, when the body ended or was abandoned, with the
 *   outcome, the body bytes relayed and the status the client got
 */
export async function relayResponse(
  res: Response,
  readTimeoutMs: number,
  isHead: boolean,
  onEnd: OnEnd,
): Promise<Response> {
  const headers = downstreamResponseHeaders(res.headers);
  const init = { status: res.status, statusText: res.statusText, headers };
  if (!res.body || isHead || NULL_BODY.has(res.status)) {
    res.body?.cancel().catch(() => {});
    onEnd("complete", 0, res.status);
    return new Response(null, init);
  }
  const watched = new WatchedReader(res.body.getReader(), readTimeoutMs, res.status);
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared <= WHOLE_BODY_BYTES) {
    const whole = await watched.readAll(declared);
    if (whole instanceof Uint8Array) {
      onEnd("complete", whole.byteLength, res.status);
      return new Response(whole as Uint8Array<ArrayBuffer>, init);
    }
    const status = whole === "read-timeout" ? 504 : 502;
    onEnd(whole, 0, status);
    return errorResponse(status, whole === "read-timeout" ? "Upstream stopped sending its response body" : "Upstream broke off its response body");
  }
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      const step = await watched.read();
      if (step === "done") {
        ctl.close();
        return watched.end("complete", onEnd);
      }
      if (typeof step === "string") {
        ctl.error(new Error(`upstream ${step}`));
        return watched.end(step, onEnd);
      }
      ctl.enqueue(step);
    },
    cancel(reason) {
      watched.cancel(reason);
      watched.end("client-gone", onEnd);
    },
  });
  return new Response(body, init);
}

/** A reader of the upstream body with one re-armed timer for `--read-timeout`, not one per chunk. */
class WatchedReader {
  #lastReadAt = Date.now();
  #timedOut = false;
  #timer: ReturnType<typeof setTimeout>;
  #ended = false;
  bytes = 0;

  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>, readonly timeoutMs: number, readonly status: number) {
    this.#timer = setTimeout(this.#watch, timeoutMs);
  }

  #watch = () => {
    const idle = Date.now() - this.#lastReadAt;
    if (idle < this.timeoutMs) {
      this.#timer = setTimeout(this.#watch, this.timeoutMs - idle);
      return;
    }
    this.#timedOut = true;
    this.reader.cancel().catch(() => {});
  };

  /** The next chunk, or how the body ended. */
  async read(): Promise<Uint8Array | "done" | "read-timeout" | "upstream-error"> {
    try {
      const step = await this.reader.read();
      if (this.#timedOut) return "read-timeout";
      if (step.done) return "done";
      this.#lastReadAt = Date.now();
      this.bytes += step.value.byteLength;
      return step.value;
    } catch {
      return this.#timedOut ? "read-timeout" : "upstream-error";
    }
  }

  /** The whole body of `size` bytes, or how it failed. */
  async readAll(size: number): Promise<Uint8Array | "read-timeout" | "upstream-error"> {
    const out = new Uint8Array(size);
    for (;;) {
      const step = await this.read();
      if (step === "done") break;
      if (typeof step === "string") return this.#stop(step);
      if (this.bytes > size) return this.#stop("upstream-error");
      out.set(step, this.bytes - step.byteLength);
    }
    return this.bytes === size ? this.#stop(out) : this.#stop("upstream-error");
  }

  #stop<T>(v: T): T {
    clearTimeout(this.#timer);
    if (typeof v === "string") this.reader.cancel().catch(() => {});
    return v;
  }

  cancel(reason: unknown): void {
    this.reader.cancel(reason).catch(() => {});
  }

  /** Reports the outcome once. */
  end(outcome: RelayOutcome, onEnd: OnEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    onEnd(outcome, this.bytes, this.status);
  }
}
