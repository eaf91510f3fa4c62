import type { AccessRecord } from "../access-log.ts";
import type { OnParseError } from "../engine/client-conn.ts";
import { RequestRecord } from "../proxy/request-record.ts";
import { receivedLine } from "./request-fields.ts";

/**
 * Access-logs request heads that did not parse (400, 414, 431, 501, 505,
 * smuggling rejects), as nginx logs its 400s: the line shows the status,
 * the bytes of holdfast's answer and the request line as received.
 * @param onDone the access log
 */
export function accessLogParseErrors(onDone: (r: AccessRecord) => void): OnParseError {
  return (conn, status, _message, sentBytes) => {
    const rec = new RequestRecord(conn.clientAddress, "", "");
    rec.requestLine = receivedLine(conn.input.bytes);
    rec.status = status;
    rec.sentBytes = sentBytes;
    onDone(rec);
  };
}
