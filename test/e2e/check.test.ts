// `holdfast --check` (nginx -t), the short flags and --listen's forms, as a
// user types them: each run is a real holdfast process and its exit status.
import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { freePort, holdfastCommand, Proc, stopAll, TARGETS, tempDir } from "./harness.ts";
import { selfSigned } from "./tls-certs.ts";

afterAll(stopAll);

/** Runs holdfast with `args` to its end. */
async function run(target: (typeof TARGETS)[number], args: string[]): Promise<{ code: number; out: string; err: string }> {
  const argv = [...holdfastCommand(target), ...args];
  const p = new Proc(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
  const code = await p.exited;
  return { code, out: p.lines.join("\n"), err: p.stderr };
}

describe.each(TARGETS)("--check and the command line on %s", (target) => {
  test("--check passes on a good command line, prints what it would do, and binds nothing", async () => {
    const dir = tempDir();
    const cert = selfSigned(dir, ["localhost"]);
    const page = `${dir}/offline.html`;
    writeFileSync(page, "<h1>soon</h1>");
    const port = await freePort();
    // The peer is down: holding requests for it is holdfast's job, not a problem.
    const r = await run(target, [
      "--check",
      "--listen",
      `127.0.0.1:${port},tls`,
      "--tls-cert",
      cert.certPath,
      "--tls-key",
      cert.keyPath,
      "--upstream",
      `127.0.0.1:${await freePort()}`,
      "--upstream",
      "api=localhost:3001",
      "--upstream",
      `sock=unix:${dir}/app.sock`,
      "--route",
      "/=default",
      "--route",
      "/api/=api",
      "--route",
      "/s/=sock",
      "--spool",
      `${dir}/spool`,
      "--offline-page",
      page,
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain(`listen on 127.0.0.1:${port} with TLS`);
    expect(r.out).toContain(`serve certificate ${cert.certPath}`);
    expect(r.out).toMatch(/peer localhost:3001 = .*127\.0\.0\.1/);
    expect(r.out).toContain(`spool bodies over 131072 bytes in ${dir}/spool`);
    expect(r.out).toContain("the configuration is fine");
    // Nothing was bound: the port is still free.
    await new Promise<void>((resolve, reject) => {
      const s = createServer().once("error", reject).listen(port, "127.0.0.1", () => s.close(() => resolve()));
    });
  }, 30_000);

  test("--check fails naming the problem: an unwritable spool, a missing certificate, an unresolvable peer, a bad flag", async () => {
    const dir = tempDir();
    const file = `${dir}/a-file`;
    writeFileSync(file, "not a directory");
    const cert = selfSigned(dir, ["localhost"]);
    const base = ["--check", "--listen", `127.0.0.1:${await freePort()}`, "--upstream", "127.0.0.1:9", "--spool", `${dir}/ok`];
    const cases: [string[], RegExp][] = [
      // Root writes anywhere, but not under a regular file.
      [["--spool", `${file}/spool`], /problem: cannot create the directory in --spool "[^"]*a-file\/spool": ENOTDIR/],
      [
        ["--listen", `127.0.0.1:${await freePort()},tls`, "--tls-cert", `${dir}/missing.pem`, "--tls-key", cert.keyPath],
        /problem: cannot read --tls-cert "[^"]*missing.pem": ENOENT/,
      ],
      [
        ["--listen", `127.0.0.1:${await freePort()},tls`, "--tls-cert", cert.keyPath, "--tls-key", cert.keyPath],
        /problem: cannot use --tls-cert/,
      ],
      // RFC 2606: .invalid never resolves.
      [
        ["--upstream", "api=app.holdfast.invalid:80"],
        /problem: --upstream app\.holdfast\.invalid:80: cannot resolve "app\.holdfast\.invalid"/,
      ],
      [["--upstream", "s=unix:/nonexistent-dir/app.sock"], /problem: --upstream unix:\/nonexistent-dir\/app\.sock: the directory/],
      [["--offline-page", `${dir}/nope.html`], /problem: cannot read --offline-page "[^"]*nope.html": ENOENT/],
      [["--hold", "soon"], /--hold "soon"/],
    ];
    for (const [extra, message] of cases) {
      const r = await run(target, [...base, ...extra]);
      expect({ code: r.code, err: r.err }).toEqual({ code: 1, err: expect.stringMatching(message) });
      expect(r.out).not.toContain("the configuration is fine");
    }
  }, 60_000);

  test("-h prints the help, -V the version", async () => {
    const h = await run(target, ["-h"]);
    expect(h.code).toBe(0);
    expect(h.out).toContain("-h, --help");
    expect(h.out).toContain("--check");
    const v = await run(target, ["-V"]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^holdfast \d+\.\d+\.\d+ \((bun|deno) /);
  }, 30_000);

  test("--listen PORT listens on every address; a port out of range or in use is named with its flag", async () => {
    const port = await freePort();
    const argv = [...holdfastCommand(target), "--listen", String(port), "--upstream", "127.0.0.1:9", "--spool", tempDir()];
    const p = new Proc(spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] }));
    await p.waitLine(new RegExp(`listening on 0\\.0\\.0\\.0:${port}`));
    const busy = await run(target, ["--listen", `:${port}`, "--upstream", "127.0.0.1:9", "--spool", tempDir()]);
    expect(busy.code).toBe(1);
    expect(busy.err).toContain(`cannot listen on --listen 0.0.0.0:${port}: address in use`);
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    const range = await run(target, ["--listen", "70000", "--upstream", "127.0.0.1:9"]);
    expect(range.code).toBe(2);
    expect(range.err).toContain(`--listen "70000": port 70000 is out of range: expected 1 to 65535`);
  }, 30_000);
});
