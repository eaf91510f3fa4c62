import { describe, expect, test } from "bun:test";
import { ConfigError, parseCommandLine } from "../../src/config/parse.ts";
import { FLAGS } from "../../src/config/options.ts";
import { helpText } from "../../src/config/help.ts";
import { VERSION } from "../../src/version.ts";
import pkg from "../../package.json";

const serve = (argv: string[]) => {
  const c = parseCommandLine(argv, "/spool-default");
  if (c.kind !== "serve") throw new Error("expected serve");
  return c.config;
};

describe("parseCommandLine()", () => {
  test("applies the documented defaults", () => {
    const c = serve(["--upstream", "127.0.0.1:3000"]);
    expect(c.listeners).toEqual([{ host: "0.0.0.0", port: 8080, tls: false }]);
    expect(c.spoolDirs).toEqual(["/spool-default"]);
    expect(c.spoolReserveBytes).toBe(64 * 1024 * 1024);
    expect(c.bodyBufferBytes).toBe(128 * 1024);
    expect(c.maxBodyBytes).toBe(0);
    expect(c.holdMs).toBe(60_000);
    expect(c.connectTimeoutMs).toBe(5_000);
    expect(c.readTimeoutMs).toBe(60_000);
    expect(c.sendTimeoutMs).toBe(60_000);
    expect(c.clientBodyTimeoutMs).toBe(60_000);
    expect(c.offlineStatus).toBeUndefined();
    expect(c.accessLog).toBe(true);
  });

  test("takes repeated --upstream and --spool in order, with or without http://", () => {
    const c = serve(["--upstream", "http://127.0.0.1:3000", "--upstream", "[::1]:3001", "--spool", "/a", "--spool", "/b"]);
    const peers = c.groups[0].peers.map((p) => p.address);
    expect(peers.map((a) => a.origin)).toEqual(["http://127.0.0.1:3000", "http://[::1]:3001"]);
    expect(peers[1].host).toBe("::1");
    expect(c.spoolDirs).toEqual(["/a", "/b"]);
  });

  test("a bad value names the flag, the value and the accepted form", () => {
    expect(() => serve(["--upstream", "a:1", "--body-buffer", "1.5m"])).toThrow(/^Cannot use --body-buffer "1.5m": expected .*128k/);
    expect(() => serve(["--upstream", "a:1", "--listen", "h:70000"])).toThrow(/--listen "h:70000"/);
    expect(() => serve(["--upstream", "a:1", "--access-log", "maybe"])).toThrow(/--access-log "maybe": expected on or off/);
    expect(() => serve(["--upstream", "a:1", "--listen"])).toThrow(ConfigError);
  });

  test("--help and --version win over everything else", () => {
    expect(parseCommandLine(["--help"], "/x").kind).toBe("help");
    expect(parseCommandLine(["--version"], "/x").kind).toBe("version");
  });
});

test("--help documents every flag", () => {
  const help = helpText(VERSION);
  for (const f of FLAGS) expect(help).toContain(`--${f.name}`);
});

test("VERSION matches package.json", () => {
  expect(VERSION).toBe(pkg.version);
});
