/**
 * The shapes of one exchange with a peer: what is sent, where the response
 * body goes, how its relay ended.
 *
 * @module
 */
import type { ResponseHead } from "../http1/head.ts";

/**
 * A request body as it is sent to a peer: nothing, bytes in memory, a spool
 * file of a known size, or a stream of the client's bytes as they arrive
 * (`buffer-request=off`, nginx `proxy_request_buffering off`).
 */
export type UpstreamBody =
  | { kind: "none" }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "file"; path: string; size: number }
  | { kind: "stream"; stream: BodyStream };

/** A request body read from the client while it is sent (`buffer-request=off`): it can be sent once only. */
export interface BodyStream {
  /** Sent chunked (the client's body had no `Content-Length`); else with the client's length. */
  readonly chunked: boolean;
  /** Whether a body byte was taken by {@link read}: a failed attempt can no longer be replayed. */
  readonly started: boolean;
  /**
   * The next body bytes, as the client sends them.
   * @returns null once the body is complete
   * @throws the error that ended the client's body (it left, 408, 413, 400)
   */
  read(): Promise<Uint8Array | null>;
}

/** Reads a spool file back (runtime/fs-types.ts `SpoolReader`). */
export interface SpoolSource {
  /** The file's descriptor, for sendfile(2) where the socket offers it; absent: reads only. */
  readonly fd?: number;
  /** Fills `into` from byte `position` of the file. @returns bytes read, 0 at the end */
  read(into: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/** One request to send on a peer connection. Times in ms, sizes in bytes. */
export interface ExchangeInput {
  /** The request head, from `forwardHead` (src/proxy/forward-head.ts). */
  head: Uint8Array;
  body: UpstreamBody;
  /** Opens a spool file for the replay. */
  openSpool(path: string): Promise<SpoolSource>;
  /** The request method: a response to HEAD has no body (RFC 9112 §6.3). */
  method: string;
  /** `--read-timeout` (nginx `proxy_read_timeout`): between two reads, the response head included. */
  readTimeoutMs: number;
  /** `--send-timeout` (nginx `proxy_send_timeout`): between two writes the peer accepted. */
  sendTimeoutMs: number;
  /** `--max-response-header-size` (nginx `proxy_buffer_size`): 502 past it. */
  maxHeadBytes: number;
  /** Receives each interim response but 100 (a 103 Early Hints is forwarded); an object, so no closure is made per attempt. */
  interim: InterimSink;
}

/** Where interim responses (RFC 9110 §15.2) of an exchange go. */
export interface InterimSink {
  /** Called with each 1xx head but 100 and 101, before the final response. */
  onInterim(head: ResponseHead): void;
}

/** Where a response body goes: the client connection. */
export interface BodyTarget {
  /** @returns false when the caller should wait for {@link onDrain} */
  write(bytes: Uint8Array): boolean;
  onDrain: (() => void) | undefined;
}

/** How a relayed body ended. */
export type RelayOutcome = "complete" | "upstream-error" | "read-timeout" | "client-gone";
