import type { TransportErrorKind } from "./types.ts";

// Codes both runtimes put on a failed connect: nothing reached the peer.
const REFUSED = new Set([
  "ECONNREFUSED", "ConnectionRefused", "FailedToOpenSocket", "EHOSTUNREACH",
  "ENETUNREACH", "EADDRNOTAVAIL", "ENOTFOUND", "EAI_AGAIN", "ENOENT",
]);

/**
 * Tags a transport error with `transportKind` ("refused" or "reset") so the
 * retry logic does not have to know each runtime's error codes.
 *
 * @param err what `fetch` or `node:http` rejected with
 * @returns the same error object, tagged; unknown errors are tagged "reset",
 *   the cautious choice, since part of the request may have been sent.
 */
export function tagTransportError(err: unknown): Error & { transportKind: TransportErrorKind } {
  const e = (err instanceof Error ? err : new Error(String(err))) as Error & {
    code?: string;
    transportKind: TransportErrorKind;
  };
  const code = e.code ?? "";
  e.transportKind = REFUSED.has(code) || /connection refused/i.test(e.message) ? "refused" : "reset";
  return e;
}
