/**
 * Byte sockets on both runtimes: runs `test/fixtures/socket-scenarios.ts`
 * under Bun (`bunSockets`) and under Deno (`denoSockets`), each in its own
 * process bounded to 120 s and killed by PID past that, and expects every
 * scenario to pass over TCP on 127.0.0.1, over TLS and, where it applies, a
 * unix socket.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const FIXTURE = join(ROOT, "test/fixtures/socket-scenarios.ts");
const RUN_LIMIT_MS = 120_000;

const COMMANDS: Record<string, string[]> = {
  bun: [join(ROOT, "node_modules/.bin/bun"), FIXTURE, "bun"],
  deno: [join(ROOT, "node_modules/.bin/deno"), "run", "-A", FIXTURE, "deno"],
};

// Listed here, not taken from the output, so that a scenario that goes missing fails.
const BOTH_KINDS = [
  "listen and connect",
  "echo 8 MiB",
  "backpressure",
  "half-close, client first",
  "half-close, server first",
  "reset",
  "connect refused",
  "remote address",
  "sendFile", // on Bun: sends a file and waits for queued bytes; on Deno and on TLS: absent
  "receiveToFile", // on Bun: exact bytes, timeout, early FIN, a close here; on Deno and on TLS: absent
];
const TLS_ONLY = ["handshake timeout", "untrusted or not TLS", "certificates by SNI, replaced for new connections"];
const SCENARIOS = [
  ...BOTH_KINDS.flatMap((s) => [`${s}/tcp`, `${s}/unix`, `${s}/tls`]),
  ...TLS_ONLY.map((s) => `${s}/tls`),
  "connect timeout/tcp",
  "reusePort/tcp",
];

/** Runs the fixture; resolves with its results, or rejects with its output when it did not print them in time. */
function runScenarios(argv: string[]): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid!, "SIGKILL");
      } catch { /* already gone */ }
    }, RUN_LIMIT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line).results);
      else reject(new Error(`${argv.join(" ")} exited ${code ?? signal} without results\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
}

for (const [runtime, argv] of Object.entries(COMMANDS)) {
  describe(`${runtime}Sockets`, () => {
    let results: Record<string, string> = {};
    beforeAll(async () => {
      results = await runScenarios(argv);
    }, RUN_LIMIT_MS + 5_000);

    for (const name of SCENARIOS) {
      test(`${name} passes`, () => expect(results[name]).toBe("ok"));
    }
  });
}
