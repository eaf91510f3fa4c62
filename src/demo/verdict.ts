import { formatBytes } from "../config/units.ts";

/** Everything the demo saw, for {@link judge}. */
export interface DemoOutcome {
  /** Responses the client received (fetch resolved): 0 or 1. */
  responses: number;
  status?: number;
  /** The response body as text. */
  bodyText?: string;
  /** Why no response came (fetch rejected), if so. */
  error?: string;
  /** Body bytes the client sent, and their sha256 hex. */
  sentBytes: number;
  sentSha256?: string;
  /** Complete upload files in the upstream's directory: a duplicated replay would make 2. */
  storedFiles: number;
  /** ms between the body's end and the response head, when one came. */
  heldMs?: number;
}

/**
 * Decides whether the demo passed: exactly one response, status 200, and the
 * upstream stored (once) exactly the bytes sent, by size and sha256.
 * @returns the verdict and the report lines to print, verdict last
 */
export function judge(o: DemoOutcome): { ok: boolean; lines: string[] } {
  const lines: string[] = [];
  const failures: string[] = [];
  if (o.responses === 1) {
    lines.push(`demo: response ${o.status}, ${((o.heldMs ?? 0) / 1000).toFixed(1)} s after the body was sent: ${o.bodyText?.trim()}`);
  } else {
    lines.push(`demo: no response: ${o.error ?? "unknown"}`);
    failures.push(`${o.responses} responses instead of 1`);
  }
  if (o.responses === 1 && o.status !== 200) failures.push(`status ${o.status} instead of 200`);
  const stored = parseStored(o.bodyText);
  lines.push(`demo: sha256 sent   ${o.sentSha256 ?? "-"} (${o.sentBytes} bytes)`);
  lines.push(`demo: sha256 stored ${stored?.sha256 ?? "-"} (${stored?.bytes ?? "-"} bytes)`);
  if (o.responses === 1 && o.status === 200 && !stored) failures.push("the response body is not the upstream's JSON");
  if (stored && (stored.sha256 !== o.sentSha256 || stored.bytes !== o.sentBytes)) {
    failures.push("the stored body differs from the one sent");
  }
  if (o.storedFiles !== 1) failures.push(`the upstream stored ${o.storedFiles} uploads instead of 1`);
  const ok = failures.length === 0;
  lines.push(
    ok
      ? `demo: PASS: one response, 200, and the upstream stored all ${formatBytes(o.sentBytes)} intact although it was SIGKILLed mid-upload`
      : `demo: FAIL: ${failures.join("; ")}`,
  );
  return { ok, lines };
}

function parseStored(text: string | undefined): { bytes: number; sha256: string } | undefined {
  try {
    const v = JSON.parse(text ?? "");
    return typeof v?.bytes === "number" && typeof v?.sha256 === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}
