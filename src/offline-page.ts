/**
 * `--offline-page` (nginx `error_page 502 503 504 /offline.html`): read at
 * start-up and again on SIGHUP.
 *
 * @module
 */
import type { Runtime } from "../runtime/index.ts";

/**
 * Reads the offline page.
 * @returns its bytes
 * @throws Error naming the flag, the file and the errno (`ENOENT`, `EACCES`, `EISDIR`)
 */
export function loadOfflinePage(rt: Runtime, path: string): Uint8Array {
  try {
    return rt.files.readFile(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(`cannot read --offline-page "${path}": ${code ?? (e as Error).message}`);
  }
}
