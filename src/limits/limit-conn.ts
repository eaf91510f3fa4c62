/**
 * `--limit-conn` (nginx `limit_conn_zone $binary_remote_addr` +
 * `limit_conn`): connections open at once per client address.
 *
 * nginx counts requests being processed; holdfast counts open client
 * connections, idle keep-alive ones included, which for HTTP/1.1 (one request
 * at a time per connection) is what nginx's count becomes under load, and
 * which also bounds the connections a client may hold idle. The table holds
 * only addresses with a connection open, so it is bounded by them.
 *
 * @module
 */
import type { AccessRecord } from "../access-log.ts";
import type { ClientConnection, StartRequest } from "../engine/client-conn.ts";
import type { RequestHead } from "../http1/head.ts";
import { reasonOf } from "../http1/reasons.ts";
import { RequestRecord } from "../proxy/request-record.ts";
import type { LimitConnSpec } from "./flags.ts";

const ENC = new TextEncoder();

/** The open connections of each client address. */
export class ConnLimiter {
  readonly #open = new Map<string, number>();
  /** Requests refused since start (`holdfast_limit_refused_total`). */
  refused = 0;

  /** @param onDone receives the access record of each refused request */
  constructor(readonly spec: LimitConnSpec, readonly onDone: (r: AccessRecord) => void) {}

  /** Addresses with a connection open now. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Counts a new connection from `address` when it is within the limit.
   * @returns false when it is not: it is not counted, and its first request is refused ({@link refuse})
   */
  admit(address: string): boolean {
    const n = this.#open.get(address) ?? 0;
    if (n >= this.spec.max) return false;
    this.#open.set(address, n + 1);
    return true;
  }

  /** An admitted connection from `address` closed. */
  release(address: string): void {
    const n = this.#open.get(address) ?? 0;
    if (n <= 1) this.#open.delete(address);
    else this.#open.set(address, n - 1);
  }

  /**
   * The request start of a refused connection: its first request gets 503
   * (or `status=429`) and the connection closes after it (a lingering close,
   * so an upload's client reads the answer); the refusal is access-logged.
   */
  readonly refuse: StartRequest = (conn: ClientConnection, head: RequestHead) => {
    this.refused++;
    const rec = new RequestRecord(conn.clientAddress, head.method, head.target, head);
    const status = this.spec.status;
    // Not errorBody's generic 503 sentence (a restart): the client is told why, as a 4xx would be.
    const body = ENC.encode(`${status} ${reasonOf(status)}: too many connections from this address\nrequest id: ${rec.id}\n`);
    rec.status = status;
    rec.sentBytes = body.byteLength;
    conn.respondAndClose(status, reasonOf(status), body);
    this.onDone(rec);
  };
}
