/**
 * The content codings holdfast can apply to a response (RFC 9110 §8.4.1):
 * `gzip`, `br` (RFC 7932) and `zstd` (RFC 8878), all from `node:zlib`, which
 * Bun and Deno both provide (the compiled binary too). bench/compress.ts
 * measured it against `CompressionStream`: zlib's gzip at level 1 costs a
 * third to a half of `CompressionStream("gzip")` per MB, and only zlib can
 * flush a stream part way, which a streamed response needs.
 *
 * @module
 */
import * as zlib from "node:zlib";

/** A content coding holdfast offers, by its registered name (RFC 9110 §18.6). */
export type Coding = "gzip" | "br" | "zstd";

/** The codings `--compress` accepts, in no particular order. */
export const CODINGS: readonly Coding[] = ["gzip", "br", "zstd"];

/**
 * Compression level per coding: gzip 1-9 (nginx `gzip_comp_level`), br
 * quality 0-11, zstd level 1-19. Defaults chosen for on-the-fly compression
 * (bench/README.md, "Compression"): gzip 1 as nginx, br 4 (gzip 6's size at
 * gzip 6's cost), zstd 3 (zstd's own default).
 */
export type Levels = Record<Coding, number>;

/** The default {@link Levels}. */
export const DEFAULT_LEVELS: Readonly<Levels> = Object.freeze({ gzip: 1, br: 4, zstd: 3 });

/** The accepted range of levels, per coding, inclusive. */
export const LEVEL_RANGE: Readonly<Record<Coding, readonly [number, number]>> = Object.freeze({
  gzip: [1, 9],
  br: [0, 11],
  zstd: [1, 19],
});

/** A node:zlib compressing stream (a Transform) of any of the three codings. */
export type ZlibStream = zlib.Gzip | zlib.BrotliCompress | zlib.ZstdCompress;

const Z = zlib.constants;

/** A new compressing stream for `coding` at `level`. */
export function createCompressor(coding: Coding, level: number): ZlibStream {
  switch (coding) {
    case "gzip":
      return zlib.createGzip({ level });
    case "br":
      return zlib.createBrotliCompress({ params: { [Z.BROTLI_PARAM_QUALITY]: level } });
    case "zstd":
      return zlib.createZstdCompress({ params: { [Z.ZSTD_c_compressionLevel]: level } });
  }
}

/**
 * The flush that makes a stream emit everything written so far without
 * ending it: `Z_SYNC_FLUSH` for gzip (not zlib's default `Z_FULL_FLUSH`,
 * which also drops the history and so the ratio), the codings' own flush
 * operation for br and zstd.
 */
export function flushKind(coding: Coding): number {
  return coding === "gzip" ? Z.Z_SYNC_FLUSH : coding === "br" ? Z.BROTLI_OPERATION_FLUSH : Z.ZSTD_e_flush;
}

/**
 * Compresses a whole body in one call (a small response read whole first):
 * half the cost per MB of a stream (bench/compress.ts), and the result has a
 * length the client can be told.
 *
 * @param body the identity body
 * @returns the encoded body, a complete gzip member, brotli stream or zstd frame
 */
export function compressWhole(coding: Coding, level: number, body: Uint8Array): Uint8Array {
  switch (coding) {
    case "gzip":
      return zlib.gzipSync(body, { level });
    case "br":
      return zlib.brotliCompressSync(body, {
        params: { [Z.BROTLI_PARAM_QUALITY]: level, [Z.BROTLI_PARAM_SIZE_HINT]: body.byteLength },
      });
    case "zstd":
      return zlib.zstdCompressSync(body, {
        params: { [Z.ZSTD_c_compressionLevel]: level, [Z.ZSTD_c_contentSizeFlag]: 1 },
      });
  }
}
