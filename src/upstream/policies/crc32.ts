/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table-driven.
 *
 * CRC32 rather than FNV-1a because it is the hash nginx uses for
 * `hash $key consistent` (`ngx_crc32_long` for the request key,
 * `ngx_crc32_update` for the ring points): with the same function and the
 * same point seeds our ring places a key where nginx's would, so moving a
 * group from nginx to holdfast keeps cache and session affinity.
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

const encoder = new TextEncoder();

/** The register value a CRC-32 starts from (`ngx_crc32_init`). */
export const CRC32_INIT = 0xffffffff;

/**
 * Feeds `bytes` into a running CRC-32 register (`ngx_crc32_update`).
 * @param crc register from CRC32_INIT or an earlier update, unsigned 32-bit
 * @returns the new register, not yet finalised
 */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/** Finalises a register into the checksum (`ngx_crc32_final`), unsigned 32-bit. */
export function crc32Final(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 of a byte string, or of a string's UTF-8 bytes (`ngx_crc32_long`).
 * @returns unsigned 32-bit checksum; crc32("123456789") is 0xCBF43926
 */
export function crc32(data: string | Uint8Array): number {
  return crc32Final(crc32Update(CRC32_INIT, typeof data === "string" ? encoder.encode(data) : data));
}
