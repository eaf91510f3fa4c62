/**
 * A group's hold episodes, for the event log: the first request held while
 * no peer of a group can take it starts one (`hold-start`), the last held
 * request to leave ends it (`hold-end`, with how long it lasted and how its
 * requests went). An outage thus reads as two lines, however many requests
 * it held.
 *
 * @module
 */
import { event } from "../log/events.ts";

/** How a held request left the hold. */
export type HoldExit = "replayed" | "gave-up" | "client-gone";

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
 * A request of `group` began waiting for a peer.
 * @param reason why: the last attempt's failure (`refused`) or `no-peer-available`
 */
export function holdBegan(group: string, id: string, reason: string): void {
  let e = episodes.get(group);
  if (!e) {
    episodes.set(group, e = { since: Date.now(), held: 0, replayed: 0, gaveUp: 0, clientGone: 0 });
    event("hold-start", { group, reason, id });
  }
  e.held++;
}

/** A request of `group` that {@link holdBegan} left the hold. */
export function holdEnded(group: string, id: string, how: HoldExit): void {
  const e = episodes.get(group);
  if (!e) return;
  if (how === "replayed") e.replayed++;
  else if (how === "gave-up") e.gaveUp++;
  else e.clientGone++;
  if (--e.held > 0) return;
  episodes.delete(group);
  event("hold-end", {
    group,
    ms: Date.now() - e.since,
    requests: e.replayed + e.gaveUp + e.clientGone,
    replayed: e.replayed,
    gave_up: e.gaveUp,
    client_gone: e.clientGone,
    id,
  });
}

/** Requests of `group` held now (0 outside an episode). */
export function heldCount(group: string): number {
  return episodes.get(group)?.held ?? 0;
}
