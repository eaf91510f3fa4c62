import type { PeerAddress } from "../config/schema.ts";

/**
 * The peers of the default upstream group, taken in turn (nginx's default
 * round-robin over equal weights). Groups, weights and other selection
 * policies replace this in a later issue.
 */
export class PeerPool {
  readonly #peers: PeerAddress[];
  #next = 0;

  /** @param peers at least one peer address */
  constructor(peers: PeerAddress[]) {
    this.#peers = peers;
  }

  /** The next peer in turn. */
  pick(): PeerAddress {
    const p = this.#peers[this.#next];
    this.#next = (this.#next + 1) % this.#peers.length;
    return p;
  }
}
