import { ascii, fieldValue, nameIs, type RequestHead } from "../http1/head.ts";
import { HeadWriter } from "../http1/writer.ts";
import { FieldCopier } from "./field-copier.ts";
import { connectionTokens, isHopByHop, SET_BY_PROXY } from "./hop-by-hop.ts";

/** What holdfast adds to the request it forwards (nginx's `proxy_set_header` recipe). */
export interface ForwardFacts {
  /** The client's IP address (`$remote_addr`). */
  clientAddress: string;
  /** `http` or `https`: the scheme the client used (`$scheme`). */
  proto: string;
  /** Host for the peer when the client sent none (HTTP/1.0) or an absolute-form target named one. */
  fallbackHost: string;
  /** The de-chunked body's length in bytes; undefined when the request has no body or it is sent {@link chunked}. */
  bodyBytes: number | undefined;
  /** The body streams to the peer chunked (`buffer-request=off` with a chunked client body): `Transfer-Encoding: chunked`. */
  chunked?: boolean;
  /** Forward `Connection: upgrade` and `Upgrade` (a WebSocket handshake). */
  upgrade: boolean;
  /** The head's `Connection` tokens when already read ({@link connectionTokens}); else read here. */
  connection?: ReadonlySet<string>;
  /** The origin-form target to send instead of the client's (a route's `strip-prefix` or `rewrite=`, nginx `proxy_pass` with a URI). */
  target?: string;
  /** Lowercase names of client fields not to forward, because {@link extra} replaces them (a route's `set-header`). */
  replace?: readonly Uint8Array[];
  /** Fields to add, `[name, value]` (a route's `set-header`, nginx `proxy_set_header`); they take the place of holdfast's own of the same name. */
  extra?: readonly [string, string][];
}

// One writer and one copier for every head: finish() hands out the bytes and starts the next head.
const WRITER = new HeadWriter();
const COPIER = new FieldCopier();
const HTTP11 = ascii(" HTTP/1.1\r\n");

/**
 * The request head holdfast sends to a peer. It changes only what a proxy
 * must: the request line says HTTP/1.1 (holdfast keeps peer connections
 * alive); hop-by-hop fields (RFC 9110 §7.6.1: the fixed set and every field
 * named in `Connection`) are dropped, except `Connection: upgrade` and
 * `Upgrade` for a handshake (Caddy forwards them, nginx with
 * `proxy_set_header`); `Expect` is dropped (holdfast answered it);
 * `Content-Length` is the spooled body's (a de-chunked body is sent with its
 * length, RFC 9112 §6.2); `X-Forwarded-For` is appended and `X-Real-IP`,
 * `X-Forwarded-Proto`, `X-Forwarded-Host` set. Every other field line is
 * copied byte for byte, in order, with its name's case.
 *
 * An absolute-form target (RFC 9112 §3.2.2) is sent in origin form, with the
 * target's authority as `Host`.
 *
 * @returns the head's bytes, ending with the empty line
 */
export function forwardHead(h: RequestHead, f: ForwardFacts): Uint8Array {
  const named = "connection" in f ? f.connection : connectionTokens(h);
  const w = WRITER;
  let target = h.target;
  let hostOverride: string | undefined;
  if (target.charCodeAt(0) !== 47 /* / */ && target !== "*") {
    const abs = splitAbsolute(target);
    if (abs) {
      target = abs.path;
      hostOverride = abs.authority;
    }
  }
  if (f.target !== undefined) target = f.target;
  w.ascii(h.method).ascii(" ");
  if (target === h.target) w.range(h.buf, h.targetStart, h.targetEnd);
  else w.ascii(target);
  w.bytes(HTTP11);
  const buf = h.buf;
  const fields = h.fields;
  const copy = COPIER.start(w, h);
  let hostAt = -1;
  let priorFor: string | undefined;
  const replace = f.replace;
  for (let i = 0; i < h.count; i++) {
    const kind = isHopByHop(buf, fields[4 * i], fields[4 * i + 1], named);
    let keep = kind === SET_BY_PROXY.keep && (replace === undefined || !anyNameIs(h, i, replace));
    if (kind === SET_BY_PROXY.host) {
      if (hostAt < 0) hostAt = i;
      keep = hostOverride === undefined && (replace === undefined || !anyNameIs(h, i, replace));
    } else if (kind === SET_BY_PROXY.forwardedFor) {
      priorFor = priorFor === undefined ? fieldValue(h, i) : `${priorFor}, ${fieldValue(h, i)}`;
    } else if (kind === SET_BY_PROXY.upgrade) keep = f.upgrade;
    copy.line(i, keep);
  }
  copy.end();
  // A route's set-header takes the place of the field holdfast would set itself.
  if (own(replace, HOST)) {
    if (hostOverride !== undefined) w.ascii("Host: ").ascii(hostOverride).crlf();
    else if (hostAt < 0) w.ascii("Host: ").ascii(f.fallbackHost).crlf();
  }
  if (f.upgrade) w.ascii("Connection: upgrade").crlf();
  if (own(replace, XFF)) {
    w.ascii("X-Forwarded-For: ").ascii(priorFor === undefined ? f.clientAddress : `${priorFor}, ${f.clientAddress}`).crlf();
  }
  if (own(replace, XRI)) w.ascii("X-Real-IP: ").ascii(f.clientAddress).crlf();
  if (own(replace, XFP)) w.ascii("X-Forwarded-Proto: ").ascii(f.proto).crlf();
  if (own(replace, XFH)) {
    if (hostOverride !== undefined) w.ascii("X-Forwarded-Host: ").ascii(hostOverride).crlf();
    else if (hostAt >= 0) w.ascii("X-Forwarded-Host: ").range(buf, fields[4 * hostAt + 2], fields[4 * hostAt + 3]).crlf();
  }
  if (f.extra) { for (const [name, value] of f.extra) w.ascii(name).ascii(": ").ascii(value).crlf(); }
  if (f.bodyBytes !== undefined) w.ascii("Content-Length: ").ascii(String(f.bodyBytes)).crlf();
  else if (f.chunked) w.ascii("Transfer-Encoding: chunked").crlf();
  return w.crlf().finish();
}

const HOST = ascii("host");
const XFF = ascii("x-forwarded-for");
const XRI = ascii("x-real-ip");
const XFP = ascii("x-forwarded-proto");
const XFH = ascii("x-forwarded-host");

/** Whether holdfast sets the field `lower` itself: no route's set-header replaces it. */
function own(replace: readonly Uint8Array[] | undefined, lower: Uint8Array): boolean {
  if (replace === undefined) return true;
  for (const r of replace) if (r.length === lower.length && r.every((b, k) => b === lower[k])) return false;
  return true;
}

/** Whether field `i` of `h` has one of the lowercase `names`. */
function anyNameIs(h: RequestHead, i: number, names: readonly Uint8Array[]): boolean {
  for (const n of names) if (nameIs(h, i, n)) return true;
  return false;
}

/** `http://host:port/path?q` -> authority and origin-form path; undefined when not absolute-form. */
function splitAbsolute(target: string): { authority: string; path: string } | undefined {
  const m = /^https?:\/\/([^/?#]*)([^#]*)/i.exec(target);
  if (!m || !m[1]) return undefined;
  const path = m[2] || "/";
  return { authority: m[1], path: path.startsWith("/") ? path : `/${path}` };
}
