/**
 * Certificates for TLS tests, made with `openssl` (Debian's `openssl`
 * package) in a directory the caller owns: a test CA, leaf certificates it
 * signs for given names, and self-signed ones. EC P-256 keys: quick to make.
 * Works under Bun and Deno (node: modules only).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A certificate and its key, as files and as PEM text. */
export interface Issued {
  certPath: string;
  keyPath: string;
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.status}): ${r.stderr ?? r.error}`);
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** `DNS:name` for host names, `IP:addr` for addresses. */
const san = (names: string[]) => names.map((n) => (/^[\d.]+$/.test(n) || n.includes(":") ? `IP:${n}` : `DNS:${n}`)).join(",");

/** A test certificate authority in `dir`, which signs leaf certificates. */
export class TestCa {
  readonly certPath: string;
  readonly keyPath: string;
  readonly cert: string;
  #serial = 0;

  /** Makes the CA's key and self-signed certificate (`<label>-ca.pem`). */
  constructor(readonly dir: string, readonly label = "test") {
    this.certPath = join(dir, `${label}-ca.pem`);
    this.keyPath = join(dir, `${label}-ca.key`);
    openssl(
      ["req", "-x509", ...KEY, "-keyout", this.keyPath, "-out", this.certPath, "-days", "2", "-subj", `/CN=holdfast ${label} CA`],
      dir,
    );
    this.cert = readFileSync(this.certPath, "utf8");
  }

  /**
   * A leaf certificate for `names` (the first is its CN; addresses go in as IP SANs), signed by this CA.
   * @param file base name of the files (`<file>.pem`, `<file>.key`)
   */
  issue(names: string[], file = `${this.label}-${names[0]}-${++this.#serial}`): Issued {
    const keyPath = join(this.dir, `${file}.key`), certPath = join(this.dir, `${file}.pem`);
    const csr = join(this.dir, `${file}.csr`), ext = join(this.dir, `${file}.ext`);
    openssl(["req", "-new", ...KEY, "-keyout", keyPath, "-out", csr, "-subj", `/CN=${names[0]}`], this.dir);
    writeFileSync(ext, `subjectAltName=${san(names)}\nextendedKeyUsage=serverAuth\n`);
    const serial = String(Date.now() * 1000 + this.#serial);
    openssl([
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      this.certPath,
      "-CAkey",
      this.keyPath,
      "-set_serial",
      serial,
      "-days",
      "2",
      "-extfile",
      ext,
      "-out",
      certPath,
    ], this.dir);
    return { certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
  }
}

/** A self-signed certificate for `names` in `dir`, trusted by nobody. */
export function selfSigned(dir: string, names: string[], file = `self-${names[0]}`): Issued {
  const keyPath = join(dir, `${file}.key`), certPath = join(dir, `${file}.pem`);
  openssl([
    "req",
    "-x509",
    ...KEY,
    "-keyout",
    keyPath,
    "-out",
    certPath,
    "-days",
    "2",
    "-subj",
    `/CN=${names[0]}`,
    "-addext",
    `subjectAltName=${san(names)}`,
  ], dir);
  return { certPath, keyPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}
