import http from "node:http";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { tagTransportError } from "./transport-errors.ts";
import type { UpstreamRequest } from "./types.ts";

// Deno's fetch drops a caller's Host and Content-Length and decompresses
// responses; a proxy must do none of that, so on Deno the upstream leg uses
// node:http, which sends headers as given and streams bodies untouched.
const agents = new Map<number, http.Agent>();

/** The agent keeping `idle` connections per peer (nginx `keepalive`); 0 keeps none. */
function agentFor(idle: number): http.Agent {
  let a = agents.get(idle);
  if (!a) {
    a = idle > 0 ? new http.Agent({ keepAlive: true, maxFreeSockets: idle }) : new http.Agent({ keepAlive: false });
    agents.set(idle, a);
  }
  return a;
}

// Statuses whose response never has a body (RFC 9110 §6.4.1).
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** Sends `r` with node:http; see {@link Runtime.send}. */
export function sendWithNodeHttp(r: UpstreamRequest): Promise<Response> {
  const u = new URL(r.url);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of r.headers) {
    const key = k.toLowerCase();
    const prev = headers[key];
    headers[key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return new Promise((resolve, reject) => {
    const req = http.request({
      ...(r.socketPath ? { socketPath: r.socketPath } : { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port || 80) }),
      method: r.method,
      path: u.pathname + u.search,
      headers,
      agent: agentFor(r.keepaliveIdle),
      signal: r.signal,
    });
    req.on("error", (e) => reject(r.signal.aborted ? r.signal.reason : tagTransportError(e)));
    req.on("response", (res) => {
      const h = new Headers();
      const raw = res.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) h.append(raw[i], raw[i + 1]);
      const status = res.statusCode ?? 502;
      const noBody = NULL_BODY.has(status) || r.method === "HEAD";
      if (noBody) res.resume();
      const body = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: res.statusMessage, headers: h }));
    });
    const b = r.body;
    if (b.kind === "file") createReadStream(b.path, { highWaterMark: 1 << 20 }).on("error", (e) => req.destroy(e)).pipe(req);
    else if (b.kind === "bytes") req.end(b.bytes);
    else req.end();
  });
}
