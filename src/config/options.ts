/**
 * Every command-line flag, its default, and the nginx directive it mirrors.
 * `--help` is generated from this table, so the two cannot drift apart.
 */
export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  /** One-letter alias (`-h`), for the flags every Unix user types by habit. */
  short?: string;
  type: "string" | "boolean";
  /** May be given more than once. */
  multiple?: boolean;
  /** Value placeholder shown in help, e.g. `SIZE`. */
  value?: string;
  /** Default as typed on the command line; undefined: none. */
  default?: string;
  /** The nginx directive this mirrors, if any. */
  nginx?: string;
  help: string;
}

/** The flag table, in `--help` order. */
export const FLAGS: FlagSpec[] = [
  {
    name: "listen",
    type: "string",
    multiple: true,
    value: "HOST:PORT[,tls]",
    default: "0.0.0.0:8080",
    nginx: "listen HOST:PORT [ssl]; ssl_protocols TLSv1.2 TLSv1.3",
    help:
      "Address the proxy accepts clients on. ,tls terminates TLS there (TLS 1.2 and 1.3 only, ALPN http/1.1) with --tls-cert and --tls-key; X-Forwarded-Proto and $scheme then say https.",
  },
  {
    name: "tls-cert",
    type: "string",
    multiple: true,
    value: "[NAME=]FILE",
    nginx: "ssl_certificate",
    help:
      "PEM certificate chain (the server's certificate first, then intermediates) for the ,tls listeners. With NAME (app.example.com, *.example.com) it is served to clients asking for that name by SNI; the one without NAME (else the first) to all others. Re-read on SIGHUP: new connections get the new files, open ones and held requests go on.",
  },
  {
    name: "tls-key",
    type: "string",
    multiple: true,
    value: "[NAME=]FILE",
    nginx: "ssl_certificate_key",
    help: "PEM private key (unencrypted) of the --tls-cert with the same NAME.",
  },
  {
    name: "redirect-https",
    type: "boolean",
    nginx: "return 308 https://$host$request_uri",
    help:
      "Answers every request on the listeners without ,tls with 308 to the same URL on https (the first ,tls listener's port), except /.well-known/acme-challenge/, which is proxied so that an ACME client behind holdfast can renew its certificate.",
  },
  {
    name: "upstream",
    type: "string",
    multiple: true,
    value: "[GROUP=]ADDR[,weight=N][,backup][,max-fails=N][,fail-timeout=DUR][,down][,tls-name=NAME][,tls-verify=off]",
    nginx:
      "upstream GROUP { server ADDR weight=N backup max_fails=N fail_timeout=DUR down; }; proxy_pass https://; proxy_ssl_verify on; proxy_ssl_server_name on; proxy_ssl_name",
    help:
      "A peer: ADDR is HOST:PORT, http://HOST:PORT, https://HOST:PORT or unix:/path.sock; without GROUP= it joins group \"default\", which the default route uses. max-fails (default 1) failures within fail-timeout (default 10s) leave it out for fail-timeout. An https:// peer's certificate must be trusted (--upstream-ca, else the system's store) and carry its host, or tls-name=NAME, which is also sent as SNI; it has its own keepalive pool. tls-verify=off accepts any certificate: only for a self-signed test peer, since anyone on the path can then read and change the traffic, which is what https was meant to prevent. Required.",
  },
  {
    name: "upstream-ca",
    type: "string",
    value: "FILE",
    default: "the system's store",
    nginx: "proxy_ssl_trusted_certificate",
    help: "PEM CA certificates that https:// peers' certificates must chain to, instead of the system's store. Re-read on SIGHUP.",
  },
  {
    name: "balance",
    type: "string",
    multiple: true,
    value: "[GROUP=]POLICY",
    default: "round-robin",
    nginx: "least_conn; ip_hash; hash KEY consistent; random two",
    help:
      "Selection policy of a group: round-robin (smooth, weighted), least-conn, ip-hash (IPv4 /24 or full IPv6, on a consistent ring), hash:uri, hash:header:NAME, hash:cookie:NAME, hash:query:NAME (ketama, 160 points per weight), random-two.",
  },
  {
    name: "health-check",
    type: "string",
    multiple: true,
    value: "[GROUP=]PATH[,interval=5s][,timeout=2s][,fails=3][,passes=2][,status=200-399]",
    nginx: "health_check (NGINX Plus)",
    help:
      "Active health checks: GET PATH on every peer of the group; fails bad probes in a row take a peer out, passes good ones put it back.",
  },
  {
    name: "route",
    type: "string",
    multiple: true,
    value: "[HOST]PATH=GROUP[,option...]",
    nginx: "server_name HOST; location [=] PATH { proxy_pass http://GROUP; }",
    help:
      "Sends matching requests to an upstream group. PATH is a prefix (/api/), an exact path (=/healthz) or a pattern (/users/:id/avatar, /static/*); HOST (app.example.com, *.example.com) limits it to one virtual host. Exact beats the longest prefix, which beats patterns in the order given; a request no route matches gets 404. Options: max-body=SIZE (client_max_body_size), hold=DUR, connect-timeout=DUR, read-timeout=DUR, send-timeout=DUR, client-body-timeout=DUR, strip-prefix or rewrite=/PATH/ (the URI part of proxy_pass), set-header=NAME:VALUE with $remote_addr, $host, $scheme, $request_id (proxy_set_header; an empty value removes the field), hide-header=NAME (proxy_hide_header), websocket=off (upgrades go as plain requests), buffer-request=on|off (proxy_request_buffering), buffer-response=on|off (proxy_buffering). Without --route everything goes to group default.",
  },
  {
    name: "next-upstream",
    type: "string",
    value: "LIST",
    default: "error,timeout",
    nginx: "proxy_next_upstream",
    help:
      "When a request that reached a peer is passed to the next one: error, timeout, http_500, http_502, http_503, http_504, http_403, http_404, http_429, non_idempotent, off. A connection that fails before anything was sent is always retried (the hold).",
  },
  {
    name: "next-upstream-tries",
    type: "string",
    value: "N",
    default: "0",
    nginx: "proxy_next_upstream_tries",
    help: "Most attempts per request; 0 means no limit within --hold.",
  },
  {
    name: "next-upstream-timeout",
    type: "string",
    value: "DURATION",
    default: "0",
    nginx: "proxy_next_upstream_timeout",
    help: "Time after the first attempt during which the next peer may be tried; 0 means only --hold bounds it.",
  },
  {
    name: "keepalive",
    type: "string",
    value: "N",
    default: "32",
    nginx: "keepalive",
    help:
      "Idle connections kept open per peer for reuse (newest reused first; the excess closes once idle for 100ms, all idle ones after 60s); 0 closes each after its response.",
  },
  {
    name: "spool",
    type: "string",
    multiple: true,
    value: "DIR",
    default: "/dev/shm/holdfast (else the OS temp dir)",
    nginx: "client_body_temp_path",
    help:
      "Spool directory; repeat in order of preference. A body goes to the first with room. At start-up each gets a file written, read back and removed: one that fails is skipped with a warning (none working stops holdfast); one that fails later is skipped for 10s.",
  },
  {
    name: "spool-reserve",
    type: "string",
    value: "SIZE",
    default: "the smaller of 64m and 5% of the spool's file system",
    help:
      "Free space a spool directory must keep after a body is written; else the next directory, else 507. The default keeps a small tmpfs usable (2.5m of a 50m one).",
  },
  {
    name: "body-buffer",
    type: "string",
    value: "SIZE",
    default: "128k",
    nginx: "client_body_buffer_size",
    help: "Bytes of a request body kept in memory before spilling to the spool.",
  },
  {
    name: "buffer-request",
    type: "string",
    value: "on|off",
    default: "on",
    nginx: "proxy_request_buffering",
    help:
      "on: the whole request body is received and spooled before a peer is contacted, so it can be held and replayed. off: the body streams to the peer as it arrives, and the request is held only until its first body byte is sent. A --route may set buffer-request=.",
  },
  {
    name: "buffer-response",
    type: "string",
    value: "on|off",
    default: "on",
    nginx: "proxy_buffering",
    help:
      "on: a response is read as fast as the peer sends it, into memory (--response-buffer) and a spool file, and the peer connection is freed; a slow client is served from there. off: the peer is read at the client's pace. text/event-stream and X-Accel-Buffering: no responses are never buffered. A --route may set buffer-response=.",
  },
  {
    name: "response-buffer",
    type: "string",
    value: "SIZE",
    default: "64k",
    nginx: "proxy_buffers",
    help: "Bytes of a response kept in memory for a slow client before the rest spills to a file in the --spool directory.",
  },
  {
    name: "max-temp-file-size",
    type: "string",
    value: "SIZE",
    default: "1g",
    nginx: "proxy_max_temp_file_size",
    help: "Largest spill file of one response; past it the peer is read at the client's pace. 0 never spills.",
  },
  {
    name: "max-body",
    type: "string",
    value: "SIZE",
    default: "0",
    nginx: "client_max_body_size",
    help: "Largest request body accepted, else 413; 0 means no limit.",
  },
  {
    name: "limit-req",
    type: "string",
    value: "RATE[,burst=N][,nodelay][,key=ip|header:NAME]",
    default: "off",
    nginx: "limit_req_zone KEY zone=z:1m rate=RATE; limit_req zone=z burst=N [nodelay]",
    help:
      "Requests per client address (or per value of a request field; a request without it is not limited) at RATE (10r/s, 600r/m, 10). Beyond the rate up to burst requests wait their turn (nodelay: go at once); beyond that 429 with Retry-After (nginx's default is 503). Checked once when a head arrives: holds and replays never count. At most 10 000 keys are remembered, the least recently used forgotten first. A route's limit-req= options override it.",
  },
  {
    name: "limit-conn",
    type: "string",
    value: "N[,key=ip][,status=503|429]",
    default: "off",
    nginx: "limit_conn_zone $binary_remote_addr zone=c:1m; limit_conn c N; limit_conn_status",
    help:
      "Open client connections per client address (idle keep-alive ones too); a connection beyond N gets 503 (or 429) to its first request, then is closed.",
  },
  {
    name: "hold",
    type: "string",
    value: "DURATION",
    default: "60s",
    help: "How long a request is held and retried while its upstream cannot be reached; 0 answers 502 at once, as nginx does.",
  },
  {
    name: "hold-probe-interval",
    type: "string",
    value: "DURATION",
    default: "100ms",
    help:
      "While requests are held, each peer of their group is probed this often (a connect and OPTIONS *), and the first peer that answers wakes them all at once: one probe per peer, not one retry per request. holdfast's own; nginx has no hold, Caddy retries each request every lb_try_interval (250ms). At least 10ms.",
  },
  {
    name: "connect-timeout",
    type: "string",
    value: "DURATION",
    default: "5s",
    nginx: "proxy_connect_timeout",
    help: "Time to establish a connection to a peer.",
  },
  {
    name: "read-timeout",
    type: "string",
    value: "DURATION",
    default: "60s",
    nginx: "proxy_read_timeout",
    help: "Time between two reads from the upstream (the response head included); else 504.",
  },
  {
    name: "send-timeout",
    type: "string",
    value: "DURATION",
    default: "60s",
    nginx: "proxy_send_timeout",
    help: "Time between two writes to a peer that it accepts while the request is sent; else 504.",
  },
  {
    name: "client-body-timeout",
    type: "string",
    value: "DURATION",
    default: "60s",
    nginx: "client_body_timeout",
    help: "Time between two reads of the client's body; else 408.",
  },
  {
    name: "keepalive-timeout",
    type: "string",
    value: "DURATION",
    default: "75s",
    nginx: "keepalive_timeout",
    help: "How long an idle client connection is kept open between requests.",
  },
  {
    name: "keepalive-requests",
    type: "string",
    value: "N",
    default: "1000",
    nginx: "keepalive_requests",
    help: "Requests served on one connection, client or peer, before it is closed.",
  },
  {
    name: "client-header-timeout",
    type: "string",
    value: "DURATION",
    default: "60s",
    nginx: "client_header_timeout",
    help: "Time for a client to send a whole request head; else the connection is closed (slowloris).",
  },
  {
    name: "max-header-size",
    type: "string",
    value: "SIZE",
    default: "64k",
    nginx: "large_client_header_buffers",
    help:
      "Largest request head (request line and fields) and chunked trailer section; 414 for a longer request line, 431 for a larger head.",
  },
  {
    name: "max-response-header-size",
    type: "string",
    value: "SIZE",
    default: "64k",
    nginx: "proxy_buffer_size",
    help: "Largest response head from a peer; past it 502 and the peer connection is closed.",
  },
  {
    name: "tunnel-idle-timeout",
    type: "string",
    value: "DURATION",
    default: "1h",
    nginx: "proxy_read_timeout (on an upgraded connection)",
    help: "A WebSocket or other upgraded connection with no byte either way for this long is closed.",
  },
  {
    name: "workers",
    type: "string",
    value: "N|auto",
    default: "1",
    nginx: "worker_processes",
    help:
      "Worker processes serving the listeners, each bound with SO_REUSEPORT (the kernel spreads new connections); auto = one per CPU. Above 1 a primary process starts and restarts them, shares peer health and runs the admin endpoint; the ports must be fixed (not 0). See README: Workers.",
  },
  {
    name: "shutdown-timeout",
    type: "string",
    value: "DURATION",
    default: "30s",
    nginx: "worker_shutdown_timeout",
    help:
      "On SIGTERM/SIGINT, how long in-flight requests may take to finish; those still unanswered then get 503 with Retry-After (or the --offline-page) and their spool files are removed.",
  },
  {
    name: "offline-page",
    type: "string",
    value: "FILE",
    nginx: "error_page 502 503 504 /offline.html",
    help: "HTML page served when holdfast gives up on the upstream. Re-read on SIGHUP; a broken file keeps the page in use.",
  },
  {
    name: "offline-status",
    type: "string",
    value: "CODE",
    default: "502 (504 on a timeout)",
    nginx: "error_page ... =CODE",
    help: "Status sent with --offline-page.",
  },
  {
    name: "compress",
    type: "string",
    value: "off|CODING,...",
    default: "off",
    nginx: "gzip on (gzip_vary on)",
    help:
      "Compresses responses with gzip, br or zstd, as the client's Accept-Encoding allows (q-values; on a tie the order given here wins), adding Vary: Accept-Encoding. Never HEAD, 1xx, 204, 206, 304, a Content-Encoding or Content-Range already there, Cache-Control: no-transform, or text/event-stream. A strong ETag becomes weak.",
  },
  {
    name: "compress-types",
    type: "string",
    value: "TYPE,...",
    default: "text/*,application/json,application/javascript,image/svg+xml,application/xml",
    nginx: "gzip_types",
    help: "Media types compressed (TYPE/SUBTYPE, TYPE/* or *); parameters such as charset are ignored.",
  },
  {
    name: "compress-min-length",
    type: "string",
    value: "SIZE",
    default: "1k",
    nginx: "gzip_min_length",
    help: "A response whose Content-Length is below this is sent as it is; a body of unknown length is always compressed.",
  },
  {
    name: "compress-level",
    type: "string",
    value: "CODING=N,...",
    default: "gzip=1,br=4,zstd=3",
    nginx: "gzip_comp_level",
    help: "Compression level per coding: gzip 1-9, br 0-11, zstd 1-19.",
  },
  { name: "access-log", type: "string", value: "on|off", default: "on", nginx: "access_log", help: "One line per request on stdout." },
  {
    name: "access-log-format",
    type: "string",
    value: "kv|json|combined",
    default: "kv",
    nginx: "log_format",
    help:
      "kv: time, client, \"method target\", status, then key=value fields; json: one object per line with the same fields; combined: nginx's combined format with $request_time after it. Every format has the client's Host, User-Agent and Referer.",
  },
  {
    name: "log-format",
    type: "string",
    value: "kv|json",
    default: "kv",
    nginx: "error_log",
    help:
      "Format of the event log on stderr (peer down and up, hold start and end, spool full, reload, shutdown): kv is time, kind, key=value fields; json one object per line.",
  },
  {
    name: "admin-listen",
    type: "string",
    value: "HOST:PORT",
    default: "off",
    nginx: "server { listen HOST:PORT; location / { stub_status; } }",
    help:
      "Serves the admin endpoint on its own address: / a live status page, /status.json, /metrics (Prometheus), /stub_status (nginx's format). A bare PORT means 127.0.0.1:PORT. Never on a proxy listener unless --admin-path says so.",
  },
  {
    name: "admin-path",
    type: "string",
    value: "/PREFIX",
    default: "off",
    nginx: "location /PREFIX { stub_status; }",
    help:
      "Also answers the admin endpoint on the proxy's own listeners under this prefix (/_holdfast, /_holdfast/metrics, ...) instead of proxying those requests. Anyone who reaches the proxy can then read it.",
  },
  {
    name: "check",
    type: "boolean",
    nginx: "nginx -t",
    help:
      "Check everything and exit without serving: every flag, each spool directory (a file written, read back and removed), each TLS file, the offline page, each peer's address (DNS for names; for a unix socket, its directory). Prints what holdfast would do; exits 0, or 1 naming each problem.",
  },
  { name: "help", short: "h", type: "boolean", help: "Print this help and exit." },
  { name: "version", short: "V", type: "boolean", help: "Print the version and build target and exit." },
];
