/** Whether char code `c` may stand bare in a key=value line: printable ASCII but space, `"`, `=` and `\`. */
function plain(c: number): boolean {
  return c > 0x20 && c < 0x7f && c !== 0x22 && c !== 0x3d && c !== 0x5c;
}

/**
 * A value as a `key=value` log line prints it: a number or a plain token as
 * it is, anything else (spaces, quotes, `=`, non-ASCII, the empty string)
 * JSON-quoted, so the line still splits on spaces outside quotes.
 */
export function kvValue(v: string | number | boolean): string {
  if (typeof v !== "string") return String(v);
  if (v.length === 0) return '""';
  for (let i = 0; i < v.length; i++) if (!plain(v.charCodeAt(i))) return JSON.stringify(v);
  return v;
}
