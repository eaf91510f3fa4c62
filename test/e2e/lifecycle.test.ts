// Process lifecycle: stale spool files at start-up, SIGTERM with a request
// in flight, and bad flags.
import { afterAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import {
  curl,
  freePort,
  holdfastCommand,
  Proc,
  sleep,
  spoolFiles,
  startHoldfast,
  startUpstream,
  stopAll,
  TARGETS,
  tempDir,
  testFile,
} from "./harness.ts";

afterAll(stopAll);

/** A pid that surely does not run: a process that has already exited. */
function deadPid(): number {
  return spawnSync("sh", ["-c", "echo $$"]).stdout.toString().trim() as unknown as number;
}

describe.each(TARGETS)("lifecycle on %s", (target) => {
  test("spool files left by a killed holdfast are removed at start-up; a live process's are kept", async () => {
    const spool = tempDir();
    const stale = `${spool}/holdfast-${deadPid()}-abc123.spool`;
    const live = `${spool}/holdfast-${process.pid}-def456.spool`;
    const other = `${spool}/notes.txt`;
    for (const f of [stale, live, other]) writeFileSync(f, "x");
    const hf = await startHoldfast(target, ["--upstream", "127.0.0.1:1"], { spool });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(hf.lines.join("\n")).toContain(`removed stale spool file ${stale}`);
  }, 30_000);

  test("SIGTERM with a held request: stops accepting, finishes the request once the upstream is back, exits 0, spool empty", async () => {
    const file = "/dev/shm/holdfast-sigterm-1m.bin";
    const sha = testFile(file, 1024 * 1024);
    const upPort = await freePort();
    const hf = await startHoldfast(target, ["--upstream", `127.0.0.1:${upPort}`, "--hold", "30s", "--shutdown-timeout", "20s"]);
    const pending = curl(["--data-binary", `@${file}`, `${hf.url}/store`]);
    for (let i = 0; i < 500 && spoolFiles(hf.spool).length === 0; i++) await sleep(10);
    await sleep(300);
    hf.kill("SIGTERM");
    await hf.waitLine(/SIGTERM: no longer accepting/);
    const refused = await curl([`${hf.url}/new`], 3000).then((r) => r.status, () => "refused");
    expect(refused).toBe("refused");
    await startUpstream(upPort);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.json?.sha256).toBe(sha);
    expect(await hf.exited).toBe(0);
    expect(spoolFiles(hf.spool)).toEqual([]);
  }, 40_000);

  test("bad flags name the flag and the accepted form, and exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--hold", "5x"], /--hold "5x".*250ms, 30s/],
      [["--max-body", "ten"], /--max-body "ten".*128k/],
      [["--listen", "nowhere"], /--listen "nowhere".*\[HOST\]:PORT/],
      [["--upstream", "http://"], /--upstream "http:\/\/".*HOST:PORT/],
      [["--offline-status", "99"], /--offline-status "99".*200 to 599/],
      [["--upstream", "127.0.0.1:9,heavy"], /--upstream "127.0.0.1:9,heavy": unknown option "heavy"/],
      [["--balance", "fastest"], /--balance "fastest": expected round-robin, least-conn/],
      [["--next-upstream", "error,sometimes"], /--next-upstream "error,sometimes": unknown condition/],
      [["--route", "/api/"], /--route "\/api\/": expected \[HOST\]PATH=GROUP/],
      [["--route", "/api/=api"], /--route "\/api\/=api": no --upstream is in group "api"/],
      [
        ["--route", "/a/=default", "--route", "/a/=default,hold=1s"],
        /--route "\/a\/=default,hold=1s": matches what --route "\/a\/=default" matches/,
      ],
      [["--route", "/u/:id=default,strip-prefix"], /--route .*strip-prefix needs a prefix or exact path/],
      [["--route", "/x/=default,max-body=lots"], /--route .*max-body must be a size/],
      [["--route", "/x/=default,cache"], /--route .*unknown option "cache"/],
      [["--no-such-flag"], /no-such-flag/],
      [[], /--upstream.*required/],
    ];
    for (const [flags, message] of cases) {
      const withPeer = flags.length && !flags.includes("--upstream") ? [...flags, "--upstream", "127.0.0.1:9"] : flags;
      const argv = [...holdfastCommand(target), ...withPeer];
      const p = new Proc(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
      expect(await p.exited).toBe(2);
      expect(p.stderr).toMatch(message);
    }
  }, 60_000);

  test("a start-up failure (address in use, missing offline page) names the cause and exits 1", async () => {
    const busy = await startUpstream(await freePort());
    const port = Number(busy.lines[0].split(" ").pop());
    const cases: [string[], RegExp][] = [
      [["--listen", `127.0.0.1:${port}`], /Cannot start: .*(in use|EADDRINUSE)/i],
      [
        ["--listen", `127.0.0.1:${await freePort()}`, "--offline-page", "/nonexistent/offline.html"],
        /Cannot start: .*(no such file|ENOENT|not found)/i,
      ],
    ];
    for (const [flags, message] of cases) {
      const argv = [...holdfastCommand(target), "--upstream", "127.0.0.1:9", "--spool", tempDir(), ...flags];
      const p = new Proc(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
      expect(await p.exited).toBe(1);
      expect(p.stderr).toMatch(message);
    }
  }, 30_000);

  test("--help lists every flag with its nginx directive; --version prints version and target", () => {
    const help = spawnSync(holdfastCommand(target)[0], [...holdfastCommand(target).slice(1), "--help"]).stdout.toString();
    for (
      const s of ["--listen", "--upstream", "--spool", "client_body_temp_path", "client_max_body_size", "proxy_read_timeout", "--hold"]
    ) {
      expect(help).toContain(s);
    }
    const version = spawnSync(holdfastCommand(target)[0], [...holdfastCommand(target).slice(1), "--version"]).stdout.toString();
    expect(version).toMatch(/^holdfast \d+\.\d+\.\d+ \((bun|deno) [\d.]+, linux-x64\)/);
  }, 30_000);
});
