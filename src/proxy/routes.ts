import { RegExpRouter } from "hono/router/reg-exp-router";
import { SmartRouter } from "hono/router/smart-router";
import { TrieRouter } from "hono/router/trie-router";
import type { Router } from "hono/router";
import type { Config } from "../config/schema.ts";
import { ascii } from "../http1/head.ts";
import type { SetHeader } from "./set-headers.ts";
import type { RouteKind, RouteSpec } from "../config/route-flags.ts";
import type { Group } from "../upstream/group.ts";
import type { RetryRules } from "./hold.ts";
import { RateLimiter } from "../limits/limit-req.ts";

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
  /** `--buffer-request` / `buffer-request=` (nginx `proxy_request_buffering`): false streams the body to the peer. */
  bufferRequest: boolean;
  /** `--buffer-response` / `buffer-response=` (nginx `proxy_buffering`): false reads the peer at the client's pace. */
  bufferResponse: boolean;
  /** `--limit-req` (one zone shared by the routes without their own) or the route's `limit-req=` zone; undefined: no limit. */
  limitReq: RateLimiter | undefined;
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
  /** Every `--limit-req` zone in use: the global one and the routes' own. */
  readonly zones = new Set<RateLimiter>();

  /** @param groups the upstream groups by name (every route's group exists: the config checked it) */
  constructor(config: Config, groups: Map<string, Group>, defaultGroup: Group) {
    const specs = config.routes;
    const zone = config.limitReq && new RateLimiter(config.limitReq);
    if (specs.length === 0) {
      this.#only = resolve(config, undefined, defaultGroup, zone);
      if (zone) this.zones.add(zone);
      this.byHost = false;
      return;
    }
    for (const spec of specs) {
      const route = resolve(config, spec, groups.get(spec.group)!, zone);
      if (route.limitReq) this.zones.add(route.limitReq);
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

function resolve(c: Config, spec: RouteSpec | undefined, group: Group, zone: RateLimiter | undefined): Route {
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
    bufferRequest: o.bufferRequest ?? c.bufferRequest,
    bufferResponse: o.bufferResponse ?? c.bufferResponse,
    limitReq: o.limitReq === undefined ? zone : o.limitReq ? new RateLimiter(o.limitReq) : undefined,
  };
}
