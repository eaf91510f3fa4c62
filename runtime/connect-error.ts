import { ConnectError, type SocketAddress } from "./socket-types.ts";

/**
 * Wraps a failed connect: every failure before the handshake completed means
 * nothing reached the peer, so all are `refused` except the OS's own timeout
 * (ETIMEDOUT).
 * @param where the address as {@link describeAddress} prints it
 */
export function toConnectError(err: unknown, where: string): ConnectError {
  const code = (err as { code?: string })?.code ?? String(err);
  return new ConnectError(code === "ETIMEDOUT" ? "timeout" : "refused", `Cannot connect to "${where}": ${code}`);
}

/** `host:port`, or `unix:/path` for a unix socket. */
export function describeAddress(addr: SocketAddress): string {
  return "path" in addr ? `unix:${addr.path}` : `${addr.host}:${addr.port}`;
}
