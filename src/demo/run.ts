import type { Runtime } from "../../runtime/index.ts";
/** Runs the demo (placeholder). @returns the exit status */
export async function runDemo(_rt: Runtime, _args: string[], print: (l: string) => void): Promise<number> {
  print("demo: not built yet");
  return 1;
}
