/**
 * TLS on both sides of the proxy: what a TLS listener serves (`--listen
 * ...,tls`, `--tls-cert`, `--tls-key`) and how a peer is verified
 * (`--upstream https://...`, `--upstream-ca`). Certificates and keys are PEM
 * text (RFC 7468), read by `src/` and handed over as strings.
 *
 * Both runtimes speak TLS 1.2 and 1.3 only (RFC 8996 deprecates 1.0 and 1.1;
 * nginx `ssl_protocols TLSv1.2 TLSv1.3`) and offer ALPN `http/1.1` alone
 * (RFC 7301): holdfast has no HTTP/2.
 *
 * @module
 */

/** A certificate chain (leaf first, then intermediates: nginx `ssl_certificate`) and its private key (`ssl_certificate_key`), PEM. */
export interface KeyPair {
  cert: string;
  key: string;
}

/**
 * The certificates of a TLS listener. A client's SNI name (RFC 6066 §3) picks
 * from `byName`: the exact name, else a wildcard entry `*.example.com` for a
 * name with one more label; a client that sends no name, or one not listed,
 * gets `fallback` (nginx: the default server's certificate).
 */
export interface ServerCertificates {
  fallback: KeyPair;
  /** Lowercase host names (`app.example.com`, `*.example.com`) to their pair. */
  byName: ReadonlyMap<string, KeyPair>;
}

/** What a TLS listener needs. */
export interface ServerTls {
  certificates: ServerCertificates;
  /**
   * A connection whose handshake is not done within this many ms is closed
   * (nginx `ssl_handshake_timeout`), a silent one included.
   */
  handshakeTimeoutMs: number;
}

/** How to connect to an https peer (nginx `proxy_ssl_*`). */
export interface ClientTls {
  /**
   * The name the peer's certificate must carry (RFC 9110 §4.3.4), sent as SNI
   * (`proxy_ssl_server_name on`) unless it is an IP address, which RFC 6066
   * §3 keeps out of SNI; the certificate must then list the address.
   */
  serverName: string;
  /** Trusted CA certificates, PEM (`proxy_ssl_trusted_certificate`); undefined: the system's store. */
  ca?: string;
  /** false accepts any certificate (`proxy_ssl_verify off`): for test peers only. */
  verify: boolean;
}

/** What a certificate check found, for the start-up and reload log lines. */
export interface CertificateFacts {
  /** The leaf's subject alternative names, as `DNS:a.example.com, IP Address:127.0.0.1`, else its subject. */
  names: string;
  /** End of the leaf's validity (`notAfter`), as the certificate states it. */
  validTo: string;
  /** Certificates in the chain. */
  count: number;
}

/** Certificate parsing, the same on both runtimes (node:crypto). */
export interface CertificateTools {
  /**
   * Checks that `pair.cert` holds one or more PEM certificates and
   * `pair.key` an unencrypted private key that matches the first.
   * @throws Error saying which part is wrong and why
   */
  checkKeyPair(pair: KeyPair): CertificateFacts;
  /**
   * Checks that `pem` holds one or more PEM certificates (a CA bundle).
   * @returns how many
   * @throws Error when it holds none, or one does not parse
   */
  checkBundle(pem: string): number;
}
