// TLS (issue 7, items 4 and 5): termination on --listen ...,tls with
// certificates by SNI, TLS 1.2 and 1.3 only, --redirect-https, a SIGHUP that
// swaps the certificate under a held upload, and https peers verified against
// a test CA. Certificates are made here with openssl; every peer is real and
// on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import {
  curl,
  freePort,
  type Holdfast,
  holdfastCommand,
  Proc,
  ROOT,
  sleep,
  spoolBytes,
  startHoldfast,
  startUpstream,
  stopAll,
  TARGETS,
  tempDir,
  testFile,
} from "./harness.ts";
import { type Issued, selfSigned, TestCa } from "./tls-certs.ts";

afterAll(stopAll);

let dir: string;
let ca: TestCa;
let a: Issued; // a.example.test and 127.0.0.1: the default certificate
let b: Issued; // b.example.test only: chosen by SNI
beforeAll(() => {
  dir = tempDir();
  ca = new TestCa(dir);
  a = ca.issue(["a.example.test", "127.0.0.1"], "a");
  b = ca.issue(["b.example.test"], "b");
});

/** holdfast with a plain listener (the harness's) and a TLS one, `a` by default and `b` by SNI. */
async function startTls(target: Parameters<typeof startHoldfast>[0], flags: string[], certs = { cert: a.certPath, key: a.keyPath }) {
  const tlsPort = await freePort();
  const hf = await startHoldfast(target, [
    ...["--listen", `127.0.0.1:${tlsPort},tls`, "--tls-cert", certs.cert, "--tls-key", certs.key],
    ...["--tls-cert", `b.example.test=${b.certPath}`, "--tls-key", `b.example.test=${b.keyPath}`],
    ...flags,
  ]);
  return Object.assign(hf, { tlsPort, https: `https://127.0.0.1:${tlsPort}` });
}

/** The subject and issuer of the certificate the TLS listener serves for `name` (openssl s_client). */
function servedCert(port: number, name?: string): string {
  const r = spawnSync("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...(name ? ["-servername", name] : [])], {
    input: "",
    encoding: "utf8",
    timeout: 10_000,
  });
  return (r.stdout.match(/^(subject|issuer)=.*$/gm) ?? []).join("; ");
}

/** Runs curl for its exit code and output only: a refused handshake gives no response to parse. */
function curlRaw(args: string[]): { code: number; out: string } {
  const r = spawnSync("curl", ["-sS", "--max-time", "10", ...args], { encoding: "utf8", timeout: 15_000 });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

/** Starts the https peer fixture with `cert` on a free port. */
async function httpsPeer(cert: Issued): Promise<{ port: number; proc: Proc }> {
  const port = await freePort();
  const proc = new Proc(
    spawn(join(ROOT, "node_modules/.bin/bun"), [join(ROOT, "test/fixtures/https-peer.ts"), String(port), cert.certPath, cert.keyPath], {
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  await proc.waitLine(/https peer listening/);
  return { port, proc };
}

describe.each(TARGETS)("TLS on %s", (target) => {
  test("curl over TLS 1.3 and 1.2 with the test CA: the body arrives whole, X-Forwarded-Proto and $scheme say https", async () => {
    const up = await freePort();
    await startUpstream(up);
    const hf = await startTls(target, [
      ...["--upstream", `127.0.0.1:${up}`, "--route", "/=default,set-header=X-Scheme:$scheme"],
    ]);
    const file = join(dir, "body-1m.bin");
    const sha = testFile(file, 1 << 20);
    for (const version of [["--tlsv1.3"], ["--tlsv1.2", "--tls-max", "1.2"]]) {
      const r = await curl([...version, "--cacert", ca.certPath, "--data-binary", `@${file}`, `${hf.https}/up?x=1`], 20_000);
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ bytes: 1 << 20, sha256: sha, method: "POST", url: "/up?x=1" });
      const h = r.json!.headers as Record<string, string>;
      expect([h["x-forwarded-proto"], h["x-scheme"]]).toEqual(["https", "https"]);
    }
    const v = curlRaw(["-v", "--cacert", ca.certPath, "-o", "/dev/null", `${hf.https}/`]);
    expect(v.out).toMatch(/SSL connection using TLSv1\.3/);
    expect(v.out).toMatch(/ALPN: server accepted http\/1\.1/);
    // The plain listener still says http.
    const plain = await curl([`${hf.url}/p`], 10_000);
    expect((plain.json!.headers as Record<string, string>)["x-forwarded-proto"]).toBe("http");
  }, 60_000);

  test("SNI picks the certificate of the name asked for; an unknown name or none gets the default", async () => {
    const up = await freePort();
    await startUpstream(up);
    const hf = await startTls(target, ["--upstream", `127.0.0.1:${up}`]);
    for (const name of ["a.example.test", "b.example.test"]) {
      const r = await curl(
        ["--cacert", ca.certPath, "--resolve", `${name}:${hf.tlsPort}:127.0.0.1`, `https://${name}:${hf.tlsPort}/sni`],
        10_000,
      );
      expect(r.status).toBe(200);
      expect((r.json!.headers as Record<string, string>).host).toBe(`${name}:${hf.tlsPort}`);
    }
    expect(servedCert(hf.tlsPort, "b.example.test")).toContain("subject=CN = b.example.test");
    expect(servedCert(hf.tlsPort, "B.Example.Test")).toContain("subject=CN = b.example.test");
    expect(servedCert(hf.tlsPort, "a.example.test")).toContain("subject=CN = a.example.test");
    expect(servedCert(hf.tlsPort, "c.example.test")).toContain("subject=CN = a.example.test");
    expect(servedCert(hf.tlsPort)).toContain("subject=CN = a.example.test");
  }, 60_000);

  test("a client offering only TLS 1.0 or 1.1 is refused, and nothing reaches the peer", async () => {
    const up = await freePort();
    const peer = await startUpstream(up);
    const hf = await startTls(target, ["--upstream", `127.0.0.1:${up}`]);
    for (const v of ["1.0", "1.1"]) {
      const r = curlRaw([`--tlsv${v}`, "--tls-max", v, "--cacert", ca.certPath, "-o", "/dev/null", `${hf.https}/old`]);
      expect(r.code).toBe(35); // CURLE_SSL_CONNECT_ERROR: no handshake
    }
    const s = spawnSync("openssl", ["s_client", "-tls1", "-connect", `127.0.0.1:${hf.tlsPort}`], {
      input: "",
      encoding: "utf8",
      timeout: 10_000,
    });
    expect(s.stdout + s.stderr).toMatch(/alert|error|no protocols available/i);
    expect(s.stdout).not.toMatch(/^subject=/m);
    // The listener is still fine.
    expect((await curl(["--cacert", ca.certPath, `${hf.https}/after`], 10_000)).status).toBe(200);
    expect(peer.lines.some((l) => l.includes("/old"))).toBe(false);
  }, 60_000);

  test("SIGHUP: the next connection gets the new certificate while a held upload on the old one completes", async () => {
    const certPath = join(dir, `live-${target}.pem`), keyPath = join(dir, `live-${target}.key`);
    copyFileSync(a.certPath, certPath);
    copyFileSync(a.keyPath, keyPath);
    const up = await freePort();
    const hf = await startTls(target, ["--upstream", `127.0.0.1:${up}`, "--hold", "60s"], { cert: certPath, key: keyPath });
    const file = join(dir, "body-2m.bin");
    const sha = testFile(file, 2 << 20);
    // Held: the upstream is down, so the body is spooled and the request waits.
    const upload = curl(["--cacert", ca.certPath, "--data-binary", `@${file}`, `${hf.https}/held`], 60_000);
    for (let i = 0; i < 1000 && spoolBytes(hf.spool) < 2 << 20; i++) await sleep(10);
    expect(spoolBytes(hf.spool)).toBe(2 << 20);
    const next = new TestCa(dir, `next-${target}`);
    const renewed = next.issue(["a.example.test", "127.0.0.1"], `renewed-${target}`);
    copyFileSync(renewed.certPath, certPath);
    copyFileSync(renewed.keyPath, keyPath);
    hf.kill("SIGHUP");
    await hf.waitLine(/SIGHUP: reloaded certificate/);
    expect(servedCert(hf.tlsPort)).toContain(`issuer=CN = holdfast next-${target} CA`);
    expect(curlRaw(["--cacert", ca.certPath, "-o", "/dev/null", `${hf.https}/old-ca`]).code).toBe(60); // CURLE_PEER_FAILED_VERIFICATION
    // A broken file on the next SIGHUP changes nothing.
    copyFileSync(b.keyPath, keyPath);
    hf.kill("SIGHUP");
    await hf.waitLine(/SIGHUP: kept the certificates in use: .*live-/);
    expect(servedCert(hf.tlsPort)).toContain(`issuer=CN = holdfast next-${target} CA`);
    await startUpstream(up);
    const r = await upload;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ bytes: 2 << 20, sha256: sha, url: "/held" });
    expect(hf.child.exitCode).toBeNull();
  }, 90_000);

  test("--redirect-https answers 308 to the https URL and proxies the ACME challenge path", async () => {
    const up = await freePort();
    const peer = await startUpstream(up);
    const hf: Holdfast & { tlsPort: number } = await startTls(target, ["--upstream", `127.0.0.1:${up}`, "--redirect-https"]);
    const r = await curl(["-H", "Host: App.Example.Test:8080", `${hf.url}/photos/1?size=large`], 10_000);
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe(`https://app.example.test:${hf.tlsPort}/photos/1?size=large`);
    // A body is read and dropped, and the connection closes after the answer.
    const post = await curl(["-H", "Host: a.example.test", "--data-binary", "x=1", `${hf.url}/form`], 10_000);
    expect([post.status, post.headers.connection]).toEqual([308, "close"]);
    const acme = await curl(["-H", "Host: a.example.test", `${hf.url}/.well-known/acme-challenge/token-1`], 10_000);
    expect(acme.status).toBe(200);
    expect(acme.json).toMatchObject({ url: "/.well-known/acme-challenge/token-1" });
    expect((acme.json!.headers as Record<string, string>)["x-forwarded-proto"]).toBe("http");
    expect(peer.lines.some((l) => l.includes("/photos/1") || l.includes("/form"))).toBe(false);
    // Following the redirect lands on the TLS listener.
    const resolve = ["--resolve", `a.example.test:${hf.tlsPort}:127.0.0.1`, "--resolve", `a.example.test:${hf.port}:127.0.0.1`];
    const to = `http://a.example.test:${hf.port}/go`;
    const followed = curlRaw([
      "-L",
      "--cacert",
      ca.certPath,
      ...resolve,
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{num_redirects} %{scheme}",
      to,
    ]);
    expect(followed.out).toBe("200 1 HTTPS");
    expect(await hf.waitLine(/"GET \/photos\/1\?size=large" 308/)).toContain("attempts=0");
  }, 60_000);

  test(
    "an https peer: verified against --upstream-ca, SNI sent, its keepalive pool reused; an untrusted one gives 502 at once",
    async () => {
      const peerCert = ca.issue(["peer.example.test", "127.0.0.1"], `peer-${target}`);
      const good = await httpsPeer(peerCert);
      const bad = await httpsPeer(selfSigned(dir, ["127.0.0.1"], `self-${target}`));
      const hf = await startHoldfast(target, [
        ...["--upstream", `https://127.0.0.1:${good.port},tls-name=peer.example.test`, "--upstream-ca", ca.certPath],
        ...["--upstream", `bad=https://127.0.0.1:${bad.port}`, "--route", "/bad/=bad", "--route", "/=default", "--hold", "30s"],
      ]);
      const file = join(dir, "body-300k.bin");
      const sha = testFile(file, 300 * 1024);
      const first = await curl(["--data-binary", `@${file}`, `${hf.url}/one`], 10_000);
      expect(first.status).toBe(200);
      expect(first.json).toMatchObject({ servername: "peer.example.test", url: "/one", bytes: 300 * 1024, sha256: sha });
      const second = await curl([`${hf.url}/two`], 10_000);
      expect(second.json).toMatchObject({ servername: "peer.example.test", url: "/two" });
      expect(second.json!.remotePort).toBe(first.json!.remotePort);
      const t0 = Date.now();
      const untrusted = await curl([`${hf.url}/bad/x`], 10_000);
      expect(untrusted.status).toBe(502);
      // The client gets a generic body; the reason is on stderr under the request id.
      expect(untrusted.body).toMatch(/^502 Bad Gateway: the upstream is unavailable\nrequest id: /);
      const detail = /: 502 TLS handshake with "127\.0\.0\.1:\d+" failed/;
      for (let i = 0; i < 100 && !detail.test(hf.stderr); i++) await sleep(20);
      expect(hf.stderr).toMatch(detail);
      expect(Date.now() - t0).toBeLessThan(5_000);
    },
    60_000,
  );

  test("without --upstream-ca the system's store is used: the test CA is not in it, so 502; tls-verify=off accepts it", async () => {
    const peer = await httpsPeer(ca.issue(["127.0.0.1"], `sys-${target}`));
    const hf = await startHoldfast(target, [
      ...["--upstream", `https://127.0.0.1:${peer.port}`, "--upstream", `off=https://127.0.0.1:${peer.port},tls-verify=off`],
      ...["--route", "/off/=off", "--route", "/=default", "--hold", "30s"],
    ]);
    expect((await curl([`${hf.url}/x`], 10_000)).status).toBe(502);
    const off = await curl([`${hf.url}/off/y`], 10_000);
    expect(off.status).toBe(200);
    // An IP address is not sent as SNI (RFC 6066 §3).
    expect(off.json).toMatchObject({ url: "/off/y", servername: false });
  }, 60_000);

  test("a certificate file that cannot be read or used stops the start with exit 1, naming it", async () => {
    const port = await freePort();
    const cases: [string[], RegExp][] = [
      [["--tls-cert", join(dir, "missing.pem"), "--tls-key", a.keyPath], /--tls-cert ".*missing\.pem": ENOENT/],
      [["--tls-cert", a.certPath, "--tls-key", b.keyPath], /--tls-cert ".*a\.pem" with --tls-key ".*b\.key": the key does not match/],
      [["--tls-cert", a.keyPath, "--tls-key", a.keyPath], /--tls-cert ".*a\.key" .*no PEM certificate/],
    ];
    for (const [flags, message] of cases) {
      const argv = [...holdfastCommand(target), "--listen", `127.0.0.1:${port},tls`, "--upstream", "127.0.0.1:1", ...flags];
      const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 20_000 });
      expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(message)]);
    }
    const bad = [...holdfastCommand(target), "--listen", `127.0.0.1:${port},tls`, "--upstream", "127.0.0.1:1"];
    const r = spawnSync(bad[0], bad.slice(1), { encoding: "utf8", timeout: 20_000 });
    expect([r.status, r.stderr]).toEqual([
      2,
      expect.stringMatching(/--listen ".*,tls": a ,tls listener needs --tls-cert FILE and --tls-key FILE/),
    ]);
  }, 60_000);
});
