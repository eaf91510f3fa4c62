/**
 * The form of a request-target (RFC 9112 §3.2), checked on its first bytes only:
 * enough to refuse a target no upstream could read the same way, without
 * parsing the URI.
 *
 * @module
 */

const SLASH = 0x2f, STAR = 0x2a, COLON = 0x3a;
const isAlpha = (b: number) => (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a;
// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), RFC 3986 §3.1.
const isSchemeChar = (b: number) => isAlpha(b) || (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2d || b === 0x2e;

/**
 * Whether `buf[s, e)` (non-empty, VCHAR only) has a form a proxy can forward:
 * - origin-form: starts with `/` (§3.2.1);
 * - absolute-form: `scheme "://"...` (§3.2.2; an http(s) URI needs an authority, RFC 9110 §4.2.1);
 * - asterisk-form: exactly `*` (§3.2.4);
 * - for CONNECT, anything (§3.2.3 authority-form; holdfast's caller decides whether it tunnels at all).
 *
 * RFC 9112 §3: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad Request) error
 * or a 301 (Moved Permanently) redirect ... since the invalid request-line might be deliberately crafted to
 * bypass security filters along the request chain."
 *
 * @param buf the bytes
 * @param s first byte of the target
 * @param e end of the target (exclusive)
 * @param method the request's method, as returned by the parser
 */
export function targetFormOk(buf: Uint8Array, s: number, e: number, method: string): boolean {
  const t0 = buf[s];
  if (t0 === SLASH) return true;
  if (t0 === STAR) return e - s === 1;
  if (method === "CONNECT") return true;
  if (!isAlpha(t0)) return false;
  let p = s + 1;
  while (p < e && isSchemeChar(buf[p])) p++;
  return p + 3 <= e && buf[p] === COLON && buf[p + 1] === SLASH && buf[p + 2] === SLASH;
}
