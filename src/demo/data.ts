import { createHash } from "node:crypto";

// Any non-zero seed works; a fixed one makes every run send the same bytes.
const SEED = 0x2545f491;

/**
 * The demo's upload data: an endless xorshift32 byte sequence from a fixed
 * seed, produced a chunk at a time so a 2 GiB upload needs no 2 GiB buffer.
 * Chunks of a multiple of 4 bytes continue the sequence exactly, so the bytes
 * (and their sha256) depend on the size only, not on how they were chunked.
 */
export class DemoBytes {
  #x = SEED;

  /** The next `n` bytes of the sequence, in a fresh buffer the caller may keep. */
  next(n: number): Uint8Array {
    const words = new Uint32Array(Math.ceil(n / 4));
    let x = this.#x;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
    this.#x = x;
    return new Uint8Array(words.buffer, 0, n);
  }
}

/** Options for {@link pacedUpload}. */
export interface PacedUploadOptions {
  /** Total bytes to produce. */
  sizeBytes: number;
  /** Average pace, bytes per second. */
  rateBytesPerSecond: number;
  /** Called after each chunk is handed to the reader, with the bytes so far. */
  onProgress(sentBytes: number): void;
  /** Called once, right after the last chunk was handed over. */
  onEnd(): void;
}

/** An upload body and the fingerprint of what it gave out. */
export interface PacedUpload {
  body: ReadableStream<Uint8Array>;
  /** sha256 hex of the whole body; `undefined` until the stream has ended. */
  sha256(): string | undefined;
}

/**
 * A request body of {@link DemoBytes} that a reader (fetch) pulls no faster
 * than `rateBytesPerSecond` on average, hashed as it goes out.
 */
export function pacedUpload(o: PacedUploadOptions): PacedUpload {
  const data = new DemoBytes();
  const hash = createHash("sha256");
  // About 50 chunks a second keeps pacing smooth without a timer per 4 KiB;
  // at most a sixteenth of the body so the kill at half lands mid-upload.
  const chunk = roundUp4(Math.min(256 * 1024, Math.max(4096, o.rateBytesPerSecond / 50), Math.ceil(o.sizeBytes / 16)));
  let sent = 0;
  let startedAt: number | undefined;
  let digest: string | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      startedAt ??= performance.now();
      // An absolute schedule: a late timer is made up by the next chunks.
      const wait = startedAt + (sent / o.rateBytesPerSecond) * 1000 - performance.now();
      if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
      const bytes = data.next(Math.min(chunk, o.sizeBytes - sent));
      hash.update(bytes);
      sent += bytes.byteLength;
      ctl.enqueue(bytes);
      o.onProgress(sent);
      if (sent >= o.sizeBytes) {
        digest = hash.digest("hex");
        ctl.close();
        o.onEnd();
      }
    },
  }, { highWaterMark: 0 });
  return { body, sha256: () => digest };
}

function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
