import type { Runtime } from "../../runtime/index.ts";
/** The demo's sample upload server (placeholder). */
export async function runDemoUpstream(_rt: Runtime, _args: string[], print: (l: string) => void): Promise<void> {
  print("demo-upstream: not built yet");
}
