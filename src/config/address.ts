/** A peer address as parsed from `--upstream`. */
export interface PeerAddress {
  /** Host name or IP literal, without brackets; `localhost` for a unix socket. */
  host: string;
  /** TCP port; 80 for a unix socket (only the Host header sees it). */
  port: number;
  /** `http://host:port` (or `https://`) with brackets around IPv6, the base of every upstream URL. */
  origin: string;
  /** Set for an `https://` peer (nginx `proxy_pass https://`): how its certificate is checked. */
  tls?: PeerTls;
  /** The socket path of a `unix:/path.sock` peer. */
  socketPath?: string;
  /** `host:port` or `unix:/path`, as the access log prints it (`$upstream_addr`). */
  key: string;
}

/** How an https peer's certificate is checked (nginx `proxy_ssl_verify`, `proxy_ssl_name`). */
export interface PeerTls {
  /** false: any certificate is accepted (`,tls-verify=off`, for self-signed test peers only). */
  verify: boolean;
  /** The name its certificate must carry and SNI sends (`,tls-name=NAME`); default the peer's host. */
  name: string;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** Parses `HOST:PORT` (IPv6 in brackets); undefined when malformed or the port is out of range. */
export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = HOST_PORT.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port > 0 && port < 65536 ? { host: m[1].replace(/^\[|\]$/g, ""), port } : undefined;
}

/** Accepted peer address forms, quoted in error messages. */
export const ADDRESS_FORM = "HOST:PORT, http://HOST:PORT, https://HOST:PORT or unix:/path.sock (127.0.0.1:3000)";

/**
 * Parses a peer address: `HOST:PORT`, `http://HOST:PORT`, `https://HOST:PORT`
 * (its certificate verified, its host sent as SNI) or `unix:/path.sock`;
 * undefined when malformed.
 */
export function parsePeerAddress(s: string): PeerAddress | undefined {
  if (s.startsWith("unix:")) {
    const path = s.slice(5);
    if (!path.startsWith("/")) return undefined;
    return { host: "localhost", port: 80, origin: "http://localhost", socketPath: path, key: s };
  }
  const https = s.startsWith("https://");
  const hp = parseHostPort(s.replace(/^https?:\/\//, "").replace(/\/$/, ""));
  if (!hp) return undefined;
  const h = hp.host.includes(":") ? `[${hp.host}]` : hp.host;
  const scheme = https ? "https" : "http";
  const address: PeerAddress = { ...hp, origin: `${scheme}://${h}:${hp.port}`, key: `${h}:${hp.port}` };
  if (https) address.tls = { verify: true, name: hp.host };
  return address;
}
