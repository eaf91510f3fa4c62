/**
 * Many uploads at once, for the parallel case of bench/upload.ts: N PUTs of
 * the same body to one URL, all started together, timed from the first
 * request's start to the last response. Two clients:
 *
 * - `socket`: Bun sockets in the benchmark's own process, the body read once
 *   into memory and written to every socket from there (one copy per upload,
 *   in the kernel). Cheap enough that two CPUs are left to the proxy and the sink.
 * - `curl`: one `curl -T` process per upload, the client of the single-upload
 *   case. 64 of them on 2 CPUs cost the machine process start-up and a second
 *   copy of each body (file to curl, curl to socket).
 *
 * Every upload is bounded by `maxSeconds`; every response is checked (status
 * 200, the byte count the sink reports and, when `sha256` is given, the hash
 * it reports).
 */
/// <reference types="bun-types" />
import { readFileSync } from "node:fs";
import type { ClientKind } from "./args.ts";
import { parseSinkAnswer, upload } from "./curl.ts";
import { HASH_QUERY } from "./hash-sink.ts";
import type { Started } from "./proc.ts";

/** What {@link parallelUploads} needs. */
export interface ParallelOptions {
  client: ClientKind;
  /** `http://127.0.0.1:PORT/PATH`. */
  url: string;
  /** The body file (on /dev/shm). */
  file: string;
  /** Its size in bytes. */
  size: number;
  /** Uploads at once. */
  count: number;
  /** Bound on each upload, seconds. */
  maxSeconds: number;
  /** The body's SHA-256 (hex): ask the sink to hash each body and check what it reports. */
  sha256?: string;
  /** Registers a curl process (client `curl`) for the final cleanup; `untrack` once it exited. */
  track(p: Started): void;
  untrack(p: Started): void;
}

/** What one round of parallel uploads measured. */
export interface ParallelResult {
  /** From the first request's start to the last response's end, seconds. */
  seconds: number;
  /** Each upload's own time (request start to response end), seconds, in completion order. */
  each: number[];
  /**
   * CPU time the client used (user + system), seconds: the curl processes'
   * own, or the whole benchmark process's over the round (the socket client
   * and what little else it does meanwhile).
   */
  clientCpuSeconds: number;
}

/**
 * Sends `count` uploads of `file` to `url` at once and waits for all of them.
 * @throws when any upload failed (after all of them ended), naming how many and the first error
 */
export function parallelUploads(o: ParallelOptions): Promise<ParallelResult> {
  return o.client === "curl" ? viaCurl(o) : viaSockets(o);
}

async function settle(
  o: ParallelOptions,
  uploads: Promise<number>[],
  t0: number,
  ends: number[],
  cpu: () => number,
): Promise<ParallelResult> {
  const results = await Promise.allSettled(uploads);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length) {
    throw new Error(
      `${failed.length} of ${o.count} parallel uploads to ${o.url} failed; the first: ${(failed[0].reason as Error).message}`,
    );
  }
  return {
    seconds: (Math.max(...ends) - t0) / 1000,
    each: results.map((r) => (r as PromiseFulfilledResult<number>).value),
    clientCpuSeconds: cpu(),
  };
}

async function viaCurl(o: ParallelOptions): Promise<ParallelResult> {
  const ends: number[] = [];
  let cpu = 0;
  // Measured from just before the first curl is spawned: its start-up is part of the client's cost.
  const t0 = performance.now();
  const uploads = Array.from({ length: o.count }, async () => {
    const u = await upload(o.url, o.file, o.size, o.maxSeconds, { sha256: o.sha256, track: o.track, untrack: o.untrack });
    ends.push(performance.now());
    cpu += u.cpuSeconds;
    return u.seconds;
  });
  return await settle(o, uploads, t0, ends, () => cpu);
}

/** Reads each body file once per process: the socket client writes every upload from this copy. */
const bodies = new Map<string, Uint8Array>();

function bodyOf(file: string, size: number): Uint8Array {
  let b = bodies.get(file);
  if (!b || b.byteLength !== size) {
    b = new Uint8Array(readFileSync(file));
    if (b.byteLength !== size) throw new Error(`${file} has ${b.byteLength} bytes, expected ${size}`);
    bodies.clear();
    bodies.set(file, b);
  }
  return b;
}

async function viaSockets(o: ParallelOptions): Promise<ParallelResult> {
  const url = new URL(o.sha256 ? o.url + HASH_QUERY : o.url);
  const body = bodyOf(o.file, o.size);
  // What curl -T -H 'Expect:' sends, give or take the User-Agent.
  const head = new TextEncoder().encode(
    `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: holdfast-bench\r\nAccept: */*\r\n` +
      `Content-Length: ${o.size}\r\n\r\n`,
  );
  const ends: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const uploads = Array.from({ length: o.count }, async () => {
    const start = performance.now();
    const text = await socketUpload(url, head, body, o.maxSeconds * 1000);
    const end = performance.now();
    ends.push(end);
    const answer = parseSinkAnswer(text);
    if (answer.received !== o.size || (o.sha256 && answer.sha256 !== o.sha256)) {
      throw new Error(
        `Upload to ${url} answered ${JSON.stringify(text.slice(0, 200))}, expected ${o.size} bytes${
          o.sha256 ? ` with sha256 ${o.sha256}` : ""
        }`,
      );
    }
    return (end - start) / 1000;
  });
  return await settle(o, uploads, t0, ends, () => {
    const c = process.cpuUsage(cpu0);
    return (c.user + c.system) / 1e6;
  });
}

/** One upload's state, as the socket's `data`. */
interface Exchange {
  head: Uint8Array;
  body: Uint8Array;
  /** Bytes of head + body written so far. */
  written: number;
  /** Response bytes so far. */
  response: Uint8Array[];
  settled: boolean;
  resolve(text: string): void;
  reject(e: Error): void;
}

const DECODER = new TextDecoder();

/** Writes what the socket takes; the rest waits for `drain`. */
function pump(s: Bun.Socket<Exchange>): void {
  const x = s.data;
  // Bounded: each pass writes at least one byte or returns.
  while (x.written < x.head.byteLength + x.body.byteLength) {
    const rest = x.written < x.head.byteLength ? x.head.subarray(x.written) : x.body.subarray(x.written - x.head.byteLength);
    const n = s.write(rest);
    if (n <= 0) return;
    x.written += n;
    if (n < rest.byteLength) return;
  }
}

/**
 * The response's status and body once `bytes` hold a whole final response
 * (1xx interim responses skipped; Content-Length or chunked), else undefined.
 */
export function parseResponse(bytes: Uint8Array): { status: number; body: string } | undefined {
  let at = 0;
  // Bounded by the bytes: each pass consumes one interim response.
  for (;;) {
    const text = DECODER.decode(bytes.subarray(at));
    const end = text.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const lines = text.slice(0, end).split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1]);
    if (!status) throw new Error(`Bad status line ${JSON.stringify(lines[0])}`);
    const headBytes = new TextEncoder().encode(text.slice(0, end + 4)).byteLength;
    if (status < 200) {
      at += headBytes;
      continue;
    }
    const header = (name: string) => lines.find((l) => l.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
    const rest = bytes.subarray(at + headBytes);
    if (header("transfer-encoding")?.toLowerCase() === "chunked") {
      const body = dechunk(DECODER.decode(rest));
      return body === undefined ? undefined : { status, body };
    }
    const length = Number(header("content-length") ?? 0);
    return rest.byteLength >= length ? { status, body: DECODER.decode(rest.subarray(0, length)) } : undefined;
  }
}

/** A chunked body's content once its last chunk arrived, else undefined (the sink's answers are ASCII). */
function dechunk(text: string): string | undefined {
  let out = "";
  let at = 0;
  // Bounded by the text: each pass consumes one chunk.
  for (;;) {
    const eol = text.indexOf("\r\n", at);
    if (eol < 0) return undefined;
    const n = parseInt(text.slice(at, eol), 16);
    if (Number.isNaN(n)) throw new Error(`Bad chunk size ${JSON.stringify(text.slice(at, eol))}`);
    if (n === 0) return text.indexOf("\r\n\r\n", eol - 2) >= 0 ? out : undefined;
    if (text.length < eol + 2 + n + 2) return undefined;
    out += text.slice(eol + 2, eol + 2 + n);
    at = eol + 2 + n + 2;
  }
}

function received(x: Exchange): Uint8Array {
  if (x.response.length === 1) return x.response[0];
  const all = new Uint8Array(x.response.reduce((s, r) => s + r.byteLength, 0));
  let at = 0;
  for (const r of x.response) {
    all.set(r, at);
    at += r.byteLength;
  }
  x.response = [all];
  return all;
}

const handler: Bun.SocketHandler<Exchange> = {
  binaryType: "uint8array",
  open: pump,
  drain: pump,
  data(s, bytes) {
    const x = s.data;
    x.response.push(bytes);
    let r: { status: number; body: string } | undefined;
    try {
      r = parseResponse(received(x));
    } catch (e) {
      x.reject(e as Error);
      s.terminate();
      return;
    }
    if (!r) return;
    if (r.status !== 200) x.reject(new Error(`status ${r.status}: ${r.body.slice(0, 200)}`));
    else if (x.written < x.head.byteLength + x.body.byteLength) x.reject(new Error(`answered ${r.status} before the body was sent`));
    else x.resolve(r.body);
    // As curl does when it exits: the proxy sees the client close its keep-alive connection.
    s.end();
  },
  end(s) {
    s.data.reject(new Error("the server closed the connection before a whole response"));
  },
  close(s, error) {
    s.data.reject(error ?? new Error("the connection closed before a whole response"));
  },
  error(s, error) {
    s.data.reject(error);
  },
  connectError(s, error) {
    s.data.reject(error);
  },
};

/** One PUT over a fresh connection; resolves with the response body (the sink's answer). */
function socketUpload(url: URL, head: Uint8Array, body: Uint8Array, timeoutMs: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let socket: Bun.Socket<Exchange> | undefined;
    const timer = setTimeout(() => {
      x.reject(new Error(`no whole response within ${timeoutMs} ms`));
      socket?.terminate();
    }, timeoutMs);
    const x: Exchange = {
      head,
      body,
      written: 0,
      response: [],
      settled: false,
      resolve(text) {
        if (x.settled) return;
        x.settled = true;
        clearTimeout(timer);
        resolve(text);
      },
      reject(e) {
        if (x.settled) return;
        x.settled = true;
        clearTimeout(timer);
        reject(new Error(`PUT ${url}: ${e.message}`));
      },
    };
    Bun.connect({ hostname: url.hostname, port: Number(url.port), socket: handler, data: x }).then(
      (s) => {
        socket = s;
        if (x.settled) s.terminate();
      },
      (e) => x.reject(e as Error),
    );
  });
}
