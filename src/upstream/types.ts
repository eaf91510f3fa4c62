/**
 * The shapes shared by peers, groups and selection policies. A policy asks a
 * peer nothing but its weight and in-flight count: whether a peer is
 * available (passive and active health, `down`, `backup`) is decided before a
 * policy sees the candidates, as in Caddy's reverse proxy.
 */

/** What a selection policy may read of a peer. */
export interface PeerView {
  /** Stable identity, `host:port` or `unix:/path`, also the consistent-hash point seed. */
  readonly key: string;
  /** `weight=N`, at least 1 (nginx `server ... weight=N`). */
  readonly weight: number;
  /** Requests sent to this peer and not yet finished. */
  readonly inflight: number;
}

/** What a selection policy may read of the request being placed. */
export interface SelectContext {
  /** The client's IP address, IPv4 dotted or IPv6. */
  clientAddress: string;
  /** Path and query of the request. */
  target: string;
  /** Case-insensitive lookup of a request field's first value. */
  headers: { get(name: string): string | null };
}

/**
 * Picks one peer for a request.
 *
 * `all` is the group's full tier (primaries, or backups when no primary is
 * available), in configuration order and stable between calls, so hashing
 * policies can keep a key on the same peer; `candidates` is the non-empty
 * subset of `all` that may take a request now. The result must be one of
 * `candidates`.
 */
export interface SelectionPolicy {
  select(all: readonly PeerView[], candidates: readonly PeerView[], ctx: SelectContext): PeerView;
}
