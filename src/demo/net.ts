import type { Runtime } from "../../runtime/index.ts";

/**
 * A TCP port on `host` that was free a moment ago: listens on port 0, reads
 * the port the kernel chose, closes. Another process may take it before it
 * is used; on a quiet loopback that is rare enough for a demo.
 * @throws when `host` cannot be bound
 */
export async function freePort(rt: Runtime, host: string): Promise<number> {
  const l = await rt.sockets.listen({ host, port: 0 }, (s) => s.destroy());
  const port = l.port;
  l.close();
  if (!port) throw new Error(`Cannot pick a free port on ${host}`);
  return port;
}

/** `count` distinct free ports on `host`; see {@link freePort}. */
export async function freePorts(rt: Runtime, host: string, count: number): Promise<number[]> {
  const ports = new Set<number>();
  // Bounded: the kernel hands out distinct ports; a few repeats at most.
  for (let i = 0; ports.size < count && i < count * 10; i++) ports.add(await freePort(rt, host));
  if (ports.size < count) throw new Error(`Cannot pick ${count} free ports on ${host}`);
  return [...ports];
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
