/**
 * {@link CertificateTools} on `node:crypto`, which both runtimes have. Deno's
 * `tls.createSecureContext` accepts anything and fails only at a handshake, so
 * holdfast checks certificates itself, before a listener serves them.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { CertificateFacts, CertificateTools, KeyPair } from "./tls-types.ts";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in `pem`, parsed. @throws Error naming the one that does not parse */
function parseAll(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new Error("no PEM certificate (-----BEGIN CERTIFICATE-----) in it");
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (e) {
      throw new Error(`certificate ${i + 1} does not parse: ${(e as Error).message}`);
    }
  });
}

/** See {@link CertificateTools}. */
export const nodeCertificates: CertificateTools = {
  checkKeyPair(pair: KeyPair): CertificateFacts {
    const chain = parseAll(pair.cert);
    let key;
    try {
      key = createPrivateKey(pair.key);
    } catch (e) {
      throw new Error(`the key does not parse as an unencrypted PEM private key: ${(e as Error).message}`);
    }
    const leaf = chain[0];
    if (!leaf.checkPrivateKey(key)) throw new Error(`the key does not match the certificate (${leaf.subject.replace(/\n/g, ", ")})`);
    return { names: leaf.subjectAltName ?? leaf.subject.replace(/\n/g, ", "), validTo: leaf.validTo, count: chain.length };
  },
  checkBundle(pem: string): number {
    return parseAll(pem).length;
  },
};
