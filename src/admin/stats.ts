/**
 * The admin endpoint's counters since start, fed once per finished request
 * from its access record (server.ts's `onDone`). Each request costs a few
 * additions into arrays made when a route or peer is first seen: no string
 * is built and no label is hashed per request (prom-client would do both);
 * metrics.ts turns these into Prometheus series at scrape time.
 *
 * @module
 */
import type { AccessRecord } from "../access-log.ts";
import type { LiveBody } from "../proxy/request-record.ts";
import type { Route } from "../proxy/routes.ts";
import { Buckets } from "./buckets.ts";

/** The method classes of `holdfast_requests_total`: the common methods by name, any other as `other` (a bounded label set). */
export const METHOD_CLASSES = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"] as const;

/** The status classes of `holdfast_requests_total`. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/**
 * An attempt's outcome (`holdfast_upstream_attempts_total`): the class of
 * the peer's response status, or why no response came (errors.ts's
 * AttemptError kinds).
 */
export const OUTCOMES = [
  "1xx",
  "2xx",
  "3xx",
  "4xx",
  "5xx",
  "refused",
  "connect-timeout",
  "reset",
  "send-timeout",
  "read-timeout",
  "invalid-response",
  "tls",
] as const;

/** Upper bounds, in seconds, of `holdfast_held_seconds`: from "not held" to a 10-minute hold. */
export const HELD_BUCKETS = [0.005, 0.05, 0.25, 1, 5, 15, 30, 60, 120, 300, 600];
/** Upper bounds, in seconds, of `holdfast_upstream_response_seconds` (prom-client's defaults). */
export const RESPONSE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const M = METHOD_CLASSES.length;
const S = STATUS_CLASSES.length;

/** Counts of one route: index `method class × 5 + status class`. */
export interface RouteCounts {
  /** The `route` label: the route's `[HOST]PATH`, `default` without `--route`, `none` before routing, `admin`. */
  readonly label: string;
  readonly counts: Float64Array;
}

/** What one peer's attempts came to. */
export interface PeerCounts {
  /** `host:port` or `unix:/path` (`$upstream_addr`). */
  readonly peer: string;
  /** Attempts by {@link OUTCOMES} index. */
  readonly outcomes: Float64Array;
  /** Time to the response head of attempts that got one. */
  readonly response: Buckets;
}

/** What {@link RequestStats.record} reads: an access record, and the lifecycle's route and body when it has them. */
export type CountedRecord = AccessRecord & { readonly route?: Route; readonly body?: LiveBody };

/** Counters since start; see the README's Admin endpoint section for what each means. */
export class RequestStats {
  /** Epoch ms the counters started. */
  readonly startedAt = Date.now();
  /** Requests finished (parse errors included). */
  requests = 0;
  /** Finished requests by {@link STATUS_CLASSES} index. */
  readonly byStatus = new Float64Array(S);
  /** Request body bytes received. */
  bodyBytes = 0;
  /** Response body bytes sent. */
  sentBytes = 0;
  /** Request body bytes that went to a spool file (past `--body-buffer`). */
  spooledBytes = 0;
  /** Requests that needed more than one attempt or whose attempt failed: those the hold or a retry served or gave up on. */
  heldRequests = 0;
  /** Attempts to peers. */
  attempts = 0;
  /** Attempts that got no response head (refused, reset, timeout, ...). */
  failedAttempts = 0;
  /** Request heads that did not parse (400, 414, 431, 505 from the engine). */
  parseErrors = 0;
  /** Held time of requests that went to a peer (0 for most). */
  readonly held = new Buckets(HELD_BUCKETS);
  readonly #routes = new Map<Route | string, RouteCounts>();
  readonly #peers = new Map<string, PeerCounts>();

  /**
   * Counts one finished request.
   * @param label the route label to count it under, else its route's (`none` when it matched none)
   */
  record(r: CountedRecord, label?: string): void {
    this.requests++;
    const sc = statusClass(r.status);
    if (sc >= 0) this.byStatus[sc]++;
    this.#route(label ?? r.route).counts[methodClass(r.method) * S + (sc < 0 ? 4 : sc)]++;
    this.bodyBytes += r.bodyBytes;
    this.sentBytes += r.sentBytes;
    if (r.body?.spilled) this.spooledBytes += r.bodyBytes;
    const attempts = r.attempts;
    const n = attempts.length;
    if (n === 0) return;
    this.attempts += n;
    this.held.observe(r.heldMs / 1000);
    let failed = false;
    for (let i = 0; i < n; i++) {
      const a = attempts[i];
      const p = this.#peer(a.peer);
      if (a.failure === undefined) {
        p.outcomes[Math.max(0, statusClass(a.status))]++;
        p.response.observe(a.ms / 1000);
      } else {
        failed = true;
        this.failedAttempts++;
        p.outcomes[OUTCOMES.indexOf(a.failure)]++;
      }
    }
    if (n > 1 || failed) this.heldRequests++;
  }

  /** Counts a request head that did not parse (the engine answered it). */
  recordParseError(status: number): void {
    this.requests++;
    this.parseErrors++;
    const sc = statusClass(status);
    if (sc >= 0) this.byStatus[sc]++;
    this.#route("none").counts[(M - 1) * S + (sc < 0 ? 4 : sc)]++;
  }

  /** Every route's counts, in the order first seen. */
  routes(): Iterable<RouteCounts> {
    return this.#routes.values();
  }

  /** Every peer's counts, in the order first attempted. */
  peers(): Iterable<PeerCounts> {
    return this.#peers.values();
  }

  /** The attempts of one peer by outcome name; empty when it had none. */
  outcomesOf(peer: string): Record<string, number> {
    const p = this.#peers.get(peer);
    const out: Record<string, number> = {};
    if (p) OUTCOMES.forEach((o, i) => p.outcomes[i] > 0 && (out[o] = p.outcomes[i]));
    return out;
  }

  #route(key: Route | string | undefined): RouteCounts {
    const k = key ?? "none";
    let c = this.#routes.get(k);
    if (!c) this.#routes.set(k, c = { label: typeof k === "string" ? k : routeLabel(k), counts: new Float64Array(M * S) });
    return c;
  }

  #peer(peer: string): PeerCounts {
    let c = this.#peers.get(peer);
    if (!c) this.#peers.set(peer, c = { peer, outcomes: new Float64Array(OUTCOMES.length), response: new Buckets(RESPONSE_BUCKETS) });
    return c;
  }
}

/** A route's label: its `[HOST]PATH` as given (`/api/`, `=/healthz`, `photos.example.com/`), `default` without `--route`. */
export function routeLabel(route: Route): string {
  if (route.text === undefined) return "default";
  const spec = route.text.split(",")[0];
  return spec.slice(0, spec.lastIndexOf("="));
}

/** Index into {@link STATUS_CLASSES}; -1 for a status outside 100-599. */
export function statusClass(status: number): number {
  return status >= 100 && status < 600 ? ((status / 100) | 0) - 1 : -1;
}

/** Index into {@link METHOD_CLASSES}. */
export function methodClass(method: string): number {
  switch (method) {
    case "GET":
      return 0;
    case "HEAD":
      return 1;
    case "POST":
      return 2;
    case "PUT":
      return 3;
    case "PATCH":
      return 4;
    case "DELETE":
      return 5;
    case "OPTIONS":
      return 6;
    default:
      return 7;
  }
}
