// Parser for --route (nginx `server_name` + `location`): returns a RouteSpec or
// throws an Error naming the part that is wrong; schema.ts names the flag.
import { parseDuration, parseSize } from "./units.ts";
import { type LimitReqSpec, parseBurst, parseLimitKey, parseRate } from "../limits/flags.ts";

/**
 * How a route's PATH matches a request path (nginx `location`): `exact`
 * (`=/healthz`), `prefix` (`/api/`, the longest wins), or `pattern` (Hono's
 * router syntax, `/users/:id/avatar`, `/static/*`, tried in the order given).
 */
export type RouteKind = "exact" | "prefix" | "pattern";

/** Per-route settings; each overrides the global flag of the same name when set. Sizes in bytes, times in ms. */
export interface RouteOptions {
  /** `max-body=SIZE` (nginx `client_max_body_size`); 0 = no limit. */
  maxBodyBytes?: number;
  /** `hold=DURATION`: how long a request on this route is held. */
  holdMs?: number;
  /** `connect-timeout=DURATION` (nginx `proxy_connect_timeout`). */
  connectTimeoutMs?: number;
  /** `read-timeout=DURATION` (nginx `proxy_read_timeout`). */
  readTimeoutMs?: number;
  /** `send-timeout=DURATION` (nginx `proxy_send_timeout`). */
  sendTimeoutMs?: number;
  /** `client-body-timeout=DURATION` (nginx `client_body_timeout`). */
  clientBodyTimeoutMs?: number;
  /**
   * What replaces the matched prefix in the forwarded target (the URI part
   * of nginx `proxy_pass http://group/new/;`): `/` for `strip-prefix`, the
   * given path for `rewrite=`; undefined forwards the target as received.
   */
  replacePrefix?: string;
  /** `set-header=NAME:VALUE`, repeatable (nginx `proxy_set_header`): replaces the client's field; an empty value removes it. */
  setHeaders?: { name: string; value: string }[];
  /** `hide-header=NAME`, repeatable (nginx `proxy_hide_header`): lowercase names dropped from responses. */
  hideHeaders?: string[];
  /** `websocket=off`: an upgrade is forwarded as a plain request (nginx without `proxy_set_header Upgrade`). */
  websocket?: boolean;
  /** `buffer-request=on|off` (nginx `proxy_request_buffering`). */
  bufferRequest?: boolean;
  /** `buffer-response=on|off` (nginx `proxy_buffering`). */
  bufferResponse?: boolean;
  /**
   * `limit-req=RATE` with `limit-req-burst=N`, `limit-req-nodelay`,
   * `limit-req-key=ip|header:NAME` (nginx `limit_req` in a `location`): the
   * route's own zone; null for `limit-req=off` (no limit on this route).
   */
  limitReq?: LimitReqSpec | null;
}

/** One `--route` value. */
export interface RouteSpec {
  /** The flag's text, for messages. */
  text: string;
  /** Lowercase host name, `*.example.com` for a wildcard, or undefined for any host. */
  host?: string;
  kind: RouteKind;
  /** The path as given, without the `=` of an exact match. */
  path: string;
  /** The upstream group the route sends to. */
  group: string;
  options: RouteOptions;
}

/** Accepted `--route` form. */
export const ROUTE_FORM = "[HOST]PATH=GROUP[,option...], PATH one of /prefix/, =/exact, /pattern/:param or /static/*";

const HOST = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const GROUP = /^[A-Za-z_][\w-]*$/;
// RFC 3986 pchar and "/", without "?" or "#": what a route's path may hold.
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

// RFC 9110 §5.1 field names; §5.5 values (holdfast's own: visible ASCII and spaces, no commas as options use them).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VALUE = /^[\x20-\x7e]*$/;
/** Variables a set-header value may use (nginx's names). */
export const VARIABLES = ["remote_addr", "host", "scheme", "request_id"];

// The duration options and the RouteOptions field each sets.
const DURATIONS = {
  hold: "holdMs",
  "connect-timeout": "connectTimeoutMs",
  "read-timeout": "readTimeoutMs",
  "send-timeout": "sendTimeoutMs",
  "client-body-timeout": "clientBodyTimeoutMs",
} as const;

// The on|off options and the RouteOptions field each sets.
const SWITCHES = { websocket: "websocket", "buffer-request": "bufferRequest", "buffer-response": "bufferResponse" } as const;

function duration(v: string, what: string): number {
  const d = parseDuration(v);
  if (d === undefined) throw new Error(`${what} must be a duration such as 500ms, 30s or 2m`);
  return d;
}

/**
 * Parses `[HOST]PATH=GROUP[,option...]`.
 * @throws {Error} naming the part that is wrong and the accepted form
 */
export function parseRoute(s: string): RouteSpec {
  const [head, ...opts] = s.split(",");
  const eq = head.lastIndexOf("=");
  if (eq <= 0 || eq === head.length - 1) throw new Error(`expected ${ROUTE_FORM}`);
  const match = head.slice(0, eq);
  const group = head.slice(eq + 1);
  if (!GROUP.test(group)) throw new Error(`group "${group}" must be a name such as api or default`);
  const at = match.search(/[/=]/);
  if (at < 0) throw new Error(`"${match}" has no path: expected ${ROUTE_FORM}`);
  const host = at > 0 ? match.slice(0, at).toLowerCase() : undefined;
  if (host !== undefined && !HOST.test(host)) throw new Error(`host "${host}" must be a name such as app.example.com or *.example.com`);
  let path = match.slice(at);
  let kind: RouteKind = "prefix";
  if (path.startsWith("=")) {
    kind = "exact";
    path = path.slice(1);
  }
  if (!PATH_CHARS.test(path)) throw new Error(`path "${path}" must start with / and hold no spaces, ? or #`);
  if (kind === "prefix" && /[:*]/.test(path)) kind = "pattern";
  const spec: RouteSpec = { text: s, host, kind, path, group, options: {} };
  const limit: LimitParts = {};
  for (const opt of opts) applyOption(spec, opt, limit);
  applyLimit(spec, limit);
  return spec;
}

// The limit-req options as given, put together once all are read.
interface LimitParts {
  rate?: number | null;
  burst?: number;
  nodelay?: boolean;
  key?: LimitReqSpec["key"];
}

function applyLimit(spec: RouteSpec, l: LimitParts): void {
  const extra = l.burst !== undefined || l.nodelay || l.key !== undefined;
  if (l.rate === undefined && !extra) return;
  if (!l.rate) {
    if (extra) throw new Error("limit-req-burst, limit-req-nodelay and limit-req-key need limit-req=RATE");
    spec.options.limitReq = null;
    return;
  }
  spec.options.limitReq = { ratePerS: l.rate, burst: l.burst ?? 0, nodelay: l.nodelay ?? false, key: l.key ?? { kind: "ip" } };
}

function applyOption(spec: RouteSpec, opt: string, limit: LimitParts): void {
  const o = spec.options;
  const eq = opt.indexOf("=");
  const name = eq < 0 ? opt : opt.slice(0, eq);
  const value = eq < 0 ? "" : opt.slice(eq + 1);
  switch (name) {
    case "max-body": {
      const v = parseSize(value);
      if (v === undefined) throw new Error("max-body must be a size such as 10m, 2g or 0 (no limit)");
      o.maxBodyBytes = v;
      return;
    }
    case "hold":
    case "connect-timeout":
    case "read-timeout":
    case "send-timeout":
    case "client-body-timeout":
      o[DURATIONS[name]] = duration(value, name);
      return;
    case "strip-prefix":
    case "rewrite": {
      if (spec.kind === "pattern") throw new Error(`${name} needs a prefix or exact path, not the pattern "${spec.path}"`);
      if (o.replacePrefix !== undefined) throw new Error("give strip-prefix or rewrite once");
      if (name === "strip-prefix") {
        if (eq >= 0) throw new Error("strip-prefix takes no value");
        o.replacePrefix = "/";
      } else {
        if (!PATH_CHARS.test(value)) throw new Error(`rewrite must be a path starting with /, such as rewrite=/v2/`);
        o.replacePrefix = value;
      }
      return;
    }
    case "set-header": {
      const colon = value.indexOf(":");
      const field = colon < 0 ? "" : value.slice(0, colon);
      const v = colon < 0 ? "" : value.slice(colon + 1).trim();
      if (!TOKEN.test(field)) throw new Error(`set-header must be NAME:VALUE with a field name such as X-App (got "${value}")`);
      if (!VALUE.test(v)) throw new Error(`set-header ${field}: the value may hold visible ASCII and spaces only`);
      for (const m of v.matchAll(/\$([a-z_]+)/g)) {
        if (!VARIABLES.includes(m[1])) {
          throw new Error(`set-header ${field}: unknown variable $${m[1]}; expected ${VARIABLES.map((x) => "$" + x).join(", ")}`);
        }
      }
      (o.setHeaders ??= []).push({ name: field, value: v });
      return;
    }
    case "hide-header":
      if (!TOKEN.test(value)) throw new Error(`hide-header must name a field, such as hide-header=X-Powered-By`);
      (o.hideHeaders ??= []).push(value.toLowerCase());
      return;
    case "websocket":
    case "buffer-request":
    case "buffer-response":
      if (value !== "on" && value !== "off") throw new Error(`${name} must be on or off`);
      o[SWITCHES[name]] = value === "on";
      return;
    case "limit-req":
      limit.rate = value === "off" ? null : parseRate(value);
      return;
    case "limit-req-burst":
      limit.burst = parseBurst(value);
      return;
    case "limit-req-nodelay":
      if (eq >= 0) throw new Error("limit-req-nodelay takes no value");
      limit.nodelay = true;
      return;
    case "limit-req-key":
      limit.key = parseLimitKey(value);
      return;
    default:
      throw new Error(
        `unknown option "${opt}": expected max-body=SIZE, limit-req=RATE|off, limit-req-burst=N, limit-req-nodelay, limit-req-key=ip|header:NAME, hold=DUR, connect-timeout=DUR, read-timeout=DUR, send-timeout=DUR, client-body-timeout=DUR, strip-prefix, rewrite=/PATH/, set-header=NAME:VALUE, hide-header=NAME, websocket=off, buffer-request=on|off or buffer-response=on|off`,
      );
  }
}

/** The key two routes clash on: the same host and the same match. */
export function routeKey(r: RouteSpec): string {
  return `${r.host ?? ""} ${r.kind} ${r.path}`;
}
