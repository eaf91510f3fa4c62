import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import type { Router } from "hono/router";
import type { Config } from "../config/schema.ts";
import { ascii, fieldValue, findField, type RequestHead } from "../http1/head.ts";
import type { RouteKind, RouteSpec } from "../config/route-flags.ts";
import type { Group } from "../upstream/group.ts";
import type { RetryRules } from "./hold.ts";

/**
 * Where a request goes and the limits it runs under: a `--route` with the
 * global flags filled in for what it does not set, resolved once at start-up.
 * Sizes in bytes, times in ms.
 */
export interface Route {
  /** The route's text as given, or undefined for the default route (no `--route`). */
  text: string | undefined;
  group: Group;
  kind: RouteKind;
  /** The exact path or prefix matched (for a rewrite), as given. */
  path: string;
  /** See `RouteOptions.replacePrefix`. */
  replacePrefix: string | undefined;
  /** `--max-body` / `max-body=`: 413 past it; 0 = no limit. */
  maxBodyBytes: number;
  clientBodyTimeoutMs: number;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  sendTimeoutMs: number;
  /** `--hold` and `--next-upstream*` for this route. */
  rules: RetryRules;
  /** `set-header=` fields (nginx `proxy_set_header`), in the order given. */
  setHeaders: SetHeader[] | undefined;
  /** Lowercase names of {@link setHeaders}: the client's fields of these names are not forwarded. */
  replaces: Uint8Array[] | undefined;
  /** `hide-header=` names, lowercase, dropped from responses (nginx `proxy_hide_header`). */
  hides: Uint8Array[] | undefined;
  /** False with `websocket=off`: an upgrade is forwarded as a plain request. */
  websocket: boolean;
}

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
  /** The request's host, lowercase, without a port ({@link hostOf}); "" when it named none. */
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

/** The routes of one virtual host (or of every host): Hono's router over their paths. */
class Bucket {
  readonly #router: Router<number> = new SmartRouter({ routers: [new RegExpRouter(), new TrieRouter()] });
  readonly #routes: Route[] = [];

  add(route: Route): void {
    const i = this.#routes.push(route) - 1;
    // A prefix is Hono's wildcard after it; Hono's "/api/*" also matches "/api", which match() filters out.
    this.#router.add("ALL", route.kind === "prefix" ? `${route.path}*` : route.path, i);
  }

  /** nginx `location` order: the exact match, else the longest prefix, else the first pattern given. */
  match(path: string): Route | undefined {
    const found = this.#router.match("GET", path)[0];
    let prefix: Route | undefined;
    let pattern = Infinity;
    for (let k = 0; k < found.length; k++) {
      const i = found[k][0];
      const r = this.#routes[i];
      if (r.kind === "exact") return r;
      if (r.kind === "prefix") {
        if (path.startsWith(r.path) && (!prefix || r.path.length > prefix.path.length)) prefix = r;
      } else if (i < pattern) pattern = i;
    }
    return prefix ?? (pattern === Infinity ? undefined : this.#routes[pattern]);
  }
}

/**
 * The `--route` table (nginx `server_name` then `location`): the virtual
 * host is chosen first, by exact name, else the longest `*.` wildcard, else
 * the routes without a host; then the path within it. Without `--route`,
 * every request takes the default route to group `default` (or the first
 * group), with no matching at all.
 */
export class RouteTable {
  readonly #exact = new Map<string, Bucket>();
  readonly #wild: [suffix: string, bucket: Bucket][] = [];
  readonly #any: Bucket | undefined;
  readonly #only: Route | undefined;
  /** Whether any route names a host: only then does a request's host need reading. */
  readonly byHost: boolean;

  /** @param groups the upstream groups by name (every route's group exists: the config checked it) */
  constructor(config: Config, groups: Map<string, Group>, defaultGroup: Group) {
    const specs = config.routes;
    if (specs.length === 0) {
      this.#only = resolve(config, undefined, defaultGroup);
      this.byHost = false;
      return;
    }
    for (const spec of specs) {
      const route = resolve(config, spec, groups.get(spec.group)!);
      let bucket: Bucket | undefined;
      if (spec.host === undefined) bucket = this.#any ??= new Bucket();
      else if (spec.host.startsWith("*.")) {
        const suffix = spec.host.slice(1);
        bucket = this.#wild.find(([s]) => s === suffix)?.[1];
        if (!bucket) this.#wild.push([suffix, bucket = new Bucket()]);
      } else {
        bucket = this.#exact.get(spec.host);
        if (!bucket) this.#exact.set(spec.host, bucket = new Bucket());
      }
      bucket.add(route);
    }
    this.#wild.sort((a, b) => b[0].length - a[0].length);
    this.byHost = this.#exact.size > 0 || this.#wild.length > 0;
  }

  /**
   * The route for a request.
   * @param host the request's host, lowercase, without a port (only read when {@link byHost})
   * @param path the target's path, without the query
   * @returns undefined when none matches (404)
   */
  match(host: string | undefined, path: string): Route | undefined {
    if (this.#only) return this.#only;
    return this.#bucket(host)?.match(path);
  }

  /** The default route when there is no `--route`: then nothing needs matching. */
  get single(): Route | undefined {
    return this.#only;
  }

  #bucket(host: string | undefined): Bucket | undefined {
    if (host !== undefined && this.byHost) {
      const exact = this.#exact.get(host);
      if (exact) return exact;
      for (const [suffix, bucket] of this.#wild) if (host.endsWith(suffix) && host.length > suffix.length) return bucket;
    }
    return this.#any;
  }
}

function resolve(c: Config, spec: RouteSpec | undefined, group: Group): Route {
  const o = spec?.options ?? {};
  return {
    text: spec?.text,
    group,
    kind: spec?.kind ?? "prefix",
    path: spec?.path ?? "/",
    replacePrefix: o.replacePrefix,
    maxBodyBytes: o.maxBodyBytes ?? c.maxBodyBytes,
    clientBodyTimeoutMs: o.clientBodyTimeoutMs ?? c.clientBodyTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs ?? c.connectTimeoutMs,
    readTimeoutMs: o.readTimeoutMs ?? c.readTimeoutMs,
    sendTimeoutMs: o.sendTimeoutMs ?? c.sendTimeoutMs,
    rules: { holdMs: o.holdMs ?? c.holdMs, next: c.nextUpstream, tries: c.nextUpstreamTries, timeoutMs: c.nextUpstreamTimeoutMs },
    setHeaders: o.setHeaders?.map((h) => ({ ...h, vars: h.value.includes("$") })),
    replaces: o.setHeaders?.map((h) => ascii(h.name.toLowerCase())),
    hides: o.hideHeaders?.map((n) => ascii(n)),
    websocket: o.websocket ?? true,
  };
}

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
