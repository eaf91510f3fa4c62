/**
 * The two nginx configurations of bench/get.ts: the responder every proxy
 * forwards to (answers each GET with a 2-byte body), and nginx as the reverse
 * proxy holdfast is compared with. Each runs in its own prefix directory.
 */

/** What both configurations share. */
export interface GetNginxBase {
  /** `-p` prefix: pid file, error log and temp paths live here. */
  prefix: string;
  listenPort: number;
  /** Run the worker as this user (`root` when the benchmark runs as root, so it can write the prefix). */
  user?: string;
  /** error_log level: `error` unless given (bench/gzip.ts asks for `warn`, which logs responses buffered to a temp file). */
  errorLogLevel?: "error" | "warn";
}

// The lines every config starts with: one master (`daemon off`, so the
// benchmark owns its PID) and one worker (holdfast is one process), and
// every path nginx would otherwise take from its compiled-in defaults
// (/var/lib/nginx, /var/log/nginx) kept inside the prefix.
function head(s: GetNginxBase): string {
  return `${s.user ? `user ${s.user};\n` : ""}daemon off;
master_process on;
worker_processes 1;
pid ${s.prefix}/nginx.pid;
error_log ${s.prefix}/error.log ${s.errorLogLevel ?? "error"};
# 200 client connections plus as many upstream ones, with room to spare.
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${s.prefix}/client_body_temp;
  proxy_temp_path ${s.prefix}/proxy_temp;
  fastcgi_temp_path ${s.prefix}/fastcgi_temp;
  uwsgi_temp_path ${s.prefix}/uwsgi_temp;
  scgi_temp_path ${s.prefix}/scgi_temp;
  # Keep-alive connections are never closed for their request count (the
  # default closes one after 1000 requests): holdfast has no such cap, and
  # wrk reconnecting every few seconds would measure connection set-up.
  keepalive_requests 1000000;
`;
}

/** The responder: every request gets `200 ok` (text/plain, Content-Length: 2). */
export function responderConf(s: GetNginxBase): string {
  return `${head(s)}  default_type text/plain;
  server {
    listen 127.0.0.1:${s.listenPort};
    location / { return 200 "ok"; }
  }
}
`;
}

/** A TLS listener of the proxy (bench/tls.ts): its port and PEM files. */
export interface NginxTls {
  port: number;
  cert: string;
  key: string;
}

/**
 * The lines of a TLS listener next to the plain one: TLS 1.3 only, one
 * certificate; session tickets and the session cache as nginx's defaults
 * (tickets on, no cache), so a returning client resumes with a ticket.
 */
function tlsLines(t: NginxTls): string {
  return `    listen 127.0.0.1:${t.port} ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate ${t.cert};
    ssl_certificate_key ${t.key};
`;
}

/**
 * A responder serving the files of `root` as they are (no gzip, `sendfile
 * on`, so serving costs little), with `Content-Length`; `.json` files as
 * `application/json`.
 */
export function staticConf(s: GetNginxBase & { root: string }): string {
  return `${head(s)}  types { application/json json; }
  default_type application/octet-stream;
  sendfile on;
  gzip off;
  server {
    listen 127.0.0.1:${s.listenPort};
    location / { root ${s.root}; }
  }
}
`;
}

/**
 * nginx as the reverse proxy: a keepalive upstream over HTTP/1.1 (`keepalive
 * 32`, holdfast's `--keepalive` default), response buffering on (nginx's
 * default, written out so the comparison is explicit). `location` holds
 * more directives for the location, one per line (bench/gzip.ts: `gzip on;`
 * and its settings). With `tls`, the same server also listens with TLS on
 * `tls.port` (bench/tls.ts).
 */
export function proxyConf(s: GetNginxBase & { upstreamPort: number; location?: string[]; tls?: NginxTls }): string {
  return `${head(s)}  upstream responder {
    server 127.0.0.1:${s.upstreamPort};
    keepalive 32;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${s.listenPort};
${s.tls ? tlsLines(s.tls) : ""}    location / {
      proxy_pass http://responder;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
${(s.location ?? []).map((l) => `      ${l}\n`).join("")}    }
  }
}
`;
}
