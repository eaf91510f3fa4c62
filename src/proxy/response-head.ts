import { ascii, nameIs, type ResponseHead } from "../http1/head.ts";
import { HeadWriter } from "../http1/writer.ts";
import { connectionTokens, isHopByHop, RESPONSE_TABLE, SET_BY_PROXY } from "./hop-by-hop.ts";
import { FieldCopier } from "./field-copier.ts";

/** How the client's copy of a response is framed. */
export interface ClientFraming {
  /** Keep the peer's `Transfer-Encoding` (the body is relayed exactly as received, chunked). */
  passChunked: boolean;
  /** Keep the peer's `Content-Length`. */
  keepLength: boolean;
  /** Say `Connection: close`: holdfast closes the client connection after this response. */
  close: boolean;
  /** A 101: forward `Upgrade` and say `Connection: upgrade`. */
  upgrade: boolean;
  /** The head's `Connection` tokens when already read ({@link connectionTokens}); else read here. */
  connection?: ReadonlySet<string>;
  /** Lowercase names of fields not to pass on (a route's `hide-header`, nginx `proxy_hide_header`). */
  hide?: readonly Uint8Array[];
  /** Fields changed by holdfast (compression: src/proxy/compress-response.ts). */
  edit?: HeadEdit;
}

/** Changes to a response's fields beyond hop-by-hop ones. */
export interface HeadEdit {
  /** Indexes of the peer's fields not to copy. */
  drop: readonly number[];
  /** Field lines to add after the copied ones, each ending in CRLF. */
  lines: Uint8Array;
}

// One writer for every head: finish() hands out an exact copy and resets it.
const WRITER = new HeadWriter();
const COPIER = new FieldCopier();
const HTTP11 = ascii("HTTP/1.1 ");

/**
 * The response head holdfast sends to the client for a peer's response:
 * `HTTP/1.1`, the peer's status code and reason phrase as received, every
 * field line byte for byte except the hop-by-hop ones (RFC 9110 §7.6.1 and
 * those named in `Connection`), whose framing holdfast decides itself
 * (`Content-Length` and `Transfer-Encoding` per {@link ClientFraming}).
 *
 * @param body a small whole body to send in the same write, after the head: `body[bodyStart..bodyEnd)`
 * @returns the head's bytes, ending with the empty line, then `body`
 */
export function clientResponseHead(
  h: ResponseHead,
  f: ClientFraming,
  body?: Uint8Array,
  bodyStart = 0,
  bodyEnd = body?.byteLength ?? 0,
): Uint8Array {
  const named = "connection" in f ? f.connection : connectionTokens(h);
  const w = WRITER.bytes(HTTP11);
  // The status code and reason are copied as received (3 digits, SP, reason).
  const codeStart = h.reasonStart - 4 >= 0 && h.buf[h.reasonStart - 1] === 32 ? h.reasonStart - 4 : -1;
  if (codeStart >= 0) w.range(h.buf, codeStart, h.reasonEnd);
  else w.ascii(`${h.status} `).range(h.buf, h.reasonStart, h.reasonEnd);
  w.crlf();
  const fields = h.fields;
  const copy = COPIER.start(w, h);
  const hide = f.hide;
  const drop = f.edit?.drop;
  for (let i = 0; i < h.count; i++) {
    const kind = isHopByHop(h.buf, fields[4 * i], fields[4 * i + 1], named, RESPONSE_TABLE);
    copy.line(
      i,
      ((kind === SET_BY_PROXY.keep && (hide === undefined || !hidden(h, i, hide))) ||
        (kind === SET_BY_PROXY.transferEncoding && f.passChunked) ||
        (kind === SET_BY_PROXY.contentLength && f.keepLength) ||
        (kind === SET_BY_PROXY.upgrade && f.upgrade)) && (drop === undefined || !drop.includes(i)),
    );
  }
  copy.end();
  if (f.edit) w.bytes(f.edit.lines);
  if (f.upgrade) w.ascii("Connection: upgrade").crlf();
  else if (f.close) w.ascii("Connection: close").crlf();
  w.crlf();
  const n = bodyEnd - bodyStart;
  if (body === undefined || n <= 0) return w.finish();
  // A body that fits the writer's slab goes in it: one buffer, no extra copy.
  if (n <= INLINE_BODY_BYTES) return w.range(body, bodyStart, bodyEnd).finish();
  const head = w.finish();
  const whole = new Uint8Array(head.byteLength + n);
  whole.set(head);
  whole.set(bodyStart === 0 && bodyEnd === body.byteLength ? body : body.subarray(bodyStart, bodyEnd), head.byteLength);
  return whole;
}

function hidden(h: ResponseHead, i: number, names: readonly Uint8Array[]): boolean {
  for (const n of names) if (nameIs(h, i, n)) return true;
  return false;
}

// Bodies up to this size are appended in the head writer's slab (16 KiB).
const INLINE_BODY_BYTES = 4096;

/** Status line and fields of a response holdfast makes itself (errors, 100, the offline page). */
export function ownResponseHead(status: number, reason: string, fields: [string, string][]): Uint8Array {
  const w = WRITER.ascii(`HTTP/1.1 ${status} ${reason}`).crlf();
  for (const [k, v] of fields) w.ascii(k).ascii(": ").ascii(v).crlf();
  return w.crlf().finish();
}
