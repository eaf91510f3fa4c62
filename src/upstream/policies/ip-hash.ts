import { ConsistentHashPolicy } from "./consistent-hash.ts";

/** The four octets of a dotted IPv4 address, or undefined. */
function parseIPv4(s: string): number[] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address (`::` and a dotted IPv4 tail allowed), or undefined. */
function parseIPv6(s: string): number[] | undefined {
  let text = s;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIPv4(tail);
    if (!v4) return undefined;
    text = `${text.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...head, ...Array(8 - given).fill("0"), ...rest];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * The ip-hash key of a client address: an IPv4 client's /24 (`a.b.c`, the
 * three octets nginx `ip_hash` uses, so clients behind one NAT pool or
 * subnet stay together), or an IPv6 client's full address in one canonical
 * form (eight lowercase hex groups), so `2001:db8::1` and
 * `2001:0db8:0:0:0:0:0:1` agree. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, also in
 * hex) counts as IPv4, as dual-stack sockets report IPv4 clients that way.
 * Brackets and a `%zone` are ignored; anything unparsable is used as is.
 */
export function ipHashKey(address: string): string {
  const bare = address.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const v4 = parseIPv4(bare);
  if (v4) return v4.slice(0, 3).join(".");
  const v6 = bare.includes(":") ? parseIPv6(bare) : undefined;
  if (!v6) return address;
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    return [v6[6] >> 8, v6[6] & 0xff, v6[7] >> 8].join(".");
  }
  return v6.map((g) => g.toString(16)).join(":");
}

/**
 * nginx `ip_hash`: a client (by its /24, or full IPv6 address; see
 * ipHashKey) keeps going to the same peer.
 *
 * Design decision: unlike nginx, which hashes the key modulo the total
 * weight (so adding or removing a server reshuffles almost every client),
 * this places the key on the consistent-hash ring of ConsistentHashPolicy.
 * Removing a peer from the tier, or a peer becoming unavailable, moves only
 * that peer's clients; everyone else keeps their peer and any session state
 * on it. Weights still apply, through the number of ring points.
 */
export class IpHashPolicy extends ConsistentHashPolicy {
  constructor() {
    super((ctx) => ipHashKey(ctx.clientAddress));
  }
}
