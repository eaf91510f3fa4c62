/**
 * The stderr line that keeps what a generic error body leaves out (the
 * peer's address, the errno name, the spool path), tied to the response by
 * its request id. One function, so an event log can take these lines over.
 *
 * @module
 */

/**
 * `holdfast: request ID: STATUS detail` and a newline.
 * @param requestId the id in the access log and in the client's error body
 * @param status the status the client was sent
 * @param detail what went wrong, as the failure said it
 */
export function failureLine(requestId: string, status: number, detail: string): string {
  return `holdfast: request ${requestId}: ${status} ${detail}\n`;
}
