/**
 * TLS listeners on both runtimes, on `node:tls`: Bun's `Bun.listen` takes one
 * certificate and cannot change it, where `node:tls` gives what `--tls-cert`
 * needs on Bun and Deno alike: certificates chosen by SNI (`SNICallback`),
 * replaced in place on a reload (`setSecureContext`, and the SNI table read
 * per handshake), TLS 1.2 minimum, ALPN. Accepted sockets are
 * {@link NodeSocket}s, without `sendFile`/`receiveToFile`.
 *
 * Measured on loopback (a 2-vCPU box, 20 keep-alive connections of small
 * request/response pairs from a node:tls client): Bun's `node:tls` server
 * answered 68 000 pairs/s where `Bun.listen` with `tls` answered 75 000.
 *
 * @module
 */
import type net from "node:net";
import tls from "node:tls";
import { NodeSocket } from "./node-socket.ts";
import type { Listener, Socket, SocketAddress } from "./socket-types.ts";
import type { KeyPair, ServerCertificates, ServerTls } from "./tls-types.ts";

type Contexts = Map<string, tls.SecureContext>;

/** The context for SNI `name`: exact, else the wildcard one label up; undefined: the listener's fallback. */
function pick(contexts: Contexts, name: string): tls.SecureContext | undefined {
  if (contexts.size === 0 || !name) return undefined;
  const lower = name.toLowerCase();
  const exact = contexts.get(lower);
  if (exact) return exact;
  const dot = lower.indexOf(".");
  return dot > 0 ? contexts.get(`*${lower.slice(dot)}`) : undefined;
}

const context = (p: KeyPair) => tls.createSecureContext({ cert: p.cert, key: p.key, minVersion: "TLSv1.2" });
const contextsOf = (c: ServerCertificates): Contexts => new Map([...c.byName].map(([name, p]) => [name, context(p)]));

/**
 * Listens on `addr` and calls `onAccept` with each connection whose TLS
 * handshake completed (`socketOpts` as {@link NodeSocket} takes them). A connection that has not finished its handshake
 * within `opts.handshakeTimeoutMs` is destroyed: `node:tls`'s own
 * `handshakeTimeout` only starts with the first byte, so a client that
 * connects and says nothing would otherwise hold its socket for ever.
 * Rejects when the address cannot be bound.
 */
export function listenTls(
  addr: SocketAddress,
  onAccept: (socket: Socket) => void,
  opts: ServerTls,
  reusePort?: boolean,
  socketOpts?: { holdOnPause?: boolean },
): Promise<Listener> {
  let contexts = contextsOf(opts.certificates);
  // TCP sockets whose handshake is pending, and the timer that ends them.
  const pending = new Map<net.Socket, ReturnType<typeof setTimeout>>();
  const settle = (raw: net.Socket) => {
    clearTimeout(pending.get(raw));
    pending.delete(raw);
  };
  const server = tls.createServer({
    allowHalfOpen: true,
    minVersion: "TLSv1.2",
    ALPNProtocols: ["http/1.1"],
    cert: opts.certificates.fallback.cert,
    key: opts.certificates.fallback.key,
    handshakeTimeout: opts.handshakeTimeoutMs,
    SNICallback: (name, cb) => cb(null, pick(contexts, name)),
  }, (sock) => {
    // Bun hands the same object to `connection` and here; Deno's TLS socket wraps the TCP one (`_parent`).
    settle(pending.has(sock) ? sock : (sock as unknown as { _parent: net.Socket })._parent);
    onAccept(new NodeSocket(sock, socketOpts));
  });
  server.on("connection", (raw: net.Socket) => {
    pending.set(raw, setTimeout(() => (pending.delete(raw), raw.destroy()), opts.handshakeTimeoutMs));
    raw.once("close", () => settle(raw));
  });
  // A failed handshake (TLS 1.0 offered, garbage, a timeout): node:tls has already destroyed the socket.
  server.on("tlsClientError", () => {});
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    const where = "path" in addr ? { path: addr.path } : { host: addr.host, port: addr.port, reusePort };
    server.listen(where, () => {
      server.off("error", reject);
      // An accept that fails (EMFILE) is the server's `error`: unheard, it would end the process.
      server.on("error", () => {});
      const bound = server.address();
      resolve({
        port: typeof bound === "object" && bound ? bound.port : 0,
        close: () => server.close(),
        setCertificates(certificates: ServerCertificates) {
          // Both built before either is swapped in: a handshake sees the old set or the new, never half of each.
          const next = contextsOf(certificates);
          const fallback = certificates.fallback;
          // ALPN is the server's, not the context's: it stays; minVersion must be given again (Bun resets it otherwise).
          server.setSecureContext({ cert: fallback.cert, key: fallback.key, minVersion: "TLSv1.2" });
          contexts = next;
        },
      });
    });
  });
}
