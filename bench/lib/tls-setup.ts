/**
 * bench/tls.ts's certificates and checks: a self-signed certificate per key
 * type made once with `openssl req` and kept in bench/work/, a curl through
 * each target that verifies it, and an `openssl s_client` probe of what each
 * target negotiates and whether it resumes sessions.
 */
/// <reference types="bun-types" />
import { chmodSync, existsSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The key types a certificate can have. */
export type KeyKind = "ecdsa" | "rsa";

/** A certificate and its key, PEM files. */
export interface CertFiles {
  kind: KeyKind;
  cert: string;
  key: string;
}

/** What the report calls each key type. */
export const KEY_LABEL: Record<KeyKind, string> = { ecdsa: "ECDSA P-256", rsa: "RSA 2048" };

const NEW_KEY: Record<KeyKind, string[]> = {
  ecdsa: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
  rsa: ["-newkey", "rsa:2048"],
};

/** Runs `argv` (bounded by `timeoutMs`) and returns its exit code, stdout and stderr. */
function run(argv: string[], timeoutMs = 30_000): { code: number | null; out: string; err: string } {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: timeoutMs });
  return { code: r.exitCode, out: r.stdout.toString(), err: r.stderr.toString() };
}

/**
 * The `kind` certificate in `dir` (`tls-KIND.pem` and `tls-KIND.key`):
 * reused when both files are there and the certificate is valid for another
 * day, else made with `openssl req -x509` (self-signed, CN and SAN
 * `localhost` and SAN `IP:127.0.0.1`, so curl can verify it against itself).
 * @throws when openssl fails
 */
export function ensureCertificate(dir: string, kind: KeyKind): CertFiles {
  const cert = join(dir, `tls-${kind}.pem`);
  const key = join(dir, `tls-${kind}.key`);
  if (existsSync(cert) && existsSync(key) && run(["openssl", "x509", "-checkend", "86400", "-noout", "-in", cert]).code === 0) {
    return { kind, cert, key };
  }
  // Written under temporary names and renamed, so an interrupted run never leaves a half pair.
  const tmpCert = `${cert}.tmp`;
  const tmpKey = `${key}.tmp`;
  const r = run([
    "openssl",
    "req",
    "-x509",
    ...NEW_KEY[kind],
    "-nodes",
    "-keyout",
    tmpKey,
    "-out",
    tmpCert,
    "-days",
    "825",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ]);
  if (r.code !== 0) {
    for (const f of [tmpCert, tmpKey]) rmSync(f, { force: true });
    throw new Error(`openssl req (${kind}) exited with ${r.code}: ${r.err.trim()}`);
  }
  chmodSync(tmpKey, 0o600);
  renameSync(tmpKey, key);
  renameSync(tmpCert, cert);
  return { kind, cert, key };
}

/**
 * One curl through `url` over TLS 1.3, verifying the server's certificate
 * against `cert` (so the target serves the benchmark's certificate): the
 * status must be 200 and the body exactly "ok".
 */
export async function checkTlsResponse(name: string, url: string, cert: string): Promise<void> {
  const argv = ["curl", "-sS", "--max-time", "5", "--tlsv1.3", "--cacert", cert, "-w", "\n%{http_code}", url];
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const at = out.lastIndexOf("\n");
  const body = out.slice(0, at);
  const status = out.slice(at + 1);
  if (code !== 0 || status !== "200" || body !== "ok") {
    throw new Error(
      `${name} (${url}) answered ${JSON.stringify({ curl: code, status, body: body.slice(0, 200), err: err.trim() })}, expected 200 "ok"`,
    );
  }
}

/** What a target negotiated with `openssl s_client -tls1_3`. */
export interface TlsProbe {
  /** `TLSv1.3`. */
  protocol: string;
  /** `TLS_AES_256_GCM_SHA384`, ... */
  cipher: string;
  /** The key exchange group (`X25519`, ...; s_client's "Server Temp Key"). */
  group: string;
  /** Whether a second connection offering the first one's session was resumed (session tickets). */
  resumes: boolean;
}

const REQUEST = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

/** One `openssl s_client` connection sending {@link REQUEST} and reading to the server's close; its stdout. */
async function sClient(port: number, extra: string[]): Promise<string> {
  const argv = ["openssl", "s_client", "-connect", `127.0.0.1:${port}`, "-tls1_3", "-ign_eof", ...extra];
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", stdin: new TextEncoder().encode(REQUEST) });
  // The server closes after its response; this bounds one that does not.
  const timer = setTimeout(() => p.kill("SIGKILL"), 10_000);
  try {
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`openssl s_client to port ${port} exited with ${code}: ${err.trim().slice(0, 300)}`);
    return out;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Connects to 127.0.0.1:`port` twice with `openssl s_client -tls1_3`: the
 * first saves its session (with the server's ticket) to `sessionFile`, the
 * second offers it.
 * @throws when s_client fails or prints no protocol and cipher
 */
export async function probeTls(port: number, sessionFile: string): Promise<TlsProbe> {
  rmSync(sessionFile, { force: true });
  const first = await sClient(port, ["-sess_out", sessionFile]);
  const m = /^(?:New|Reused), (TLSv[\d.]+), Cipher is (\S+)/m.exec(first);
  if (!m) throw new Error(`openssl s_client to port ${port} printed no protocol and cipher:\n${first.slice(0, 2000)}`);
  const group = /^Server Temp Key: ([^,\n]+)/m.exec(first)?.[1] ?? "?";
  let resumes = false;
  if (existsSync(sessionFile)) resumes = /^Reused, /m.test(await sClient(port, ["-sess_in", sessionFile]));
  rmSync(sessionFile, { force: true });
  return { protocol: m[1], cipher: m[2], group, resumes };
}

/**
 * Versions for the report: `openssl version`, the libssl wrk is linked with
 * (from ldd), and the TLS library of each proxy: nginx's OpenSSL (`nginx -V`),
 * Bun's BoringSSL revision; Deno's node:tls is rustls, which reports none.
 */
export function tlsVersions(): { openssl: string; wrkLibssl: string; libraries: string } {
  const openssl = run(["openssl", "version"]).out.trim().replace(/ \(Library: .*\)$/, "");
  const wrk = Bun.which("wrk");
  const lib = /^\s*(libssl\S*)/m.exec(wrk ? run(["ldd", wrk]).out : "")?.[1];
  const nginxV = run(["/usr/sbin/nginx", "-V"]).err;
  const nginxSsl = /running with (OpenSSL \S+)/.exec(nginxV)?.[1] ?? /built with (OpenSSL \S+)/.exec(nginxV)?.[1] ?? "?";
  const boring = process.versions.boringssl?.slice(0, 7) ?? "?";
  return {
    openssl,
    wrkLibssl: lib ? `linked with ${lib}` : "no libssl found by ldd",
    libraries: `nginx ${nginxSsl}, Bun BoringSSL ${boring}, Deno rustls (node:tls over Deno's TLS)`,
  };
}
