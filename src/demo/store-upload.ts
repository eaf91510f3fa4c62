import { createHash } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";

/** An upload as the demo upstream stored it; also its JSON answer. */
export interface StoredUpload {
  /** Body bytes written. */
  bytes: number;
  /** sha256 of the body, lowercase hex. */
  sha256: string;
  /** Path of the stored file. */
  file: string;
}

/**
 * Streams a request body into `path` while hashing it. It is written to
 * `path.part` and renamed when complete, so a process killed mid-upload
 * leaves a `.part` file and never a truncated file under the final name.
 * @throws when the body breaks or the file cannot be written; the `.part`
 *   file is removed then
 */
export async function storeUpload(body: ReadableStream<Uint8Array> | null, path: string): Promise<StoredUpload> {
  const part = `${path}.part`;
  const fh = await open(part, "wx", 0o600);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    if (body) {
      for await (const chunk of body) {
        hash.update(chunk);
        for (let at = 0; at < chunk.byteLength;) {
          at += (await fh.write(chunk, at, chunk.byteLength - at)).bytesWritten;
        }
        bytes += chunk.byteLength;
      }
    }
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(part, { force: true });
    throw e;
  }
  await rename(part, path);
  return { bytes, sha256: hash.digest("hex"), file: path };
}
