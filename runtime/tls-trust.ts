/**
 * The trust store of https peers when no `--upstream-ca` is given: the
 * system's (`/etc/ssl/certs` on Debian, through `tls.getCACertificates`,
 * which Bun and Deno both have), as nginx uses OpenSSL's default paths and
 * as an operator expects after `update-ca-certificates`. Where the system
 * has none, the runtime's own copy of Mozilla's list.
 *
 * @module
 */
import tls from "node:tls";
import type { ClientTls } from "./tls-types.ts";

let system: string[] | undefined | null = null;

/** The system's CA certificates (PEM), read once; undefined when there are none. */
export function systemCa(): string[] | undefined {
  if (system === null) {
    let found: string[] = [];
    try {
      found = (tls as unknown as { getCACertificates(kind: string): string[] }).getCACertificates("system");
    } catch { /* an older runtime: its own list */ }
    system = found.length > 0 ? found : undefined;
  }
  return system;
}

/** The CA certificates a connection with `t` trusts: `--upstream-ca`, else the system's; undefined: the runtime's list. */
export const trustOf = (t: ClientTls): string | string[] | undefined => t.ca ?? systemCa();

/** Whether `name` is an IP address, which RFC 6066 §3 keeps out of SNI. */
export const isIpAddress = (name: string): boolean => /^[\d.]+$/.test(name) || name.includes(":");
