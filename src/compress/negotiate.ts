/**
 * Choosing a content coding from a request's `Accept-Encoding` (RFC 9110
 * §12.5.3), reading the field's bytes in place: no string, no regex, no
 * object per request.
 *
 * @module
 */
import { ascii, type Head, nameIs } from "../http1/head.ts";
import { LOWER } from "../http1/_tables.ts";
import type { Coding } from "./codings.ts";

const ACCEPT_ENCODING = ascii("accept-encoding");
const NAMES: Readonly<Record<Coding, Uint8Array>> = { gzip: ascii("gzip"), br: ascii("br"), zstd: ascii("zstd") };
// RFC 9110 §8.4.1.3: a recipient SHOULD consider "x-gzip" to be equivalent to "gzip".
const X_GZIP = ascii("x-gzip");
const IDENTITY = ascii("identity");
const STAR = ascii("*");
const UNSET = -1;

// q-values of the request being negotiated, by index in `offered`; reset on each call (one request at a time).
const Q = new Float64Array(8);

/**
 * The coding to send a response in, from what the client accepts and what
 * holdfast offers:
 * - no `Accept-Encoding` field: none (identity), as nginx does, though RFC
 *   9110 would allow any coding;
 * - each offered coding's weight is its own entry's q, else that of `*`,
 *   else 0 (not acceptable); `q=0` excludes it;
 * - the highest weight above 0 wins; on a tie the order of `offered` (the
 *   server's preference, `--compress`'s order) decides;
 * - an explicit `identity` weighted higher than the winner keeps the body as
 *   it is (`identity` is otherwise acceptable by default and is no reason
 *   not to compress).
 *
 * A malformed weight (`q=2`, `q=x`) makes its entry not acceptable; names are
 * case-insensitive (§8.4.1), other parameters are ignored.
 *
 * @param h the request head; every `Accept-Encoding` field line is read, as one list (RFC 9110 §5.3)
 * @param offered holdfast's codings in order of preference, at most 8
 * @returns the coding to apply, or undefined to send the identity body
 */
export function negotiate(h: Head, offered: readonly Coding[]): Coding | undefined {
  let seen = false;
  let star = UNSET;
  let identity = UNSET;
  Q.fill(UNSET, 0, offered.length);
  const buf = h.buf, f = h.fields;
  for (let i = 0; i < h.count; i++) {
    if (!nameIs(h, i, ACCEPT_ENCODING)) continue;
    seen = true;
    const end = f[4 * i + 3];
    let at = f[4 * i + 2];
    while (at < end) {
      // One list element: OWS token *( OWS ";" OWS name "=" value ) OWS, up to the next comma.
      while (at < end && (buf[at] === 44 || isOws(buf[at]))) at++;
      const ts = at;
      while (at < end && buf[at] !== 44 && buf[at] !== 59 && !isOws(buf[at])) at++;
      const te = at;
      let q = 1;
      while (at < end && buf[at] !== 44) {
        if (buf[at] !== 59) {
          at++;
          continue;
        }
        at++;
        while (at < end && isOws(buf[at])) at++;
        if (at + 1 < end && LOWER[buf[at]] === 113 && buf[at + 1] === 61) {
          const vs = at + 2;
          at = vs;
          while (at < end && buf[at] !== 44 && buf[at] !== 59 && !isOws(buf[at])) at++;
          q = qvalue(buf, vs, at);
        }
      }
      if (te === ts) continue;
      if (is(buf, ts, te, STAR)) star = first(star, q);
      else if (is(buf, ts, te, IDENTITY)) identity = first(identity, q);
      else {
        for (let k = 0; k < offered.length; k++) {
          const c = offered[k];
          if (is(buf, ts, te, NAMES[c]) || (c === "gzip" && is(buf, ts, te, X_GZIP))) Q[k] = first(Q[k], q);
        }
      }
    }
  }
  if (!seen) return undefined;
  let best = -1;
  let bestQ = 0;
  for (let k = 0; k < offered.length; k++) {
    const q = Q[k] !== UNSET ? Q[k] : star !== UNSET ? star : 0;
    if (q > bestQ) {
      bestQ = q;
      best = k;
    }
  }
  if (best < 0 || identity > bestQ) return undefined;
  return offered[best];
}

// The first entry for a name counts; a repeated one is ignored.
function first(current: number, q: number): number {
  return current === UNSET ? q : current;
}

function isOws(b: number): boolean {
  return b === 32 || b === 9;
}

function is(buf: Uint8Array, s: number, e: number, lower: Uint8Array): boolean {
  if (e - s !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) if (LOWER[buf[s + k]] !== lower[k]) return false;
  return true;
}

/**
 * A weight (RFC 9110 §12.4.2): `0`, `0.5`, `1`, `1.000`, up to three
 * decimals and at most 1. @returns the weight, or 0 when malformed
 */
function qvalue(buf: Uint8Array, s: number, e: number): number {
  if (s >= e || (buf[s] !== 48 && buf[s] !== 49)) return 0;
  let v = buf[s] - 48;
  if (s + 1 === e) return v;
  if (buf[s + 1] !== 46 || e - s > 5) return 0;
  let scale = 0.1;
  for (let k = s + 2; k < e; k++) {
    const d = buf[k] - 48;
    if (d < 0 || d > 9) return 0;
    v += d * scale;
    scale /= 10;
  }
  return v > 1 ? 0 : v;
}
