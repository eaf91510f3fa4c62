import { z } from "zod";
import { parsePolicy, type PolicySpec } from "../upstream/policies/index.ts";
import { type CertFiles, pairCertFiles, parseListen, parseNamedFile } from "./tls-flags.ts";
import { DURATION_FORM, parseDuration, parseSize, SIZE_FORM } from "./units.ts";
import { parseRoute, routeKey } from "./route-flags.ts";
import { parseCodings, parseLevels } from "../compress/flags.ts";
import { DEFAULT_TYPES, TypeMatcher } from "../compress/media-types.ts";
import { parseAdminListen, parseAdminPath } from "../admin/flags.ts";
import { parseLimitConn, parseLimitReq } from "../limits/flags.ts";
import { type HealthCheckSpec, parseHealthCheck, parseNextUpstream, parsePeerSpec, type PeerSpec, splitGroup } from "./upstream-flags.ts";

const size = z.string().transform((s, ctx) => {
  const v = parseSize(s);
  if (v === undefined) ctx.addIssue({ code: "custom", message: `expected ${SIZE_FORM}` });
  return v ?? z.NEVER;
});

const duration = z.string().transform((s, ctx) => {
  const v = parseDuration(s);
  if (v === undefined) ctx.addIssue({ code: "custom", message: `expected ${DURATION_FORM}` });
  return v ?? z.NEVER;
});

/** Wraps a parser that throws an Error with the accepted form into a zod transform. */
function parsed<T>(fn: (s: string) => T) {
  return z.string().transform((s, ctx): T => {
    try {
      return fn(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  });
}

const count = parsed((s) => {
  if (!/^\d+$/.test(s)) throw new Error("expected a whole number (0, 1, 32)");
  return Number(s);
});

// nginx worker_processes; 0 stands for `auto` until main.ts knows the CPU count.
const workers = parsed((s) => {
  if (s === "auto") return 0;
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 64) throw new Error("expected a number of processes from 1 to 64, or auto");
  return Number(s);
});

const balance = parsed((s): [string, PolicySpec] => {
  const [group, policy] = splitGroup(s);
  return [group, parsePolicy(policy)];
});

/** An upstream group as the config describes it (nginx `upstream NAME { ... }`). */
export interface GroupSpec {
  name: string;
  peers: PeerSpec[];
  /** Selection policy; round-robin unless `--balance` names another. */
  policy: PolicySpec;
  health?: HealthCheckSpec;
}

const status = z.string().transform((s, ctx) => {
  const n = /^\d{3}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 200 && n <= 599)) ctx.addIssue({ code: "custom", message: "expected a status code from 200 to 599" });
  return n;
});

/** A flag whose default is `off`: undefined then, else `fn`'s value (a thrown message becomes the issue). */
function off<T>(fn: (s: string) => T) {
  return (s: string | undefined, ctx: z.RefinementCtx): T | undefined => {
    if (s === undefined || s === "off") return undefined;
    try {
      return fn(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  };
}

const onOff = z.enum(["on", "off"], { message: "expected on or off" }).transform((v) => v === "on");

/**
 * The zod schema from parsed flag strings to a {@link Config}. Keys are the
 * flag names, so an issue's path names the flag.
 */
export const configSchema = z.object({
  listen: z.array(parsed(parseListen)).min(1),
  "tls-cert": z.array(parsed(parseNamedFile)),
  "tls-key": z.array(parsed(parseNamedFile)),
  "redirect-https": z.boolean(),
  "upstream-ca": z.string().min(1).optional(),
  upstream: z.array(parsed(parsePeerSpec)).min(1, { message: "at least one is required (--upstream 127.0.0.1:3000)" }),
  balance: z.array(balance),
  "health-check": z.array(parsed(parseHealthCheck)),
  route: z.array(parsed(parseRoute)),
  "next-upstream": parsed(parseNextUpstream),
  "next-upstream-tries": count,
  "next-upstream-timeout": duration,
  keepalive: count,
  spool: z.array(z.string().min(1)).min(1),
  // Optional: the default depends on each directory's file system (store.ts).
  "spool-reserve": size.optional(),
  "body-buffer": size,
  "buffer-request": onOff,
  "buffer-response": onOff,
  "response-buffer": size,
  "max-temp-file-size": size,
  "max-body": size,
  "limit-req": z.string().optional().transform(off(parseLimitReq)),
  "limit-conn": z.string().optional().transform(off(parseLimitConn)),
  hold: duration,
  workers,
  "hold-probe-interval": duration.refine((ms) => ms >= 10, { message: "expected at least 10ms (100ms, 250ms)" }),
  "connect-timeout": duration,
  "read-timeout": duration,
  "send-timeout": duration,
  "client-body-timeout": duration,
  "keepalive-timeout": duration,
  "keepalive-requests": count,
  "client-header-timeout": duration,
  "max-header-size": size,
  "max-response-header-size": size,
  "tunnel-idle-timeout": duration,
  "shutdown-timeout": duration,
  "offline-page": z.string().optional(),
  "offline-status": status.optional(),
  "access-log": onOff,
  "admin-listen": z.string().optional().transform(off(parseAdminListen)),
  "admin-path": z.string().optional().transform(off(parseAdminPath)),
  "access-log-format": z.enum(["kv", "json", "combined"], { message: "expected kv, json or combined" }),
  "log-format": z.enum(["kv", "json"], { message: "expected kv or json" }),
  compress: parsed(parseCodings),
  // Optional: the default list is not a plain command-line token (parse.ts).
  "compress-types": z.string().optional().transform((s, ctx) => {
    try {
      return new TypeMatcher(s === undefined ? DEFAULT_TYPES : s.split(","));
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }),
  "compress-min-length": size,
  "compress-level": z.string().optional().transform((s, ctx) => {
    try {
      return parseLevels(s ?? "");
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }),
}).superRefine((f, ctx) => {
  checkTls(f, ctx);
  const names = new Set(f.upstream.map((p) => p.group));
  const check = (flag: string, list: { group: string }[]) =>
    list.forEach((x, i) => {
      if (!names.has(x.group)) ctx.addIssue({ code: "custom", path: [flag, i], message: `no --upstream is in group "${x.group}"` });
    });
  check("balance", f.balance.map(([group]) => ({ group })));
  check("health-check", f["health-check"]);
  check("route", f.route);
  const seen = new Map<string, string>();
  f.route.forEach((r, i) => {
    const first = seen.get(routeKey(r));
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["route", i], message: `matches what --route "${first}" matches` });
    seen.set(routeKey(r), r.text);
  });
}).transform((f) => ({
  listeners: f.listen,
  /** The certificates of the `,tls` listeners; empty when there are none. */
  certFiles: pairCertFiles(f["tls-cert"], f["tls-key"]) as CertFiles[],
  redirectHttps: f["redirect-https"],
  upstreamCaPath: f["upstream-ca"],
  routes: f.route,
  groups: buildGroups(f.upstream, f.balance, f["health-check"]),
  nextUpstream: f["next-upstream"],
  nextUpstreamTries: f["next-upstream-tries"],
  nextUpstreamTimeoutMs: f["next-upstream-timeout"],
  keepalive: f.keepalive,
  spoolDirs: f.spool,
  spoolReserveBytes: f["spool-reserve"],
  bodyBufferBytes: f["body-buffer"],
  bufferRequest: f["buffer-request"],
  bufferResponse: f["buffer-response"],
  responseBufferBytes: f["response-buffer"],
  maxTempFileBytes: f["max-temp-file-size"],
  maxBodyBytes: f["max-body"],
  /** `--limit-req`; undefined when off. */
  limitReq: f["limit-req"],
  /** `--limit-conn`; undefined when off. */
  limitConn: f["limit-conn"],
  holdMs: f.hold,
  holdProbeIntervalMs: f["hold-probe-interval"],
  connectTimeoutMs: f["connect-timeout"],
  readTimeoutMs: f["read-timeout"],
  sendTimeoutMs: f["send-timeout"],
  clientBodyTimeoutMs: f["client-body-timeout"],
  keepaliveTimeoutMs: f["keepalive-timeout"],
  keepaliveRequests: f["keepalive-requests"],
  clientHeaderTimeoutMs: f["client-header-timeout"],
  maxHeaderBytes: f["max-header-size"],
  maxResponseHeaderBytes: f["max-response-header-size"],
  tunnelIdleTimeoutMs: f["tunnel-idle-timeout"],
  shutdownTimeoutMs: f["shutdown-timeout"],
  /** `--workers`: processes serving the listeners; 0 = one per CPU (`auto`). */
  workers: f.workers,
  offlinePagePath: f["offline-page"],
  offlineStatus: f["offline-status"],
  accessLog: f["access-log"],
  /** `--admin-listen` and `--admin-path`; undefined when both are off. */
  admin: f["admin-listen"] || f["admin-path"] ? { listen: f["admin-listen"], path: f["admin-path"] } : undefined,
  accessLogFormat: f["access-log-format"],
  logFormat: f["log-format"],
  compress: f.compress.length
    ? { codings: f.compress, levels: f["compress-level"], types: f["compress-types"], minLength: f["compress-min-length"] }
    : undefined,
}));

/**
 * holdfast's validated configuration. Sizes are bytes, durations milliseconds;
 * `maxBodyBytes` 0 means no limit, `holdMs` 0 means answer 502 at once.
 */
export type Config = z.output<typeof configSchema>;

/** The rules between the TLS flags, each issue on the flag to change. */
function checkTls(
  f: {
    listen: { host: string; port: number; tls: boolean }[];
    "tls-cert": { name?: string; path: string }[];
    "tls-key": { name?: string; path: string }[];
    "redirect-https": boolean;
    "upstream-ca"?: string;
    upstream: { address: { tls?: unknown } }[];
  },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const seen = new Set<string>();
  f.listen.forEach((l, i) => {
    const at = `${l.host}:${l.port}`;
    if (seen.has(at)) issue(["listen", i], `${at} is given twice`);
    seen.add(at);
  });
  const tls = f.listen.findIndex((l) => l.tls);
  const pairs = pairCertFiles(f["tls-cert"], f["tls-key"]);
  if (typeof pairs[0] === "string") {
    const [flag, i, message] = pairs as [string, number, string];
    if (typeof flag === "string" && typeof i === "number") issue([flag, i], message);
  }
  if (tls >= 0 && f["tls-cert"].length === 0) {
    issue(["listen", tls], "a ,tls listener needs --tls-cert FILE and --tls-key FILE (nginx ssl_certificate, ssl_certificate_key)");
  }
  if (tls < 0 && f["tls-cert"].length > 0) issue(["tls-cert", 0], "no --listen has ,tls (--listen 0.0.0.0:443,tls)");
  if (tls < 0 && f["tls-key"].length > 0) issue(["tls-key", 0], "no --listen has ,tls (--listen 0.0.0.0:443,tls)");
  if (f["redirect-https"] && tls < 0) issue(["redirect-https"], "no --listen has ,tls to redirect to (--listen 0.0.0.0:443,tls)");
  if (f["redirect-https"] && f.listen.every((l) => l.tls)) issue(["redirect-https"], "every --listen has ,tls: nothing to redirect");
  if (f["upstream-ca"] !== undefined && !f.upstream.some((p) => p.address.tls)) {
    issue(["upstream-ca"], "no --upstream is https://HOST:PORT");
  }
}

/** Groups in the order their first peer was given; `default` is used by the default route. */
function buildGroups(peers: PeerSpec[], balance: [string, PolicySpec][], health: HealthCheckSpec[]): GroupSpec[] {
  const groups = new Map<string, GroupSpec>();
  for (const p of peers) {
    const g = groups.get(p.group) ?? { name: p.group, peers: [], policy: parsePolicy("round-robin") };
    g.peers.push(p);
    groups.set(p.group, g);
  }
  for (const [name, policy] of balance) groups.get(name)!.policy = policy;
  for (const h of health) groups.get(h.group)!.health = h;
  return [...groups.values()];
}
