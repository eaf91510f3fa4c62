/**
 * Connections to https peers on `node:tls` (Deno's; Bun has its own in
 * bun-sockets.ts), whose `pause()` holds rather than pushes back (node-socket.ts): the certificate is verified against `--upstream-ca` or the
 * system's store and must name the peer (RFC 9110 §4.3.4); SNI is sent.
 *
 * @module
 */
import tls from "node:tls";
import { NodeSocket } from "./node-socket.ts";
import { ConnectError, type Socket, type SocketAddress } from "./socket-types.ts";
import { describeAddress, toConnectError } from "./connect-error.ts";
import { isIpAddress, trustOf } from "./tls-trust.ts";
import type { ClientTls } from "./tls-types.ts";

/**
 * Connects and completes the TLS handshake within `timeoutMs`.
 * @throws {ConnectError} `refused` or `timeout` as for TCP; `tls` when the
 *   handshake failed (the certificate, or a peer that does not speak TLS)
 */
export function connectTls(addr: SocketAddress, timeoutMs: number, t: ClientTls): Promise<Socket> {
  const where = describeAddress(addr);
  return new Promise((resolve, reject) => {
    const target: tls.ConnectionOptions = "path" in addr ? { path: addr.path } : { host: addr.host, port: addr.port };
    // @types/node lists allowHalfOpen for net.connect only; node:tls passes it to its net.Socket on both runtimes.
    const sock = tls.connect({
      ...target,
      ...{ allowHalfOpen: true },
      minVersion: "TLSv1.2" as const,
      // node:tls checks the certificate against `servername`, else the host: an IP is checked, not sent.
      servername: isIpAddress(t.serverName) ? undefined : t.serverName,
      ca: trustOf(t),
      rejectUnauthorized: t.verify,
    });
    let tcpUp = false;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new ConnectError("timeout", `Cannot connect to "${where}" within ${timeoutMs} ms (TLS handshake included)`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      // A certificate error has a code of its own (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID), not an errno.
      const code = (err as { code?: string }).code ?? "";
      const handshake = tcpUp || !/^E[A-Z]+$/.test(code);
      reject(handshake ? new ConnectError("tls", `TLS handshake with "${where}" failed: ${err.message}`) : toConnectError(err, where));
    };
    sock.once("connect", () => (tcpUp = true));
    sock.once("error", onError);
    sock.once("secureConnect", () => {
      clearTimeout(timer);
      sock.off("error", onError);
      resolve(new NodeSocket(sock, { holdOnPause: true }));
    });
  });
}
