import type { PeerView, SelectContext, SelectionPolicy } from "../types.ts";
import { crc32, CRC32_INIT, crc32Final, crc32Update } from "./crc32.ts";

/** Derives the hash key of a request, e.g. its URI or a cookie value. */
export type KeyFn = (ctx: SelectContext) => string;

/** What a `hash:KEY` policy hashes: `uri`, or a named header, cookie or query parameter. */
export type HashKey = { from: "uri" } | { from: "header" | "cookie" | "query"; name: string };

/** Ring points per unit of weight, nginx's figure (as in ketama). */
export const POINTS_PER_WEIGHT = 160;

/** A sorted ketama ring: point i sits at hashes[i] and belongs to all[peers[i]]. */
interface Ring {
  signature: string;
  hashes: Uint32Array;
  peers: Uint32Array;
}

const encoder = new TextEncoder();

/**
 * The CRC32 register after `host \0 port`, nginx's per-server seed (compatible
 * with Cache::Memcached::Fast). `unix:/path` seeds with the path and no port.
 */
function pointSeed(key: string): number {
  let host = key;
  let port = "";
  if (key.slice(0, 5).toLowerCase() === "unix:") {
    host = key.slice(5);
  } else {
    const colon = key.lastIndexOf(":");
    if (colon >= 0) [host, port] = [key.slice(0, colon), key.slice(colon + 1)];
  }
  let c = crc32Update(CRC32_INIT, encoder.encode(host));
  c = crc32Update(c, new Uint8Array(1));
  return crc32Update(c, encoder.encode(port));
}

/**
 * Builds the ring for a tier: for each peer 160 * weight points. Point j is
 * crc32(host \0 port, point j-1 as 4 little-endian bytes), 0 before the
 * first, exactly `ngx_http_upstream_init_chash`: chaining on the previous
 * point rather than the index keeps our ring identical to nginx's for the
 * same `host:port` names. Sorted by hash; on a collision the earlier peer in
 * `all` keeps the point (nginx keeps one of them too).
 */
export function buildRing(all: readonly PeerView[]): { hashes: Uint32Array; peers: Uint32Array } {
  const points: Array<[hash: number, peer: number]> = [];
  const prev = new Uint8Array(4);
  const prevView = new DataView(prev.buffer);
  all.forEach((p, peer) => {
    const seed = pointSeed(p.key);
    prevView.setUint32(0, 0, true);
    for (let j = 0; j < POINTS_PER_WEIGHT * p.weight; j++) {
      const hash = crc32Final(crc32Update(seed, prev));
      points.push([hash, peer]);
      prevView.setUint32(0, hash, true);
    }
  });
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const unique = points.filter((pt, i) => i === 0 || pt[0] !== points[i - 1][0]);
  return { hashes: Uint32Array.from(unique, (pt) => pt[0]), peers: Uint32Array.from(unique, (pt) => pt[1]) };
}

/** Index of the first point at or after `hash`, wrapping to 0 past the last. */
function findPoint(hashes: Uint32Array, hash: number): number {
  let lo = 0;
  let hi = hashes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hashes[mid] < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === hashes.length ? 0 : lo;
}

/**
 * nginx `hash $key consistent`: a ketama ring over the tier's peers; a
 * request goes to the peer owning the first point at or after crc32(key).
 * If that peer is not a candidate the walk goes on clockwise to the next
 * point whose peer is, so an unavailable peer's keys spread over the others
 * while every other key stays put. nginx gives up after 20 points and falls
 * back to round-robin; we walk the whole ring, which is never worse for
 * stickiness. Removing a peer from `all` moves only its keys, about
 * 1/peers of them.
 *
 * The ring is rebuilt only when the tier's keys or weights change. An empty
 * key hashes to 0 and so always lands on the same peer, as in nginx.
 */
export class ConsistentHashPolicy implements SelectionPolicy {
  readonly #key: KeyFn;
  #ring: Ring | undefined;

  /** @param key the request's hash key, e.g. hashKeyFn({ from: "uri" }) */
  constructor(key: KeyFn) {
    this.#key = key;
  }

  /**
   * @param all the tier in configuration order; its keys and weights place the points
   * @param candidates the non-empty subset of `all` that may be picked
   * @returns one of `candidates`
   */
  select(all: readonly PeerView[], candidates: readonly PeerView[], ctx: SelectContext): PeerView {
    const ring = this.#ringFor(all);
    const n = ring.hashes.length;
    const byKey = candidates === all ? undefined : new Map(candidates.map((c) => [c.key, c]));
    let i = findPoint(ring.hashes, crc32(this.#key(ctx)));
    for (let step = 0; step < n; step++, i = i + 1 === n ? 0 : i + 1) {
      const p = all[ring.peers[i]];
      const c = byKey ? byKey.get(p.key) : p;
      if (c) return c;
    }
    // Only reachable if the caller broke the contract (no candidate is in `all`).
    return candidates[0];
  }

  #ringFor(all: readonly PeerView[]): Ring {
    const signature = all.map((p) => `${p.key}*${p.weight}`).join("\n");
    if (this.#ring?.signature !== signature) this.#ring = { signature, ...buildRing(all) };
    return this.#ring;
  }
}

/**
 * The value of cookie `name` in a Cookie header (`a=1; b=2`), as nginx's
 * `$cookie_NAME`: the first match, raw (not unquoted or decoded); "" when
 * absent.
 */
export function cookieValue(header: string | null, name: string): string {
  if (!header) return "";
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq >= 0 && pair.slice(0, eq).trim() === name) return pair.slice(eq + 1).trim();
  }
  return "";
}

/** The decoded value of query parameter `name` in a path+query target, as `$arg_NAME`; "" when absent. */
export function queryValue(target: string, name: string): string {
  const q = target.indexOf("?");
  if (q < 0) return "";
  const hash = target.indexOf("#", q);
  return new URLSearchParams(target.slice(q + 1, hash < 0 ? undefined : hash)).get(name) ?? "";
}

/**
 * The KeyFn of a `hash:KEY` policy: `uri` is the path and query
 * (nginx `$request_uri`), `header:NAME` the header's value, `cookie:NAME`
 * and `query:NAME` that cookie's or parameter's value; missing ones are "".
 */
export function hashKeyFn(key: HashKey): KeyFn {
  switch (key.from) {
    case "uri":
      return (ctx) => ctx.target;
    case "header": {
      const { name } = key;
      return (ctx) => ctx.headers.get(name) ?? "";
    }
    case "cookie": {
      const { name } = key;
      return (ctx) => cookieValue(ctx.headers.get("cookie"), name);
    }
    case "query": {
      const { name } = key;
      return (ctx) => queryValue(ctx.target, name);
    }
  }
}
