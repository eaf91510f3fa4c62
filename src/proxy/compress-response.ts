/**
 * Response compression, per response: whether to compress (nginx `gzip`
 * with `gzip_vary on`), the fields of the client's head that change, and the
 * relay through the compressor.
 *
 * @module
 */
import { ascii, fieldValue, type RequestHead, type ResponseHead } from "../http1/head.ts";
import type { Framing } from "../http1/framing.ts";
import { LOWER } from "../http1/_tables.ts";
import { AttemptError } from "../errors.ts";
import type { Coding } from "../compress/codings.ts";
import { compressWhole } from "../compress/codings.ts";
import type { CompressConfig } from "../compress/flags.ts";
import { negotiate } from "../compress/negotiate.ts";
import { StreamCompressor } from "../compress/stream.ts";
import type { BodyTarget, RelayOutcome } from "../transport/types.ts";
import type { Exchange } from "../transport/exchange.ts";
import type { ClientConnection } from "../engine/client-conn.ts";
import type { ClientSignal } from "./gone.ts";
import { type ClientFraming, clientResponseHead, type HeadEdit } from "./response-head.ts";

// Response fields that decide or change, by name length then name.
const CONTENT_TYPE = ascii("content-type");
const CONTENT_ENCODING = ascii("content-encoding");
const CONTENT_RANGE = ascii("content-range");
const ACCEPT_RANGES = ascii("accept-ranges");
const CACHE_CONTROL = ascii("cache-control");
const VARY = ascii("vary");
const ETAG = ascii("etag");
const NO_TRANSFORM = ascii("no-transform");

// Bodies up to this size with a Content-Length are read whole and compressed
// in one call (the handler reads the same ones whole; zlib's one-shot call
// costs half a stream's per MB, bench/compress.ts), and keep a Content-Length.
const WHOLE_BODY_BYTES = 256 * 1024;

/**
 * What to do with one response: its coding (undefined: sent as it is, only
 * `Vary` added) and the field changes.
 */
export class CompressPlan {
  /**
   * @param coding the coding to apply, or undefined when the client accepts none (the body is unchanged)
   * @param drop indexes of the peer's fields replaced (`Vary` merged, a strong `ETag` weakened)
   * @param fields field lines to add, CRLF-terminated, framing aside
   */
  constructor(readonly coding: Coding | undefined, readonly level: number, readonly drop: number[], readonly fields: string) {}

  /** The head edit, with `framingLine` (e.g. `Transfer-Encoding: chunked`) added when given. */
  edit(framingLine?: string): HeadEdit {
    return { drop: this.drop, lines: ascii(framingLine ? `${this.fields}${framingLine}\r\n` : this.fields) };
  }
}

/**
 * Whether and how to compress `res`, the response to `req`. Not compressed
 * (undefined): HEAD, 1xx, 204, 205, 206, 304, no body, a `Content-Length`
 * under `minLength`, a `Content-Encoding` or `Content-Range` already there,
 * `Cache-Control: no-transform` (RFC 9110 §7.7), a type not in `types` (or
 * `text/event-stream`, never). Otherwise a plan, with `Vary:
 * Accept-Encoding` even when the client accepts no offered coding, so a
 * cache keeps the two apart (nginx `gzip_vary`).
 *
 * @param framing the response body's framing (RFC 9112 §6.3)
 */
export function planCompression(
  s: CompressConfig,
  req: RequestHead,
  res: ResponseHead,
  framing: Framing,
): CompressPlan | undefined {
  const status = res.status;
  if (req.method === "HEAD" || status < 200 || status === 204 || status === 205 || status === 206 || status === 304) return undefined;
  if (framing.kind === "none" || (framing.kind === "length" && (framing.bytes === 0 || framing.bytes < s.minLength))) return undefined;
  let typed = false;
  let vary: number[] | undefined;
  let varyCovers = false;
  let etag = -1;
  let ranges = -1;
  const f = res.fields, buf = res.buf;
  for (let i = 0; i < res.count; i++) {
    const ns = f[4 * i], len = f[4 * i + 1] - ns;
    if (len === 12 && is(buf, ns, CONTENT_TYPE)) typed ||= s.types.matchesField(res, i);
    else if (len === 16 && is(buf, ns, CONTENT_ENCODING)) return undefined;
    else if (len === 13 && is(buf, ns, CONTENT_RANGE)) return undefined;
    else if (len === 13 && is(buf, ns, CACHE_CONTROL) && hasToken(buf, f[4 * i + 2], f[4 * i + 3], NO_TRANSFORM)) return undefined;
    else if (len === 4 && is(buf, ns, VARY)) {
      (vary ??= []).push(i);
      varyCovers ||= varyHasAcceptEncoding(fieldValue(res, i));
    } else if (len === 4 && is(buf, ns, ETAG)) etag = i;
    else if (len === 13 && is(buf, ns, ACCEPT_RANGES)) ranges = i;
  }
  if (!typed) return undefined;
  const coding = negotiate(req, s.codings);
  const drop: number[] = [];
  let lines = coding ? `Content-Encoding: ${coding}\r\n` : "";
  // Byte ranges of the peer's bytes mean nothing against the encoded ones (nginx's gzip drops it too).
  if (coding && ranges >= 0) drop.push(ranges);
  if (!varyCovers) {
    if (vary) {
      // Merged into one line: the list the peer sent, then Accept-Encoding (RFC 9110 §12.5.5).
      const names = vary.flatMap((i) => fieldValue(res, i).split(",")).map((v) => v.trim()).filter((v) => v !== "");
      lines += `Vary: ${[...names, "Accept-Encoding"].join(", ")}\r\n`;
      drop.push(...vary);
    } else lines += "Vary: Accept-Encoding\r\n";
  }
  // nginx weakens a strong validator of a compressed response: the bytes differ (RFC 9110 §8.8.1).
  if (coding && etag >= 0 && buf[f[4 * etag + 2]] === 34) {
    lines += `ETag: W/${fieldValue(res, etag)}\r\n`;
    drop.push(etag);
  }
  return new CompressPlan(coding, coding ? s.levels[coding] : 0, drop, lines);
}

/**
 * Relays a response body through the compressor to the client and writes
 * the head first: a `Content-Length` body up to 256 KiB is read whole and
 * sent compressed with its new `Content-Length`; any other body is
 * compressed as it comes, `Transfer-Encoding: chunked` to an HTTP/1.1
 * client, close-delimited to an HTTP/1.0 one (`toClient.close` is then
 * already set), flushed after each peer read unless it has a length.
 *
 * @param plan a plan with a coding
 * @param toClient the framing the handler chose for an uncompressed relay
 * @param out where a streamed body's encoded bytes go: the client connection, or a
 *   `ResponseSpool` in front of it (nginx `proxy_buffering on`)
 * @returns how the relay ended, and the encoded bytes sent
 * @throws {AttemptError} when the peer stalls or breaks off a body read whole (504 / 502 then)
 */
export async function relayCompressed(
  plan: CompressPlan,
  ex: Exchange,
  conn: ClientConnection,
  toClient: ClientFraming,
  gone: ClientSignal,
  readTimeoutMs: number,
  out: BodyTarget = conn,
): Promise<{ outcome: RelayOutcome; sent: number }> {
  const coding = plan.coding!;
  const res = ex.head!, f = ex.framing;
  const framing: ClientFraming = { ...toClient, passChunked: false, keepLength: false };
  if (f.kind === "length" && f.bytes <= WHOLE_BODY_BYTES) {
    let body: Uint8Array;
    if (ex.collect()) body = ex.bodyBuf.subarray(ex.bodyStart, ex.bodyEnd);
    else {
      const whole = new Whole(f.bytes);
      const outcome = await ex.relay(whole, false);
      if (outcome === "read-timeout") {
        throw new AttemptError("read-timeout", `The peer stopped sending its response body for --read-timeout ${readTimeoutMs} ms`);
      }
      if (outcome === "upstream-error") throw new AttemptError("reset", "The peer broke off its response body");
      if (outcome !== "complete") return { outcome, sent: 0 };
      body = whole.into;
    }
    const encoded = compressWhole(coding, plan.level, body);
    framing.edit = plan.edit(`Content-Length: ${encoded.byteLength}`);
    conn.writeHead(clientResponseHead(res, framing, encoded));
    return { outcome: "complete", sent: encoded.byteLength };
  }
  const chunked = conn.minor === 1;
  framing.edit = plan.edit(chunked ? "Transfer-Encoding: chunked" : undefined);
  conn.writeHead(clientResponseHead(res, framing));
  const z = new StreamCompressor(out, { coding, level: plan.level, chunked, flushEachRead: f.kind !== "length" });
  let outcome = await ex.relay(z, f.kind === "chunked");
  if (outcome === "complete" && !gone.aborted) {
    // The client may leave while the compressor's tail is written.
    gone.exchange = z;
    outcome = await z.end();
    gone.exchange = undefined;
  } else z.cancel(outcome);
  return { outcome, sent: z.bytesOut };
}

/** Gathers a body of a known length in one buffer. */
class Whole implements BodyTarget {
  onDrain: (() => void) | undefined;
  readonly into: Uint8Array;
  #at = 0;
  constructor(bytes: number) {
    this.into = new Uint8Array(bytes);
  }
  write(b: Uint8Array): boolean {
    this.into.set(b, this.#at);
    this.#at += b.byteLength;
    return true;
  }
}

function is(buf: Uint8Array, s: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[buf[s + k]] !== lower[k]) return false;
  return true;
}

/** Whether the comma-separated list `buf[s..e)` holds `lower` as a whole token (ignoring `=value`). */
function hasToken(buf: Uint8Array, s: number, e: number, lower: Uint8Array): boolean {
  for (let at = s; at + lower.length <= e; at++) {
    if ((at === s || buf[at - 1] === 44 || buf[at - 1] === 32 || buf[at - 1] === 9) && is(buf, at, lower)) {
      const after = at + lower.length;
      if (after === e || buf[after] === 44 || buf[after] === 32 || buf[after] === 9) return true;
    }
  }
  return false;
}

function varyHasAcceptEncoding(v: string): boolean {
  for (const t of v.split(",")) {
    const name = t.trim().toLowerCase();
    if (name === "*" || name === "accept-encoding") return true;
  }
  return false;
}
