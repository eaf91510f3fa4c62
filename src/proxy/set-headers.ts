/**
 * A route's `set-header=NAME:VALUE` fields (nginx `proxy_set_header`) and
 * the variables their values may name.
 *
 * @module
 */

/** One `set-header=NAME:VALUE`: the value may name `$remote_addr`, `$host`, `$scheme`, `$request_id`. */
export interface SetHeader {
  name: string;
  value: string;
  /** Whether the value names a variable (else it is sent as it is). */
  vars: boolean;
}

/** What a `set-header` value's variables stand for, per request (nginx's variables of the same names). */
export interface HeaderVars {
  remoteAddr: string;
  /** The request's host, lowercase, without a port (`hostOf` in target.ts); "" when it named none. */
  host: string;
  scheme: string;
  requestId: string;
}

/**
 * The `set-header` fields of a route for one request, variables expanded;
 * a field whose value comes out empty is left out (nginx: an empty
 * `proxy_set_header` value removes the field).
 * @returns `[name, value]` pairs in the order given
 */
export function expandHeaders(list: SetHeader[], v: HeaderVars): [string, string][] {
  const out: [string, string][] = [];
  for (const h of list) {
    const value = !h.vars
      ? h.value
      : h.value.replace(/\$(remote_addr|host|scheme|request_id)/g, (_, name: string) =>
        name === "remote_addr" ? v.remoteAddr : name === "host" ? v.host : name === "scheme" ? v.scheme : v.requestId);
    if (value !== "") out.push([h.name, value]);
  }
  return out;
}
