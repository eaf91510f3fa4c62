// A value printed bare in a key=value line: no space, quote, `=`, backslash or control/non-ASCII character.
const PLAIN = /^[\x21\x23-\x3c\x3e-\x5b\x5d-\x7e]+$/;

/**
 * A value as a `key=value` log line prints it: a number or a plain token as
 * it is, anything else (spaces, quotes, `=`, non-ASCII, the empty string)
 * JSON-quoted, so the line still splits on spaces outside quotes.
 */
export function kvValue(v: string | number | boolean): string {
  if (typeof v !== "string") return String(v);
  return PLAIN.test(v) ? v : JSON.stringify(v);
}
