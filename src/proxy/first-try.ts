/**
 * The first try of a request, outside the hold: most requests are answered
 * by it, and then the hold's async functions never run (bench/README.md,
 * Findings: each one between the peer's answer and the client's write cost
 * a small GET measurably).
 *
 * @module
 */
import type { Exchange } from "../transport/exchange.ts";
import type { Group } from "../upstream/group.ts";
import type { Peer } from "../upstream/peer.ts";
import type { SelectContext } from "../upstream/types.ts";
import { type AttemptInput, IDEMPOTENT, startOnIdle } from "./attempt.ts";
import type { HoldRecord, RetryRules } from "./hold.ts";

// No peer is excluded on a first try; never changed.
const NO_PEERS: ReadonlySet<Peer> = new Set<Peer>();

/** The response to relay and the peer that sent it. */
export interface Sent {
  exchange: Exchange;
  /** Call `end()` when the response body has been relayed (least-conn counts it). */
  peer: Peer;
}

/** The first attempt's peer, chosen by {@link firstTry}, and its exchange when one could begin at once. */
export interface FirstTry {
  /** Selected once: the policy's state (round-robin's turn) moves once per attempt. */
  peer: Peer;
  /** Begun on an idle keepalive connection; undefined when the pool had none. */
  exchange: Exchange | undefined;
  /** Epoch ms it began. */
  started: number;
}

/**
 * Begins the first attempt at once when the selected peer has an idle
 * keepalive connection: nothing is awaited, so a request that needs no
 * retry reaches its response without the hold's async machinery. Await
 * `first.exchange.response()`, then {@link settleFirst}; whatever that does
 * not settle (and a first try without an exchange) goes to
 * `sendWithHold` (hold.ts) with `first`, which takes it as its own first attempt.
 * @returns undefined when no peer is available now (the request is held)
 */
export function firstTry(group: Group, ctx: SelectContext, input: AttemptInput): FirstTry | undefined {
  const peer = group.select(ctx, NO_PEERS);
  if (!peer) return undefined;
  peer.start();
  return { peer, exchange: startOnIdle(input, peer.address), started: Date.now() };
}

/**
 * The outcome of a first try whose response head came, when it needs no
 * retry (its status is not named in `--next-upstream`, or the request may
 * not be passed on): recorded as `sendWithHold` (hold.ts) records a success.
 * @returns undefined, having changed nothing, when `sendWithHold` (hold.ts) must decide
 */
export function settleFirst(first: FirstTry, input: AttemptInput, rules: RetryRules, rec: HoldRecord): Sent | undefined {
  const { exchange, peer } = first;
  if (!exchange?.head) return undefined;
  const status = exchange.head.status;
  const named = rules.next.statuses.has(status);
  if (named && (IDEMPOTENT.has(input.method) || rules.next.nonIdempotent)) return undefined;
  const now = Date.now();
  rec.attempts.push({ peer: peer.key, status, ms: now - first.started });
  peer.report(!(named && status >= 500), now, status, rec);
  return { exchange, peer };
}
