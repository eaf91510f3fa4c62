import type { SelectionPolicy } from "../types.ts";
import { ConsistentHashPolicy, type HashKey, hashKeyFn } from "./consistent-hash.ts";
import { IpHashPolicy } from "./ip-hash.ts";
import { LeastConnPolicy } from "./least-conn.ts";
import { RandomTwoPolicy } from "./random-two.ts";
import { RoundRobinPolicy } from "./round-robin.ts";

export type { HashKey, KeyFn } from "./consistent-hash.ts";
export { ConsistentHashPolicy, IpHashPolicy, LeastConnPolicy, RandomTwoPolicy, RoundRobinPolicy };

/** A parsed selection policy, as written in configuration; createPolicy makes the live one. */
export type PolicySpec =
  | { kind: "round-robin" }
  | { kind: "least-conn" }
  | { kind: "ip-hash" }
  | { kind: "random-two" }
  | { kind: "hash"; key: HashKey };

/** The accepted policy forms, for error messages and configuration help. */
export const POLICY_FORM = "round-robin, least-conn, ip-hash, random-two or hash:uri|header:NAME|cookie:NAME|query:NAME";

/** RFC 9110 token: what a header or cookie name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses a policy as written in configuration: `round-robin` (nginx default),
 * `least-conn` (`least_conn`), `ip-hash` (`ip_hash`), `random-two`
 * (`random two least_conn`), or `hash:uri`, `hash:header:NAME`,
 * `hash:cookie:NAME`, `hash:query:NAME` (`hash $key consistent`). Header and
 * cookie names must be HTTP tokens; a query name any non-empty text without
 * whitespace. Case and whitespace are not forgiven.
 * @throws Error naming POLICY_FORM for anything else
 */
export function parsePolicy(text: string): PolicySpec {
  switch (text) {
    case "round-robin":
    case "least-conn":
    case "ip-hash":
    case "random-two":
      return { kind: text };
    case "hash:uri":
      return { kind: "hash", key: { from: "uri" } };
  }
  const m = /^hash:(header|cookie|query):(.+)$/.exec(text);
  if (m) {
    const from = m[1] as "header" | "cookie" | "query";
    const name = m[2];
    if (from === "query" ? !/\s/.test(name) : TOKEN.test(name)) return { kind: "hash", key: { from, name } };
  }
  throw new Error(`expected ${POLICY_FORM}, got ${JSON.stringify(text)}`);
}

/** Writes a spec back in the form parsePolicy reads, e.g. for status pages and logs. */
export function formatPolicy(spec: PolicySpec): string {
  if (spec.kind !== "hash") return spec.kind;
  return spec.key.from === "uri" ? "hash:uri" : `hash:${spec.key.from}:${spec.key.name}`;
}

/**
 * A fresh policy for one upstream group: policies keep per-group state
 * (round-robin weights, the hash ring), so groups must not share one.
 */
export function createPolicy(spec: PolicySpec): SelectionPolicy {
  switch (spec.kind) {
    case "round-robin":
      return new RoundRobinPolicy();
    case "least-conn":
      return new LeastConnPolicy();
    case "ip-hash":
      return new IpHashPolicy();
    case "random-two":
      return new RandomTwoPolicy();
    case "hash":
      return new ConsistentHashPolicy(hashKeyFn(spec.key));
  }
}
