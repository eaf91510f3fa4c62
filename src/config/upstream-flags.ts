// Parsers for the flags that build upstream groups: --upstream, --balance,
// --health-check and --next-upstream. Each returns a value or throws an Error
// whose message is the accepted form; schema.ts names the flag.
import { ADDRESS_FORM, parsePeerAddress, type PeerAddress } from "./address.ts";
import { parseDuration } from "./units.ts";

/** One `--upstream` value (nginx `server ADDR [weight=N] [max_fails=N] [fail_timeout=T] [backup] [down]`). */
export interface PeerSpec {
  group: string;
  address: PeerAddress;
  /** Share of requests relative to other peers, at least 1. Default 1. */
  weight: number;
  /** Gets requests only while no primary peer is available. */
  backup: boolean;
  /** Never selected. */
  down: boolean;
  /** Failures within `failTimeoutMs` that make the peer unavailable; 0 disables. Default 1. */
  maxFails: number;
  /** The failure window and the time a failed peer is left out, ms. Default 10 000. */
  failTimeoutMs: number;
}

/** `--health-check` for a group: GET `path` on every peer every `intervalMs`. */
export interface HealthCheckSpec {
  group: string;
  /** Path and query probed, e.g. `/healthz`. */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failed probes that take a peer out. */
  fails: number;
  /** Consecutive good probes that put it back. */
  passes: number;
  /** Statuses that count as good, inclusive. */
  statusMin: number;
  statusMax: number;
}

const GROUP = /^([A-Za-z_][\w-]*)=(.*)$/;

/** Splits `[GROUP=]REST` into the group (default `default`) and the rest. */
export function splitGroup(s: string): [string, string] {
  const m = GROUP.exec(s);
  // "http://" and "unix:" never match: '=' comes before any ':' only in a group prefix.
  return m && !m[1].includes(":") ? [m[1], m[2]] : ["default", s];
}

function int(v: string, min: number, what: string): number {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${what} must be a whole number of at least ${min}`);
  return Number(v);
}

function ms(v: string, what: string): number {
  const d = parseDuration(v);
  if (d === undefined) throw new Error(`${what} must be a duration such as 500ms or 10s`);
  return d;
}

/** Accepted `--upstream` form. */
export const UPSTREAM_FORM =
  `[GROUP=]ADDR[,weight=N][,backup][,max-fails=N][,fail-timeout=DUR][,down][,tls-name=NAME][,tls-verify=off], ADDR one of ${ADDRESS_FORM}`;

/** Parses one `--upstream` value. @throws Error with the problem and {@link UPSTREAM_FORM} */
export function parsePeerSpec(s: string): PeerSpec {
  const [group, rest] = splitGroup(s);
  const [addr, ...opts] = rest.split(",");
  const address = parsePeerAddress(addr);
  if (!address) throw new Error(`expected ${UPSTREAM_FORM}`);
  const spec: PeerSpec = { group, address, weight: 1, backup: false, down: false, maxFails: 1, failTimeoutMs: 10_000 };
  for (const o of opts) {
    const [k, v = ""] = o.split("=", 2);
    if (k === "weight") spec.weight = int(v, 1, "weight");
    else if (k === "max-fails") spec.maxFails = int(v, 0, "max-fails");
    else if (k === "fail-timeout") spec.failTimeoutMs = ms(v, "fail-timeout");
    else if (k === "backup" && !v) spec.backup = true;
    else if (k === "down" && !v) spec.down = true;
    else if (k === "tls-verify" || k === "tls-name") tlsOption(address, k, v);
    else throw new Error(`unknown option "${o}"; expected ${UPSTREAM_FORM}`);
  }
  return spec;
}

/** `tls-verify=off` (nginx `proxy_ssl_verify off`), `tls-name=NAME` (`proxy_ssl_name`): https peers only. */
function tlsOption(address: PeerAddress, k: string, v: string): void {
  if (!address.tls) throw new Error(`${k} applies to https:// peers only; expected ${UPSTREAM_FORM}`);
  if (k === "tls-name") {
    if (!/^[A-Za-z0-9.:-]+$/.test(v)) throw new Error("tls-name must be a host name such as app.internal");
    address.tls.name = v.toLowerCase();
  } else if (v === "off" || v === "on") address.tls.verify = v === "on";
  else throw new Error("tls-verify must be on or off");
}

/** Accepted `--health-check` form. */
export const HEALTH_FORM = "[GROUP=]PATH[,interval=5s][,timeout=2s][,fails=3][,passes=2][,status=200-399]";

/** Parses one `--health-check` value. @throws Error with the problem and {@link HEALTH_FORM} */
export function parseHealthCheck(s: string): HealthCheckSpec {
  const [group, rest] = splitGroup(s);
  const [path, ...opts] = rest.split(",");
  if (!path.startsWith("/")) throw new Error(`expected ${HEALTH_FORM}, PATH starting with /`);
  const h: HealthCheckSpec = { group, path, intervalMs: 5000, timeoutMs: 2000, fails: 3, passes: 2, statusMin: 200, statusMax: 399 };
  for (const o of opts) {
    const [k, v = ""] = o.split("=", 2);
    if (k === "interval") h.intervalMs = Math.max(1, ms(v, "interval"));
    else if (k === "timeout") h.timeoutMs = Math.max(1, ms(v, "timeout"));
    else if (k === "fails") h.fails = int(v, 1, "fails");
    else if (k === "passes") h.passes = int(v, 1, "passes");
    else if (k === "status") {
      const m = /^(\d{3})(?:-(\d{3}))?$/.exec(v);
      if (!m) throw new Error("status must be CODE or LOW-HIGH, e.g. 200-399");
      h.statusMin = Number(m[1]);
      h.statusMax = Number(m[2] ?? m[1]);
    } else throw new Error(`unknown option "${o}"; expected ${HEALTH_FORM}`);
  }
  return h;
}

/** Conditions `--next-upstream` may name (nginx `proxy_next_upstream`). */
export const NEXT_UPSTREAM_TOKENS = [
  "error",
  "timeout",
  "http_500",
  "http_502",
  "http_503",
  "http_504",
  "http_403",
  "http_404",
  "http_429",
  "non_idempotent",
  "off",
] as const;

/** When a request is passed to the next peer. */
export interface NextUpstreamSpec {
  /** A connection broken after the request was (partly) sent. */
  error: boolean;
  /** `--read-timeout` passed without a response head. */
  timeout: boolean;
  /** Response statuses that make holdfast try the next peer. */
  statuses: Set<number>;
  /** POST, PATCH, LOCK may be passed on after they were sent. */
  nonIdempotent: boolean;
}

/** Parses `--next-upstream`, e.g. `error,timeout,http_502`. @throws Error naming the accepted tokens */
export function parseNextUpstream(s: string): NextUpstreamSpec {
  const spec: NextUpstreamSpec = { error: false, timeout: false, statuses: new Set(), nonIdempotent: false };
  for (const t of s.split(",").map((x) => x.trim()).filter(Boolean)) {
    if (!(NEXT_UPSTREAM_TOKENS as readonly string[]).includes(t)) {
      throw new Error(`unknown condition "${t}"; expected a comma-separated list of ${NEXT_UPSTREAM_TOKENS.join(", ")}`);
    }
    if (t === "error") spec.error = true;
    else if (t === "timeout") spec.timeout = true;
    else if (t === "non_idempotent") spec.nonIdempotent = true;
    else if (t.startsWith("http_")) spec.statuses.add(Number(t.slice(5)));
  }
  return spec;
}
