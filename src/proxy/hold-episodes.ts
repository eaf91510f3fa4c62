/**
 * A group's hold episodes, for the event log: the first request held while
 * no peer of a group can take it starts one (`hold-start`), the last held
 * request to leave ends it (`hold-end`, with how long it lasted and how its
 * requests went). An outage thus reads as two lines, however many requests
 * it held.
 *
 * @module
 */
import { ClientGoneError } from "../errors.ts";
import { event } from "../log/events.ts";
import type { HoldRecord } from "./hold.ts";

interface Episode {
  /** Epoch ms of the first request held. */
  since: number;
  /** Requests held now. */
  held: number;
  replayed: number;
  gaveUp: number;
  clientGone: number;
}

// Per group name; an entry exists only while its group holds requests.
const episodes = new Map<string, Episode>();

/**
 * A request of `group` began waiting for a peer: sets `rec.heldSince` and
 * `rec.heldGroup`.
 * @param reason why: the last attempt's failure (`refused`) or `no-peer-available`
 */
export function holdBegan(group: string, rec: HoldRecord, reason: string): void {
  rec.heldSince = Date.now();
  rec.heldGroup = group;
  let e = episodes.get(group);
  if (!e) {
    episodes.set(group, e = { since: rec.heldSince, held: 0, replayed: 0, gaveUp: 0, clientGone: 0 });
    event("hold-start", { group, reason, id: rec.id });
  }
  e.held++;
}

/**
 * The request left the hold: replayed (`error` undefined), or given up on
 * (the client left: a {@link ClientGoneError}; else holdfast gave up). Does
 * nothing for a request that was never held or already left, so it may be
 * called on every way out.
 */
export function holdEnded(rec: HoldRecord, error?: unknown): void {
  const group = rec.heldGroup;
  if (group === undefined) return;
  rec.heldGroup = undefined;
  const e = episodes.get(group);
  if (!e) return;
  if (error === undefined) e.replayed++;
  else if (error instanceof ClientGoneError) e.clientGone++;
  else e.gaveUp++;
  if (--e.held > 0) return;
  episodes.delete(group);
  event("hold-end", {
    group,
    ms: Date.now() - e.since,
    requests: e.replayed + e.gaveUp + e.clientGone,
    replayed: e.replayed,
    gave_up: e.gaveUp,
    client_gone: e.clientGone,
    id: rec.id,
  });
}

/** Requests of `group` held now (0 outside an episode). */
export function heldCount(group: string): number {
  return episodes.get(group)?.held ?? 0;
}
