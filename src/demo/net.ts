import { createServer } from "node:net";

/**
 * A TCP port on `host` that was free a moment ago: binds port 0, reads the
 * port the kernel chose, closes. Another process may take it before it is
 * used; on a quiet loopback that is rare enough for a demo.
 * @throws when `host` cannot be bound
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error(`Cannot pick a free port on ${host}`))));
    });
  });
}

/** `count` distinct free ports on `host`; see {@link freePort}. */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
