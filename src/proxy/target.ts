/**
 * Reading a request target for routing (RFC 9112 §3.2) and rewriting it for
 * the peer (a route's `strip-prefix` / `rewrite=`).
 *
 * @module
 */
import { ascii, fieldValue, findField, type RequestHead } from "../http1/head.ts";
import type { Route } from "./routes.ts";

/**
 * The origin-form target a route forwards: the matched prefix (or exact
 * path) replaced by the route's `strip-prefix` / `rewrite=` path, the rest
 * and the query kept (nginx `proxy_pass` with a URI). One slash where the
 * replacement's and the rest's meet.
 * @param target the client's target in origin form (`/api/users?page=2`)
 */
export function rewriteTarget(route: Route, target: string): string {
  const rest = target.slice(route.path.length);
  const replacement = route.replacePrefix!;
  return replacement.endsWith("/") && rest.startsWith("/") ? replacement + rest.slice(1) : replacement + rest;
}

/**
 * The origin form of a request target (RFC 9112 §3.2): itself when it
 * starts with `/`; the path and query of an absolute-form target (`/` when
 * it has no path); asterisk-form (`*`) as it is.
 */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 47 /* / */) return target;
  const scheme = target.indexOf("://");
  if (scheme < 0) return target;
  for (let i = scheme + 3; i < target.length; i++) {
    const ch = target.charCodeAt(i);
    if (ch === 47) return target.slice(i);
    if (ch === 63 /* ? */) return `/${target.slice(i)}`;
  }
  return "/";
}

/** The path of an origin-form target, without its query. */
export function pathOf(origin: string): string {
  const q = origin.indexOf("?");
  return q < 0 ? origin : origin.slice(0, q);
}

const HOST = ascii("host");

/**
 * The host a request names, for choosing its virtual host: the authority of
 * an absolute-form target, else the `Host` field (RFC 9112 §3.2.2), in
 * lowercase without a port; undefined when there is neither.
 */
export function hostOf(h: RequestHead): string | undefined {
  let host: string;
  const t = h.target;
  const scheme = t.charCodeAt(0) === 47 ? -1 : t.indexOf("://");
  if (scheme >= 0) {
    const end = t.slice(scheme + 3).search(/[/?#]/);
    host = end < 0 ? t.slice(scheme + 3) : t.slice(scheme + 3, scheme + 3 + end);
  } else {
    const i = findField(h, HOST);
    if (i < 0) return undefined;
    host = fieldValue(h, i);
  }
  host = host.toLowerCase();
  // An IPv6 literal keeps its brackets; a port goes.
  const colon = host.lastIndexOf(":");
  return colon > host.lastIndexOf("]") ? host.slice(0, colon) : host;
}
