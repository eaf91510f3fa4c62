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
    // Undefined: each directory gets the smaller of 64 MiB and 5 % of its file system (store.ts).
    expect(c.spoolReserveBytes).toBeUndefined();
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
    expect(() => serve(["--upstream", "a:1", "--listen", "h:70000"])).toThrow(
      /--listen "h:70000": port 70000 is out of range: expected 1 to 65535/,
    );
    expect(() => serve(["--upstream", "a:1", "--listen", "0"])).toThrow(/--listen "0": port 0 is out of range/);
    expect(() => serve(["--upstream", "a:1", "--access-log", "maybe"])).toThrow(/--access-log "maybe": expected on or off/);
    expect(() => serve(["--upstream", "a:1", "--access-log-format", "xml"])).toThrow(
      /--access-log-format "xml": expected kv, json or combined/,
    );
    expect(() => serve(["--upstream", "a:1", "--log-format", "combined"])).toThrow(/--log-format "combined": expected kv or json/);
    expect(() => serve(["--upstream", "a:1", "--listen"])).toThrow(ConfigError);
  });

  test("--help and --version win over everything else; -h and -V are the same", () => {
    expect(parseCommandLine(["--help"], "/x").kind).toBe("help");
    expect(parseCommandLine(["--version"], "/x").kind).toBe("version");
    expect(parseCommandLine(["-h"], "/x").kind).toBe("help");
    expect(parseCommandLine(["-V", "--upstream", "a:1"], "/x").kind).toBe("version");
  });

  test("--listen PORT and :PORT mean every IPv4 address on that port, as nginx's listen 8080", () => {
    const at = (v: string) => serve(["--upstream", "a:1", "--listen", v]).listeners[0];
    expect(at("8080")).toEqual({ host: "0.0.0.0", port: 8080, tls: false });
    expect(at(":8080")).toEqual({ host: "0.0.0.0", port: 8080, tls: false });
    expect(at("[::1]:8443")).toEqual({ host: "::1", port: 8443, tls: false });
  });

  test("--check is a check of the same configuration", () => {
    const c = parseCommandLine(["--check", "--upstream", "a:1"], "/x");
    expect(c.kind).toBe("check");
    expect(() => parseCommandLine(["--check", "--hold", "x", "--upstream", "a:1"], "/x")).toThrow(/--hold "x"/);
  });
});

test("--help documents every flag", () => {
  const help = helpText(VERSION);
  for (const f of FLAGS) expect(help).toContain(`--${f.name}`);
});

test("VERSION matches package.json", () => {
  expect(VERSION).toBe(pkg.version);
});

describe("TLS flags", () => {
  const tls = ["--upstream", "127.0.0.1:3000", "--listen", "0.0.0.0:80", "--listen", "0.0.0.0:443,tls"];

  test("--listen is repeatable; --tls-cert and --tls-key pair by NAME, the unnamed pair first", () => {
    const c = serve([
      ...tls,
      ...["--tls-cert", "App.Example.com=/c/app.pem", "--tls-key", "app.example.com=/c/app.key"],
      ...["--tls-cert", "/c/default.pem", "--tls-key", "/c/default.key", "--tls-cert", "*.example.com=/c/w.pem"],
      ...["--tls-key", "*.example.com=/c/w.key", "--redirect-https"],
    ]);
    expect(c.listeners).toEqual([{ host: "0.0.0.0", port: 80, tls: false }, { host: "0.0.0.0", port: 443, tls: true }]);
    expect(c.certFiles).toEqual([
      { name: "app.example.com", certPath: "/c/app.pem", keyPath: "/c/app.key" },
      { name: undefined, certPath: "/c/default.pem", keyPath: "/c/default.key" },
      { name: "*.example.com", certPath: "/c/w.pem", keyPath: "/c/w.key" },
    ]);
    expect(c.redirectHttps).toBe(true);
  });

  test("https peers: verified by default, tls-name and tls-verify=off, --upstream-ca", () => {
    const c = serve([
      "--upstream",
      "https://10.0.0.1:8443,tls-name=App.Internal",
      "--upstream",
      "b=https://[::1]:443,tls-verify=off",
      "--upstream-ca",
      "/ca.pem",
    ]);
    const [a, b] = c.groups.flatMap((g) => g.peers.map((p) => p.address));
    expect([a.origin, a.tls]).toEqual(["https://10.0.0.1:8443", { verify: true, name: "app.internal" }]);
    expect([b.origin, b.key, b.tls]).toEqual(["https://[::1]:443", "[::1]:443", { verify: false, name: "::1" }]);
    expect(c.upstreamCaPath).toBe("/ca.pem");
    expect(serve(["--upstream", "127.0.0.1:1"]).groups[0].peers[0].address.tls).toBeUndefined();
  });

  test("a TLS flag that does not fit names the flag and the accepted form", () => {
    const bad: [string[], RegExp][] = [
      [["--upstream", "a:1", "--listen", "0.0.0.0:443,ssl"], /^Cannot use --listen "0.0.0.0:443,ssl": expected \[HOST\]:PORT\[,tls\]/],
      [["--upstream", "a:1", "--listen", "0.0.0.0:443,tls"], /^Cannot use --listen "0.0.0.0:443,tls": a ,tls listener needs --tls-cert/],
      [[...tls, "--tls-cert", "/a.pem"], /^Cannot use --tls-cert "\/a.pem": no --tls-key without a NAME/],
      [[...tls, "--tls-cert", "/a.pem", "--tls-key", "x.test=/x.key"], /^Cannot use --tls-key "x.test=\/x.key": no --tls-cert for x.test/],
      [
        [...tls, "--tls-cert", "/a.pem", "--tls-key", "/a.key", "--tls-cert", "/b.pem"],
        /^Cannot use --tls-cert "\/b.pem": a second --tls-cert without a NAME/,
      ],
      [["--upstream", "a:1", "--tls-cert", "/a.pem", "--tls-key", "/a.key"], /^Cannot use --tls-cert "\/a.pem": no --listen has ,tls/],
      [["--upstream", "a:1", "--redirect-https"], /^Cannot use --redirect-https: no --listen has ,tls/],
      [["--upstream", "a:1,tls-verify=off"], /^Cannot use --upstream "a:1,tls-verify=off": tls-verify applies to https:\/\/ peers only/],
      [["--upstream", "https://a:1,tls-verify=no"], /tls-verify must be on or off/],
      [["--upstream", "a:1", "--upstream-ca", "/ca.pem"], /^Cannot use --upstream-ca "\/ca.pem": no --upstream is https:\/\/HOST:PORT/],
      [
        ["--upstream", "a:1", "--listen", "0.0.0.0:80", "--listen", "0.0.0.0:80"],
        /^Cannot use --listen "0.0.0.0:80": 0.0.0.0:80 is given twice/,
      ],
    ];
    for (const [argv, message] of bad) expect(() => serve(argv)).toThrow(message);
  });

  test("--help names the nginx directives of the TLS flags and says why not to turn verification off", () => {
    const help = helpText(VERSION);
    for (const d of ["listen HOST:PORT [ssl]", "ssl_certificate", "ssl_certificate_key", "ssl_protocols TLSv1.2 TLSv1.3"]) {
      expect(help).toContain(d);
    }
    for (const d of ["proxy_ssl_trusted_certificate", "proxy_ssl_verify", "proxy_ssl_server_name", "return 308"]) expect(help).toContain(d);
    expect(help).toMatch(
      /tls-verify=off accepts any certificate: only for a self-signed test peer, since anyone on the path can then read and change/,
    );
  });
});
