import { z } from "zod";
import { DURATION_FORM, parseDuration, parseSize, SIZE_FORM } from "./units.ts";

/** A peer address as parsed from `--upstream`. */
export interface PeerAddress {
  /** Host name or IP literal, without brackets. */
  host: string;
  port: number;
  /** `http://host:port` with brackets around IPv6, the base of every upstream URL. */
  origin: string;
}

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

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function hostPort(s: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host: m[1].replace(/^\[|\]$/g, ""), port } : undefined;
}

const listen = z.string().transform((s, ctx) => {
  const hp = hostPort(s);
  if (!hp) ctx.addIssue({ code: "custom", message: "expected HOST:PORT with a port from 1 to 65535 (0.0.0.0:8080)" });
  return hp ?? z.NEVER;
});

const peer = z.string().transform((s, ctx): PeerAddress => {
  const hp = hostPort(s.replace(/^http:\/\//, "").replace(/\/$/, ""));
  if (!hp) {
    ctx.addIssue({ code: "custom", message: "expected HOST:PORT or http://HOST:PORT (127.0.0.1:3000)" });
    return z.NEVER;
  }
  const h = hp.host.includes(":") ? `[${hp.host}]` : hp.host;
  return { ...hp, origin: `http://${h}:${hp.port}` };
});

const status = z.string().transform((s, ctx) => {
  const n = /^\d{3}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 200 && n <= 599)) ctx.addIssue({ code: "custom", message: "expected a status code from 200 to 599" });
  return n;
});

const onOff = z.enum(["on", "off"], { message: "expected on or off" }).transform((v) => v === "on");

/**
 * The zod schema from parsed flag strings to a {@link Config}. Keys are the
 * flag names, so an issue's path names the flag.
 */
export const configSchema = z.object({
  listen: listen,
  upstream: z.array(peer).min(1, { message: "at least one is required (--upstream 127.0.0.1:3000)" }),
  spool: z.array(z.string().min(1)).min(1),
  "spool-reserve": size,
  "body-buffer": size,
  "max-body": size,
  hold: duration,
  "connect-timeout": duration,
  "read-timeout": duration,
  "send-timeout": duration,
  "client-body-timeout": duration,
  "keepalive-timeout": duration,
  "shutdown-timeout": duration,
  "offline-page": z.string().optional(),
  "offline-status": status.optional(),
  "access-log": onOff,
}).transform((f) => ({
  listen: f.listen,
  upstreams: f.upstream,
  spoolDirs: f.spool,
  spoolReserveBytes: f["spool-reserve"],
  bodyBufferBytes: f["body-buffer"],
  maxBodyBytes: f["max-body"],
  holdMs: f.hold,
  connectTimeoutMs: f["connect-timeout"],
  readTimeoutMs: f["read-timeout"],
  sendTimeoutMs: f["send-timeout"],
  clientBodyTimeoutMs: f["client-body-timeout"],
  keepaliveTimeoutMs: f["keepalive-timeout"],
  shutdownTimeoutMs: f["shutdown-timeout"],
  offlinePagePath: f["offline-page"],
  offlineStatus: f["offline-status"],
  accessLog: f["access-log"],
}));

/**
 * holdfast's validated configuration. Sizes are bytes, durations milliseconds;
 * `maxBodyBytes` 0 means no limit, `holdMs` 0 means answer 502 at once.
 */
export type Config = z.output<typeof configSchema>;
