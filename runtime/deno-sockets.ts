/**
 * {@link SocketRuntime} for Deno, on Deno's `node:net`.
 *
 * Why `node:net` and not `Deno.listen`/`Deno.connect`: `bench/sockets.ts` on
 * Deno 2.9.5, loopback, 2 vCPUs shared with other jobs; the lowest and highest
 * of three sessions' medians (5 runs each, 512 MiB or 1 GiB one way):
 *
 * | candidate                                   | one way, MiB/s | 64-byte ping-pong, messages/s |
 * | ------------------------------------------- | -------------- | ----------------------------- |
 * | `Deno.connect`, raw (a copy per read)       | 1267-1641      | 37 300-42 500                 |
 * | `node:net`, raw                             | 1685-2176      | 37 200-42 700                 |
 * | `denoSockets` (this file, on `node:net`)    | 1689-2152      | 35 300-42 500                 |
 * | a full `SocketRuntime` on `Deno.connect`(*) | 1331-1684      | 37 400-39 400                 |
 *
 * (*) built to measure, not kept: a read loop into a 64 KiB buffer copied per
 * read, a write queue drained by one `await conn.write` loop, `closeWrite()`.
 *
 * Streams are about 25% faster on `node:net`; small messages are even. It also
 * meets the interface where `Deno.*` does not: `Deno.listen({ reusePort })`
 * exits the process (code 70) without `--unstable-net`, and `Deno.Conn.close()`
 * sends a FIN (shutdown) before closing, so a destroy with unread bytes shows
 * its peer an `end` rather than a reset. Every `data` Buffer of `node:net` on
 * Deno has an ArrayBuffer of its own (the echo scenario keeps every chunk and
 * hashes them at the end), so ownership passes as the interface says.
 *
 * @module
 */
import net from "node:net";
import { ConnectError } from "./socket-types.ts";
import { describeAddress, toConnectError } from "./connect-error.ts";
import type { Listener, ListenOptions, Socket, SocketAddress, SocketRuntime } from "./socket-types.ts";
import { NodeSocket } from "./node-socket.ts";
import { listenTls } from "./tls-listen.ts";
import { connectTls } from "./tls-connect.ts";
import type { ClientTls } from "./tls-types.ts";

/**
 * Byte sockets on Deno (`node:net`): TCP (IPv4, IPv6) and unix, half-close,
 * 64 KiB user-space high-water mark, TCP_NODELAY, SO_REUSEPORT on Linux.
 * `connect` rejects with {@link ConnectError}; a connect still pending at its
 * timeout is aborted.
 */
export const denoSockets: SocketRuntime = {
  listen(addr: SocketAddress, onAccept: (socket: Socket) => void, opts?: ListenOptions): Promise<Listener> {
    if (opts?.tls) return listenTls(addr, onAccept, opts.tls, opts.reusePort, { holdOnPause: true });
    return new Promise((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true }, (sock) => onAccept(new NodeSocket(sock)));
      server.once("error", reject);
      const where = "path" in addr ? { path: addr.path } : { host: addr.host, port: addr.port, reusePort: opts?.reusePort };
      server.listen(where, () => {
        server.off("error", reject);
        // An accept that fails (EMFILE) is node's server `error`: unheard, it would end the process.
        server.on("error", () => {});
        const bound = server.address();
        resolve({ port: typeof bound === "object" && bound ? bound.port : 0, close: () => server.close() });
      });
    });
  },

  connect(addr: SocketAddress, timeoutMs: number, tls?: ClientTls): Promise<Socket> {
    if (tls) return connectTls(addr, timeoutMs, tls);
    const where = describeAddress(addr);
    return new Promise((resolve, reject) => {
      const target = "path" in addr ? { path: addr.path } : { host: addr.host, port: addr.port };
      const sock = net.connect({ ...target, allowHalfOpen: true });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ConnectError("timeout", `Cannot connect to "${where}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error) => {
        clearTimeout(timer);
        reject(toConnectError(err, where));
      };
      sock.once("error", onError);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.off("error", onError);
        resolve(new NodeSocket(sock));
      });
    });
  },
};
