import { ParseError } from "../http1/errors.ts";
import { ascii, fieldValue, findField, type RequestHead } from "../http1/head.ts";
import { connectionTokens } from "./hop-by-hop.ts";

/** What the lifecycle needs to know of a request head, read in one pass. */
export interface RequestFacts {
  /** The `Expect` value, lowercase, when there is one. */
  expect: string | undefined;
  /** `Connection: close` (RFC 9112 §9.6): the connection ends after this response. */
  close: boolean;
  /** `Connection: upgrade` with an `Upgrade` field (RFC 9110 §7.8): a protocol switch is asked for. */
  upgrade: boolean;
  /** The lowercase tokens of its `Connection` fields (RFC 9110 §7.6.1), read once for the whole lifecycle. */
  connection: ReadonlySet<string> | undefined;
  /** Case-insensitive field lookup, for the hashing selection policies; the first value, or null. */
  headers: { get(name: string): string | null };
}

const HOST = ascii("host");
const EXPECT = ascii("expect");
const UPGRADE = ascii("upgrade");

/**
 * Reads the facts of a request head and applies the rules on `Host`
 * (RFC 9112 §3.2): an HTTP/1.1 request without one, or any request with more
 * than one, is 400. An HTTP/1.0 request without one is accepted (the peer's
 * address becomes its Host).
 * @throws {ParseError} 400
 */
export function requestFacts(h: RequestHead): RequestFacts {
  const host = findField(h, HOST);
  if (host < 0 && h.minor === 1) throw new ParseError(400, "An HTTP/1.1 request must have a Host field");
  if (host >= 0 && findField(h, HOST, host + 1) >= 0) throw new ParseError(400, "A request must not have more than one Host field");
  const e = findField(h, EXPECT);
  const tokens = connectionTokens(h);
  return {
    expect: e < 0 ? undefined : fieldValue(h, e).toLowerCase(),
    connection: tokens,
    close: tokens !== undefined && tokens.has("close"),
    upgrade: tokens !== undefined && tokens.has("upgrade") && findField(h, UPGRADE) >= 0,
    headers: {
      get(name: string): string | null {
        const i = findField(h, ascii(name.toLowerCase()));
        return i < 0 ? null : fieldValue(h, i);
      },
    },
  };
}
