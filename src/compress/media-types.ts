/**
 * Which responses are worth compressing by their `Content-Type` (nginx
 * `gzip_types`), compared as bytes in place.
 *
 * @module
 */
import { ascii, type Head, nameIs } from "../http1/head.ts";
import { LOWER } from "../http1/_tables.ts";

/** `--compress-types`' default: text, JSON, JavaScript, SVG and XML (nginx's `gzip_types` is text/html alone). */
export const DEFAULT_TYPES: readonly string[] = [
  "text/*",
  "application/json",
  "application/javascript",
  "image/svg+xml",
  "application/xml",
];

/** The accepted form of one `--compress-types` entry, quoted in errors. */
export const TYPE_FORM = "a list of media types TYPE/SUBTYPE, TYPE/* or * (text/*,application/json)";

const CONTENT_TYPE = ascii("content-type");
// Server-sent events must reach the client event by event; a compressor
// holds bytes back (and an SSE client has no use for it), so they are never
// compressed, whatever --compress-types says.
const EVENT_STREAM = ascii("text/event-stream");
const TOKEN = /^[a-z0-9!#$&^_.+-]+$/;

/**
 * Matches a response's media type (RFC 9110 §8.3.1: `type/subtype`,
 * case-insensitive, parameters ignored) against a list of patterns:
 * `type/subtype` exactly, `type/*` for every subtype, `*` for any type.
 * `text/event-stream` never matches.
 */
export class TypeMatcher {
  readonly #exact: Uint8Array[] = [];
  readonly #prefixes: Uint8Array[] = [];
  readonly #any: boolean;

  /**
   * @param patterns media type patterns, e.g. {@link DEFAULT_TYPES}
   * @throws {Error} with {@link TYPE_FORM} on a malformed pattern
   */
  constructor(patterns: readonly string[]) {
    let any = false;
    for (const raw of patterns) {
      const p = raw.trim().toLowerCase();
      if (p === "*" || p === "*/*") {
        any = true;
        continue;
      }
      const slash = p.indexOf("/");
      const type = p.slice(0, slash), sub = p.slice(slash + 1);
      if (slash < 0 || !TOKEN.test(type) || (sub !== "*" && !TOKEN.test(sub))) {
        throw new Error(`"${raw}" is not a media type; expected ${TYPE_FORM}`);
      }
      if (sub === "*") this.#prefixes.push(ascii(`${type}/`));
      else this.#exact.push(ascii(p));
    }
    this.#any = any;
  }

  /**
   * Whether `h`'s first `Content-Type` names a matching type. A response
   * without one does not match (nginx: only listed types are compressed).
   */
  matches(h: Head): boolean {
    for (let i = 0; i < h.count; i++) if (nameIs(h, i, CONTENT_TYPE)) return this.matchesField(h, i);
    return false;
  }

  /** Whether field `i` of `h` (a `Content-Type`) names a matching type. */
  matchesField(h: Head, i: number): boolean {
    const buf = h.buf, s = h.fields[4 * i + 2];
    let e = s;
    const end = h.fields[4 * i + 3];
    while (e < end && buf[e] !== 59 && buf[e] !== 32 && buf[e] !== 9) e++;
    if (e === s || equals(buf, s, e, EVENT_STREAM)) return false;
    if (this.#any) return true;
    for (const x of this.#exact) if (equals(buf, s, e, x)) return true;
    for (const p of this.#prefixes) if (e - s > p.length && startsWith(buf, s, p)) return true;
    return false;
  }
}

function equals(buf: Uint8Array, s: number, e: number, lower: Uint8Array): boolean {
  return e - s === lower.length && startsWith(buf, s, lower);
}

function startsWith(buf: Uint8Array, s: number, lower: Uint8Array): boolean {
  for (let k = 0; k < lower.length; k++) if (LOWER[buf[s + k]] !== lower[k]) return false;
  return true;
}
