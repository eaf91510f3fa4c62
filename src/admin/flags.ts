/**
 * Parsers of the admin endpoint's flags, `--admin-listen` and `--admin-path`.
 * Each returns a value or throws an Error whose message is the accepted form;
 * schema.ts names the flag.
 *
 * @module
 */

/** Where the admin endpoint listens: its own address, never a proxy listener's. */
export interface AdminListen {
  host: string;
  /** 0 lets the OS pick one (the start-up line says which). */
  port: number;
}

/** Accepted `--admin-listen` form. */
export const ADMIN_LISTEN_FORM = "HOST:PORT or PORT (127.0.0.1:9901, 9901 = 127.0.0.1:9901), a port from 0 to 65535";

const HOST_PORT = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/;

/**
 * Parses `--admin-listen`: `HOST:PORT`, or a bare `PORT` on 127.0.0.1. Unlike
 * `--listen`, a bare port is the loopback address: the endpoint shows client
 * addresses and URLs, so it is only exposed when an address says so.
 * @throws Error with {@link ADMIN_LISTEN_FORM}
 */
export function parseAdminListen(s: string): AdminListen {
  const m = HOST_PORT.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`expected ${ADMIN_LISTEN_FORM}`);
  return { host: m[1]?.replace(/^\[|\]$/g, "") ?? "127.0.0.1", port };
}

/** Accepted `--admin-path` form. */
export const ADMIN_PATH_FORM = "a path prefix of at least one segment (/_holdfast), letters, digits and ._~- between slashes";

const PREFIX = /^(\/[A-Za-z0-9._~-]+)+\/?$/;

/**
 * Parses `--admin-path` (nginx `location /PREFIX { stub_status; }`): the
 * prefix, without a trailing slash, under which the proxy's own listeners
 * answer with the admin endpoint instead of proxying.
 * @throws Error with {@link ADMIN_PATH_FORM}
 */
export function parseAdminPath(s: string): string {
  if (!PREFIX.test(s)) throw new Error(`expected ${ADMIN_PATH_FORM}`);
  return s.replace(/\/$/, "");
}
