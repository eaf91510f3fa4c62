/**
 * The one interface between holdfast and the JavaScript runtime it runs on.
 *
 * Everything under `src/` receives a {@link Runtime} value and never names a
 * runtime global, so the proxy logic is the same on Bun and on Deno and a test
 * can hand in a fake. Implementations live in `bun.ts` and `deno.ts`; `index.ts`
 * picks one once at start-up.
 *
 * @module
 */
import type { Files, SpoolWriter } from "./fs-types.ts";
import type { SocketRuntime } from "./socket-types.ts";
import type { CertificateTools } from "./tls-types.ts";
import type { ChannelRuntime } from "./channel.ts";

// SpoolWriter lived here first; src/ imports it from the runtime's index.
export type { Channel, ChannelRuntime, ChannelServer } from "./channel.ts";
export type { Files, FileWriter, SpoolReader, SpoolWriter } from "./fs-types.ts";

/** Facts about the downstream connection that carried a request. */
export interface ConnInfo {
  /** The client's IP address as the socket saw it (no port), e.g. `127.0.0.1` or `::1`. */
  readonly clientAddress: string;
  /**
   * Lifts the server's idle timeout for this request, so a request that is
   * being held or streamed is not cut by it. holdfast's own timers
   * (`--client-body-timeout`, `--read-timeout`, `--hold`) bound it instead.
   */
  holdOpen(): void;
}

/** A request handler as the runtime's server calls it. */
export type Handler = (req: Request, conn: ConnInfo) => Response | Promise<Response>;

/** Options for {@link Runtime.serve}. */
export interface ServeOptions {
  /** Address to bind, e.g. `0.0.0.0` or `127.0.0.1`. */
  hostname: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /**
   * Idle timeout of a keepalive client connection between requests, in
   * milliseconds (nginx `keepalive_timeout`). Bun caps it at 255 000.
   */
  idleTimeoutMs: number;
  handler: Handler;
}

/** A listening HTTP server. */
export interface Server {
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  /**
   * Stops accepting connections at once. In-flight requests go on; the
   * promise resolves when their responses have been written out.
   */
  close(): Promise<void>;
}

/** A child process started by {@link Runtime.spawn}. */
export interface Child {
  readonly pid: number;
  /** Sends a signal, e.g. `SIGKILL`. Does nothing if the process is gone. */
  kill(signal: "SIGTERM" | "SIGKILL" | "SIGINT" | "SIGHUP"): void;
  /** Resolves with the exit code (or 128 + signal number) when it exits. */
  readonly exited: Promise<number>;
}

/** What holdfast needs from its runtime. */
export interface Runtime {
  /** `bun` or `deno`. */
  readonly name: "bun" | "deno";
  /** Runtime version string, e.g. `1.4.5`. */
  readonly version: string;
  /** Command-line arguments after the program (and script) name. */
  readonly args: string[];
  /** This process's id. */
  readonly pid: number;
  /** Operating system and CPU as `holdfast --version` names them, e.g. `linux-x64`, `linux-arm64`. */
  readonly platform: string;
  /**
   * Whether process `pid` runs (signal 0). A process of another user that
   * cannot be signalled (EPERM) counts as running.
   */
  processAlive(pid: number): boolean;
  /** Writes `text` to stdout as it is (add the newline yourself). */
  stdout(text: string): void;
  /** Writes `text` to stderr as it is (add the newline yourself). */
  stderr(text: string): void;
  /** Argument vector that starts this same program again (binary, or runtime + script). */
  selfCommand(): string[];
  /**
   * Starts the runtime's own HTTP/1.1 server. The demo's sample upload app and the admin endpoint
   * (`--admin-listen`) use it: the proxy itself speaks HTTP on {@link sockets}. Rejects when the address cannot be bound.
   */
  serve(opts: ServeOptions): Promise<Server>;
  /**
   * The addresses a host name resolves to, as a connect would resolve it
   * (getaddrinfo: /etc/hosts, then DNS); an IP literal resolves to itself.
   * @throws `code` ENOTFOUND (no such name), EAI_AGAIN (no answer)
   */
  lookup(host: string): Promise<string[]>;
  /** Whether a connection to `host:port` (or `socketPath`) is accepted within `timeoutMs` ms (then closed). */
  canConnect(to: { host: string; port: number; socketPath?: string }, timeoutMs: number): Promise<boolean>;
  /** The file system. */
  readonly files: Files;
  /** TCP and unix sockets, TLS on either side: what holdfast's HTTP/1.1 engine runs on. */
  readonly sockets: SocketRuntime;
  /** Checks PEM certificates and keys before a listener serves them (`--tls-cert`, `--upstream-ca`). */
  readonly certificates: CertificateTools;
  /**
   * Creates (exclusively) and opens a spool file for appending. Throws on ENOSPC, EACCES.
   * @deprecated use `files.openSpool`
   */
  openSpool(path: string): Promise<SpoolWriter>;
  /**
   * Bytes available to an unprivileged writer in the file system holding `dir`.
   * @deprecated use `files.freeBytes`
   */
  freeBytes(dir: string): number;
  /** Calls `fn` on SIGINT and SIGTERM. */
  onShutdownSignal(fn: (signal: string) => void): void;
  /**
   * Calls `fn` on SIGHUP (nginx's reload signal), which then no longer ends
   * the process as it does by default.
   */
  onReloadSignal(fn: () => void): void;
  /** CPUs this process may run on (`availableParallelism`): `--workers auto`. */
  cpuCount(): number;
  /** JSON-lines channels over a unix socket, between a primary and its workers (channel.ts). */
  readonly channels: ChannelRuntime;
  /** Starts a child process with inherited stdio unless `quiet`. */
  spawn(argv: string[], opts?: { env?: Record<string, string>; quiet?: boolean }): Child;
  /** Ends the process. */
  exit(code: number): never;
}
