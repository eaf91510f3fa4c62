import { ascii, fieldValue, type Head, valueIs } from "../http1/head.ts";

/**
 * How a field line is treated when a message is forwarded. Numbers, not
 * strings: this is asked of every field of every message.
 */
export const SET_BY_PROXY = {
  /** Copied as received. */
  keep: 0,
  /** Dropped: hop-by-hop (RFC 9110 §7.6.1), or replaced by holdfast. */
  drop: 1,
  /** `Host`: kept, and read for `X-Forwarded-Host`. */
  host: 2,
  /** `X-Forwarded-For`: folded into the one holdfast appends to. */
  forwardedFor: 3,
  /** `Upgrade`: kept only for a protocol switch (RFC 9110 §7.8). */
  upgrade: 4,
  /** `Transfer-Encoding` of a response: re-sent only when the body is relayed as received. */
  transferEncoding: 5,
  /** `Content-Length` of a response: kept when the body is relayed with its length. */
  contentLength: 6,
} as const;

type Table = (readonly [Uint8Array, number])[][];

function table(entries: [string, number][]): Table {
  const t: Table = [];
  for (const [name, kind] of entries) (t[name.length] ??= []).push([ascii(name), kind]);
  return t;
}

// RFC 9110 §7.6.1 names Connection, Proxy-Connection, Keep-Alive, TE,
// Transfer-Encoding and Upgrade; Trailer and the Proxy-Auth fields are
// per-hop too (RFC 9110 §11.7). holdfast answers Expect itself (§10.1.1)
// and sends its own Content-Length for the spooled body.
const HOP = [
  ["connection", SET_BY_PROXY.drop],
  ["proxy-connection", SET_BY_PROXY.drop],
  ["keep-alive", SET_BY_PROXY.drop],
  ["te", SET_BY_PROXY.drop],
  ["trailer", SET_BY_PROXY.drop],
  ["proxy-authenticate", SET_BY_PROXY.drop],
  ["proxy-authorization", SET_BY_PROXY.drop],
] as [string, number][];

/** How each field of a client's request is forwarded to a peer. */
export const REQUEST_TABLE: Table = table([
  ...HOP,
  ["transfer-encoding", SET_BY_PROXY.drop],
  ["upgrade", SET_BY_PROXY.upgrade],
  ["expect", SET_BY_PROXY.drop],
  ["content-length", SET_BY_PROXY.drop],
  ["host", SET_BY_PROXY.host],
  ["x-forwarded-for", SET_BY_PROXY.forwardedFor],
  // Set from what holdfast saw, never trusted from the client.
  ["x-real-ip", SET_BY_PROXY.drop],
  ["x-forwarded-proto", SET_BY_PROXY.drop],
  ["x-forwarded-host", SET_BY_PROXY.drop],
]);

/** How each field of a peer's response is forwarded to the client. */
export const RESPONSE_TABLE: Table = table([
  ...HOP,
  ["transfer-encoding", SET_BY_PROXY.transferEncoding],
  ["upgrade", SET_BY_PROXY.upgrade],
  ["content-length", SET_BY_PROXY.contentLength],
]);

/**
 * Classifies the field name `buf[ns..ne)` against `t` (default: requests),
 * plus the names a `Connection` field listed (`named`, lowercase).
 * @returns one of {@link SET_BY_PROXY}
 */
export function isHopByHop(
  buf: Uint8Array,
  ns: number,
  ne: number,
  named: ReadonlySet<string> | undefined,
  t: Table = REQUEST_TABLE,
): number {
  const len = ne - ns;
  const candidates = t[len];
  if (candidates !== undefined) {
    for (let c = 0; c < candidates.length; c++) {
      const [name, kind] = candidates[c];
      let i = 0;
      while (i < len && (buf[ns + i] | 0x20) === name[i]) i++;
      if (i === len) return kind;
    }
  }
  if (named !== undefined && named.size > 0 && !ONLY_STANDARD.has(named)) {
    let s = "";
    for (let i = ns; i < ne; i++) s += String.fromCharCode(buf[i] | (buf[i] >= 65 && buf[i] <= 90 ? 0x20 : 0));
    if (named.has(s)) return SET_BY_PROXY.drop;
  }
  return SET_BY_PROXY.keep;
}

const CONNECTION = ascii("connection");
const KEEP_ALIVE_BYTES = ascii("keep-alive");
const CLOSE_BYTES = ascii("close");
const UPGRADE_BYTES = ascii("upgrade");
const KEEP_ALIVE = new Set(["keep-alive"]);
const CLOSE = new Set(["close"]);
const UPGRADE = new Set(["upgrade"]);
// Token sets that name no other field: no per-field name decoding needed.
const ONLY_STANDARD = new WeakSet<ReadonlySet<string>>([KEEP_ALIVE, CLOSE, UPGRADE]);

/**
 * The lowercase tokens of every `Connection` field of `h` (RFC 9110 §7.6.1),
 * or undefined when it has none. The usual single `keep-alive`, `close` or
 * `upgrade` returns a shared set, so most messages allocate nothing here.
 */
export function connectionTokens(h: Head): ReadonlySet<string> | undefined {
  let out: Set<string> | undefined;
  let shared: ReadonlySet<string> | undefined;
  for (let i = 0; i < h.count; i++) {
    const ns = h.fields[4 * i], ne = h.fields[4 * i + 1];
    if (ne - ns !== 10) continue;
    let k = 0;
    while (k < 10 && (h.buf[ns + k] | 0x20) === CONNECTION[k]) k++;
    if (k !== 10) continue;
    // The usual single token is compared as bytes: no string per message.
    const known = valueIs(h, i, KEEP_ALIVE_BYTES)
      ? KEEP_ALIVE
      : valueIs(h, i, CLOSE_BYTES)
      ? CLOSE
      : valueIs(h, i, UPGRADE_BYTES)
      ? UPGRADE
      : undefined;
    if (known && !out && (!shared || shared === known)) {
      shared = known;
      continue;
    }
    const v = fieldValue(h, i).toLowerCase();
    out ??= new Set(shared);
    for (const t of v.split(",")) {
      const token = t.trim();
      if (token) out.add(token);
    }
  }
  return out ?? shared;
}
