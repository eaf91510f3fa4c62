/**
 * The bodies of the error responses holdfast makes itself. A 5xx body is
 * generic, as nginx's and HAProxy's are: what went wrong inside (a peer's
 * address, an errno name, a path) is for the operator's log, not for every
 * client; the request id in the body finds the detail line on stderr
 * (failure-log.ts). A 4xx body keeps its one sentence, which describes the
 * client's own request (`Request body of 9000 bytes is larger than
 * --max-body 1024`), never holdfast's internals.
 *
 * @module
 */
import { reasonOf } from "../http1/reasons.ts";

const ENC = new TextEncoder();

// What a client may know about each server error: the kind of trouble, and that it passes.
const GENERIC: Record<number, string> = {
  500: "an internal error in the proxy",
  501: "the proxy does not support this request",
  502: "the upstream is unavailable",
  503: "the proxy is restarting; try again shortly",
  504: "the upstream did not answer in time",
  507: "no room to store the request body",
};

/**
 * `STATUS REASON: what happened` and the request id, one line each.
 * @param status the response status (4xx or 5xx)
 * @param message the failure's own sentence: in the body for a 4xx, dropped for a 5xx
 * @param requestId the id the access log and the stderr detail line carry
 */
export function errorBody(status: number, message: string, requestId: string): Uint8Array {
  const what = status >= 500 ? GENERIC[status] : message;
  return ENC.encode(`${status} ${reasonOf(status)}${what ? `: ${what}` : ""}\nrequest id: ${requestId}\n`);
}
