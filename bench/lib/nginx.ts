/**
 * The nginx configuration the benchmark compares holdfast with: the same job
 * (buffer the whole body to a temp file on tmpfs, then send it to a keepalive
 * upstream over HTTP/1.1), with every path inside the benchmark's temp dirs.
 */

/** Where the generated nginx puts things and whom it talks to. */
export interface NginxSetup {
  /** `-p` prefix: pid file and logs live here. */
  prefix: string;
  /** `client_body_temp_path`, a directory on /dev/shm like holdfast's spool. */
  bodyTempDir: string;
  listenPort: number;
  sinkPort: number;
  /**
   * Run the worker as this user. As root, nginx would otherwise switch to
   * `nobody`, which cannot write the benchmark's 0700 temp dirs.
   */
  user?: string;
  /**
   * Match holdfast's data path: `sendfile on` (Debian's stock nginx.conf has
   * it; holdfast replays with sendfile(2)) and `client_body_buffer_size 128k`
   * (holdfast's `--body-buffer` default). Without it, nginx's compiled-in
   * defaults apply: sendfile off, a 16k body buffer.
   */
  matched: boolean;
  /**
   * `worker_connections` (default 64, enough for one upload at a time). Each
   * parallel upload holds two: the client's and the one to the sink.
   */
  workerConnections?: number;
  /** Idle connections to the sink kept by the worker (`keepalive`, default 4); holdfast keeps 32 (`--keepalive`). */
  keepalive?: number;
}

/**
 * The nginx.conf text. A master with one worker, as production runs it
 * (one worker because holdfast is one process); `daemon off` so the
 * benchmark owns the master's PID.
 */
export function nginxConf(s: NginxSetup): string {
  return `${s.user ? `user ${s.user};\n` : ""}daemon off;
master_process on;
worker_processes 1;
pid ${s.prefix}/nginx.pid;
# error, not warn: every upload would log "body is buffered to a temporary file".
error_log ${s.prefix}/error.log error;
events { worker_connections ${s.workerConnections ?? 64}; }
http {
  access_log off;
${s.matched ? "  sendfile on;\n  client_body_buffer_size 128k;\n" : ""}  client_body_temp_path ${s.bodyTempDir};
  client_max_body_size 0;
  proxy_temp_path ${s.prefix}/proxy_temp;
  fastcgi_temp_path ${s.prefix}/fastcgi_temp;
  uwsgi_temp_path ${s.prefix}/uwsgi_temp;
  scgi_temp_path ${s.prefix}/scgi_temp;
  upstream sink {
    server 127.0.0.1:${s.sinkPort};
    keepalive ${s.keepalive ?? 4};
  }
  server {
    listen 127.0.0.1:${s.listenPort};
    location / {
      proxy_pass http://sink;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering on;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
    }
  }
}
`;
}
