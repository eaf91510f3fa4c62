/**
 * Reads the TLS files the flags name (`--tls-cert`, `--tls-key`,
 * `--upstream-ca`) and checks them, at start-up and on SIGHUP: a file that
 * cannot be read or parsed is named in the error, and nothing of a failed
 * load is used.
 *
 * @module
 */
import type { Runtime } from "../../runtime/index.ts";
import type { KeyPair, ServerCertificates } from "../../runtime/socket-types.ts";
import type { CertFiles } from "../config/tls-flags.ts";

const DEC = new TextDecoder();

function readText(rt: Runtime, flag: string, path: string): string {
  try {
    return DEC.decode(rt.files.readFile(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`cannot read ${flag} "${path}": ${code ?? (e as Error).message}`);
  }
}

/** What {@link loadCertificates} read, and one log line per certificate. */
export interface LoadedCertificates {
  certificates: ServerCertificates;
  /** `certificate FILE: names, valid to DATE` for each pair, in the order given. */
  lines: string[];
}

/**
 * Reads and checks every certificate pair. The pair without a name is the
 * fallback (nginx: the default server's certificate), else the first.
 * @throws Error naming the file and what is wrong with it
 */
export function loadCertificates(rt: Runtime, files: CertFiles[]): LoadedCertificates {
  const byName = new Map<string, KeyPair>();
  const lines: string[] = [];
  let fallback: KeyPair | undefined;
  for (const f of files) {
    const pair = { cert: readText(rt, "--tls-cert", f.certPath), key: readText(rt, "--tls-key", f.keyPath) };
    try {
      const facts = rt.certificates.checkKeyPair(pair);
      lines.push(`certificate ${f.certPath}${f.name ? ` for ${f.name}` : ""}: ${facts.names}, valid to ${facts.validTo}`);
    } catch (e) {
      throw new Error(`cannot use --tls-cert "${f.certPath}" with --tls-key "${f.keyPath}": ${(e as Error).message}`);
    }
    if (f.name) byName.set(f.name, pair);
    else fallback ??= pair;
  }
  return { certificates: { fallback: fallback ?? byName.values().next().value!, byName }, lines };
}

/**
 * Reads and checks a CA bundle (`--upstream-ca`).
 * @returns its PEM text
 * @throws Error naming the file and what is wrong with it
 */
export function loadCaBundle(rt: Runtime, path: string): string {
  const pem = readText(rt, "--upstream-ca", path);
  try {
    rt.certificates.checkBundle(pem);
  } catch (e) {
    throw new Error(`cannot use --upstream-ca "${path}": ${(e as Error).message}`);
  }
  return pem;
}
