import { createHash } from "node:crypto";
import type { Files } from "../../runtime/index.ts";

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
export async function storeUpload(files: Files, body: ReadableStream<Uint8Array> | null, path: string): Promise<StoredUpload> {
  const part = `${path}.part`;
  const file = await files.openWriter(part);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    if (body) {
      for await (const chunk of body) {
        hash.update(chunk);
        await file.write(chunk);
        bytes += chunk.byteLength;
      }
    }
    await file.close();
  } catch (e) {
    await file.close().catch(() => {});
    files.remove(part);
    throw e;
  }
  files.rename(part, path);
  return { bytes, sha256: hash.digest("hex"), file: path };
}
