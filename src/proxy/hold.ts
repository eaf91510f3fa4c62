import type { NextUpstreamSpec } from "../config/upstream-flags.ts";
import type { ClientSignal } from "./gone.ts";
import { AttemptError, type AttemptErrorKind } from "../errors.ts";
import type { Group } from "../upstream/group.ts";
import type { Peer } from "../upstream/peer.ts";
import type { SelectContext } from "../upstream/types.ts";
import type { Exchange } from "../transport/exchange.ts";
import { attempt, type AttemptInput, IDEMPOTENT } from "./attempt.ts";
import type { FirstTry, Sent } from "./first-try.ts";
import { holdBegan } from "./hold-episodes.ts";

/** One attempt as the access log shows it (`$upstream_addr`, `$upstream_status`). */
export interface AttemptRecord {
  /** `host:port` or `unix:/path` of the peer. */
  peer: string;
  /** The response status, or the status the failure maps to (502, 504). */
  status: number;
  /** Why no response head came (`refused`, `reset`...); undefined when one did. */
  failure?: AttemptErrorKind;
  /** Time to the response head or the failure, in ms. */
  ms: number;
}

/** What the hold reads and writes of a request's record (request-record.ts). */
export interface HoldRecord {
  /** Receives one entry per attempt, in order. */
  attempts: AttemptRecord[];
  /** The request id, for the event log. */
  readonly id: string;
  /** Epoch ms at which the request first waited for a peer; 0 until it does. */
  heldSince: number;
  /** The group whose hold episode counts the request, from its first wait until `holdEnded` (hold-episodes.ts). */
  heldGroup: string | undefined;
}

/** The retry rules of one request, from the command line. */
export interface RetryRules {
  /** `--hold`, ms after the body ended. */
  holdMs: number;
  /** `--next-upstream`. */
  next: NextUpstreamSpec;
  /** `--next-upstream-tries`; 0 = no limit. */
  tries: number;
  /** `--next-upstream-timeout`, ms after the first attempt; 0 = none. */
  timeoutMs: number;
}

// After every peer broke on a request that reached them (a reset), the
// replay waits 50 ms, doubling to 1 s: a request that crashes its peer is
// not sent again each time the peer comes back. Waits for a peer to come
// back at all are the hold prober's (src/upstream/hold-prober.ts).
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1000;

// The empty set every request starts with; never added to.
const NONE: Set<Peer> = new Set<Peer>();

/** `set` with `peer` added; {@link NONE} is never changed, a new set replaces it. */
function withPeer(set: Set<Peer>, peer: Peer): Set<Peer> {
  const out = set === NONE ? new Set<Peer>() : set;
  out.add(peer);
  return out;
}

/**
 * Sends a request to a group, holding and replaying it as needed. Two kinds
 * of failure are told apart:
 *
 * - Nothing reached a peer (refused, connect timeout, or a reset before the
 *   whole request was written and before any response byte, as a peer that
 *   is still starting does): always safe to replay, since the client has
 *   seen nothing and the spooled body is byte-for-byte what it sent.
 *   holdfast tries another available peer, or holds the request: it waits
 *   until the group's hold prober hears a peer answer or a health check
 *   puts one back (then every peer is tried, whatever its health says), or
 *   until `--hold` has passed since the body ended.
 * - The request reached a peer (a reset after sending, a read timeout, a
 *   status named in `--next-upstream`): passed to a peer not yet tried only
 *   when `--next-upstream` names the condition and the method is idempotent
 *   or `non_idempotent` is named (nginx `proxy_next_upstream`). A reset may
 *   also be replayed to the same peer within the hold, when the method allows,
 *   after a backoff (50 ms doubling to 1 s). A reset after the whole request
 *   was written is ambiguous (the peer may have acted on it): a POST then
 *   gets 502, as from nginx.
 *
 * @param rec receives one attempt record per attempt, in order; a request
 *   that waits for a peer joins its group's hold episode (`hold-start` in the
 *   event log, hold-episodes.ts): the caller calls `holdEnded` when this
 *   returns or throws (not here: one async frame fewer on every request)
 * @param first a first try `firstTry` (first-try.ts) began: its outcome is the first attempt's
 * @returns the response head to relay and the peer it came from; call
 *   `peer.end()` when the response body has been relayed (least-conn counts it)
 * @throws {AttemptError} the last failure when holdfast gives up (502, or 504
 *   after a timeout); with no attempt at all, a 502 "no live peers"
 * @throws the client signal's reason when the client leaves while held
 */
export async function sendWithHold(
  group: Group,
  ctx: SelectContext,
  input: AttemptInput,
  rules: RetryRules,
  rec: HoldRecord,
  first?: FirstTry,
): Promise<Sent> {
  const records = rec.attempts;
  const holdUntil = (first?.started ?? Date.now()) + rules.holdMs;
  const mayPassOn = IDEMPOTENT.has(input.method) || rules.next.nonIdempotent;
  // Most requests are served by their first attempt: the sets and the wait
  // state are made when an attempt fails.
  let tried: Set<Peer> = NONE;
  let hold: HoldState | undefined;

  // After a wait, peers are tried whatever passive and active health say:
  // the prober heard one answer, and selection would still leave it out.
  let woken = false;
  for (;;) {
    if (rules.tries > 0 && records.length >= rules.tries) throw giveUp(group, hold);
    const skip = hold ? hold.skip(tried) : tried;
    const peer = first?.peer ?? group.select(ctx, skip) ?? (woken ? group.selectIgnoringHealth(ctx, skip) : undefined);
    if (!peer) {
      // No peer can take it now, or every usable one just refused: hold.
      await (hold ??= new HoldState(holdUntil)).wait(group, input.clientSignal, rec);
      woken = true;
      continue;
    }
    const started = first?.started ?? Date.now();
    if (records.length === 0 && rules.timeoutMs > 0) (hold ??= new HoldState(holdUntil)).limit(started + rules.timeoutMs);
    if (!first) peer.start();
    const begun = first?.exchange;
    first = undefined;
    let res: Exchange;
    try {
      res = await attempt(input, peer.address, begun);
    } catch (e) {
      peer.end();
      if (!(e instanceof AttemptError)) throw e;
      peer.report(false, Date.now(), e.kind, rec);
      records.push({ peer: peer.key, status: e.status, ms: Date.now() - started, failure: e.kind });
      hold ??= new HoldState(holdUntil);
      hold.last = e;
      if (Date.now() >= hold.deadline) throw e;
      // buffer-request=off: the hold lasts until the first body byte is sent; what was sent is gone.
      if (input.body.kind === "stream" && input.body.stream.started) throw e;
      if (e.kind === "refused" || e.kind === "connect-timeout" || e.requestIncomplete) {
        hold.refusedSinceWait = withPeer(hold.refusedSinceWait, peer);
      } else if (e.kind === "reset") {
        if (!mayPassOn || !rules.next.error) throw e;
        tried = withPeer(tried, peer);
        if (!group.hasCandidate(tried)) {
          // Every peer broke on it: an idempotent request is held and replayed.
          tried = NONE;
          await hold.pause(group, input.clientSignal, rec);
        }
      } else if (e.kind === "tls") {
        // A certificate does not fix itself while a request waits: another peer, else 502 now (nginx's error).
        tried = withPeer(tried, peer);
        if (!group.hasCandidate(tried)) throw e;
      } else if (e.kind === "invalid-response") {
        // nginx's invalid_header, which holdfast does not pass on.
        throw e;
      } else {
        // A read or send timeout: the peer may still be working on it; only untried peers get it.
        if (!mayPassOn || !rules.next.timeout) throw e;
        tried = withPeer(tried, peer);
        if (!group.hasCandidate(tried)) throw e;
      }
      continue;
    }
    const status = res.head!.status;
    records.push({ peer: peer.key, status, ms: Date.now() - started });
    const named = rules.next.statuses.has(status);
    // nginx counts a 5xx named in proxy_next_upstream as a peer failure.
    peer.report(!(named && status >= 500), Date.now(), status, rec);
    if (!named || !mayPassOn) return { exchange: res, peer };
    tried = withPeer(tried, peer);
    const deadline = hold?.deadline ?? holdUntil;
    const passOn = Date.now() < deadline && group.hasCandidate(tried) && !(rules.tries > 0 && records.length >= rules.tries);
    if (!passOn) return { exchange: res, peer };
    peer.end();
    res.cancel("upstream-error");
  }
}

/** What a request that failed or waited once carries through its hold. Times are epoch ms. */
class HoldState {
  /** When holdfast gives up: `--hold` after the body, or sooner with `--next-upstream-timeout`. */
  deadline: number;
  /** Peers that refused since the last wait: trying them again before the prober hears them would spin. */
  refusedSinceWait: Set<Peer> = NONE;
  /** The last failure, thrown when holdfast gives up. */
  last: AttemptError | undefined;
  #backoffMs = FIRST_BACKOFF_MS;

  constructor(holdUntil: number) {
    this.deadline = holdUntil;
  }

  /** `--next-upstream-timeout`: an earlier deadline, counted from the first attempt. */
  limit(at: number): void {
    this.deadline = Math.min(this.deadline, at);
  }

  /** The peers not to select now: `tried` and those that refused since the last wait. */
  skip(tried: Set<Peer>): ReadonlySet<Peer> {
    if (this.refusedSinceWait === NONE) return tried;
    if (tried === NONE) return this.refusedSinceWait;
    return new Set([...tried, ...this.refusedSinceWait]);
  }

  /**
   * Holds the request until a peer of `group` may be back: its hold prober
   * heard one answer, or a health check put one back.
   * @throws the last failure when the deadline has passed; the client signal's reason when the client leaves
   */
  async wait(group: Group, signal: ClientSignal, rec: HoldRecord): Promise<void> {
    const left = this.deadline - Date.now();
    if (left <= 0) throw giveUp(group, this);
    if (!rec.heldSince) holdBegan(group.name, rec, this.last?.kind ?? "no-peer-available");
    await group.waitForPeer(left, signal);
    this.refusedSinceWait = NONE;
  }

  /**
   * Waits the backoff (50 ms doubling to 1 s, never past the deadline) before
   * a request that every peer broke on is sent again.
   * The request joins its group's hold episode as a wait does.
   * @throws the client signal's reason when the client leaves
   */
  async pause(group: Group, signal: ClientSignal, rec: HoldRecord): Promise<void> {
    if (!rec.heldSince) holdBegan(group.name, rec, this.last?.kind ?? "reset");
    const ms = Math.max(0, Math.min(this.#backoffMs, this.deadline - Date.now()));
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    await sleep(ms, signal);
  }
}

/** The error a request gets when holdfast stops trying: the last failure, else "no peer available" (502). */
function giveUp(group: Group, hold: HoldState | undefined): AttemptError {
  return hold?.last ?? new AttemptError("refused", `No peer of group "${group.name}" is available`);
}

/** Resolves after `ms`; rejects with the signal's reason as soon as the client leaves. */
function sleep(ms: number, signal: ClientSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
