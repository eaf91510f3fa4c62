// Parsers for the TLS flags: --listen HOST:PORT[,tls], --tls-cert and
// --tls-key [NAME=]FILE. Each returns a value or throws an Error whose message
// is the accepted form; schema.ts names the flag.
import { parseHostPort } from "./address.ts";

/** One `--listen` value (nginx `listen HOST:PORT [ssl]`). */
export interface ListenSpec {
  host: string;
  port: number;
  /** Terminates TLS: `,tls` (nginx `listen ... ssl`). */
  tls: boolean;
}

/** Accepted `--listen` form. */
export const LISTEN_FORM = "[HOST]:PORT[,tls] or PORT, with a port from 1 to 65535 (0.0.0.0:8080, 8080, :443,tls)";

// The host of a bare `PORT` or `:PORT`: every IPv4 address, as nginx's `listen 8080`.
const ALL_ADDRESSES = "0.0.0.0";

/**
 * Parses one `--listen` value: `HOST:PORT`, or `PORT` and `:PORT` for every
 * address (nginx `listen 8080`), with `,tls`.
 * @throws Error with {@link LISTEN_FORM}, or saying that the port is out of range
 */
export function parseListen(s: string): ListenSpec {
  const [given, ...opts] = s.split(",");
  const addr = /^:?\d+$/.test(given) ? `${ALL_ADDRESSES}:${given.replace(/^:/, "")}` : given;
  const port = /:(\d+)$/.exec(addr)?.[1];
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) {
    throw new Error(`port ${port} is out of range: expected 1 to 65535`);
  }
  const hp = parseHostPort(addr);
  if (!hp || opts.some((o) => o !== "tls")) throw new Error(`expected ${LISTEN_FORM}`);
  return { ...hp, tls: opts.includes("tls") };
}

/** A `--tls-cert` or `--tls-key` value: the file, and the SNI name it is for (lowercase), if any. */
export interface NamedFile {
  /** `app.example.com` or `*.example.com`; undefined: the default certificate. */
  name?: string;
  path: string;
}

/** Accepted `--tls-cert`/`--tls-key` form. */
export const NAMED_FILE_FORM = "[NAME=]FILE, NAME a host name (app.example.com) or a wildcard (*.example.com)";

// A name is a DNS name, or "*." and one; a path that holds "=" can start with "./".
const NAMED = /^(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)=(.+)$/;

/** Parses `[NAME=]FILE`. @throws Error with {@link NAMED_FILE_FORM} */
export function parseNamedFile(s: string): NamedFile {
  const m = NAMED.exec(s);
  if (m) return { name: `${m[1] ?? ""}${m[2]}`.toLowerCase(), path: m[3] };
  if (!s || /^[^/.]*=/.test(s)) throw new Error(`expected ${NAMED_FILE_FORM}`);
  return { path: s };
}

/** A certificate and its key, as the TLS listeners serve them: by SNI `name`, or the default when it has none. */
export interface CertFiles {
  name?: string;
  certPath: string;
  keyPath: string;
}

/**
 * Pairs `--tls-cert` with `--tls-key` by name, in the order the certificates
 * were given (the first unnamed pair, else the first pair, is the default).
 * @returns the pairs, or the problem: [flag, index, message]
 */
export function pairCertFiles(certs: NamedFile[], keys: NamedFile[]): CertFiles[] | ["tls-cert" | "tls-key", number, string] {
  const label = (f: NamedFile) => (f.name ? `for ${f.name}` : "without a NAME");
  const keyOf = new Map<string, string>();
  for (const [i, k] of keys.entries()) {
    if (keyOf.has(k.name ?? "")) return ["tls-key", i, `a second --tls-key ${label(k)}`];
    if (!certs.some((c) => c.name === k.name)) return ["tls-key", i, `no --tls-cert ${label(k)}`];
    keyOf.set(k.name ?? "", k.path);
  }
  const seen = new Set<string>();
  const out: CertFiles[] = [];
  for (const [i, c] of certs.entries()) {
    if (seen.has(c.name ?? "")) return ["tls-cert", i, `a second --tls-cert ${label(c)}`];
    seen.add(c.name ?? "");
    const keyPath = keyOf.get(c.name ?? "");
    if (keyPath === undefined) return ["tls-cert", i, `no --tls-key ${label(c)} (nginx ssl_certificate_key)`];
    out.push({ name: c.name, certPath: c.path, keyPath });
  }
  return out;
}
