/**
 * The wrapper every benchmark script's `main` runs in: clean-up on a signal,
 * on a failure and at the end, one line for an error, and the exit status.
 */
/// <reference types="bun-types" />

/** What differs between the scripts' wrappers. */
export interface RunMainOptions {
  /** Text after an error's message (get.ts: where its logs are), read when the error is printed; "" for none. */
  hint?: () => string;
  /**
   * After a SIGINT or SIGTERM: print no error (the failure the signal caused in
   * `main` is not news) and exit with 130 whatever `main` returned. Without it
   * the error is printed and the status is `main`'s (1 when it threw), unless
   * the signal handler exits with 130 first.
   */
  quietOnSignal?: boolean;
}

/**
 * Runs `main` and exits the process with the status it returns (1 when it
 * throws, after printing `NAME: MESSAGE` and `opts.hint()` on stderr).
 * `cleanup` runs in any case before the exit: after `main`, and on the first
 * SIGINT or SIGTERM, which then exits with 130 (a second signal is ignored
 * while that cleanup runs). `cleanup` may thus run twice, the two calls
 * overlapping (a signal while `main` is failing): it must be safe to call
 * again before the first call is done.
 *
 * @param name the script as the error line names it ("bench/get.ts")
 * @param main the script's work; resolves to its exit status
 * @param cleanup stops what the script started (and removes what it made)
 */
export async function runMain(
  name: string,
  main: () => Promise<number>,
  cleanup: () => Promise<void>,
  opts: RunMainOptions = {},
): Promise<never> {
  let code = 1;
  let interrupted = false;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, async () => {
      if (interrupted) return;
      interrupted = true;
      await cleanup();
      process.exit(130);
    });
  }
  try {
    code = await main();
  } catch (e) {
    if (!(opts.quietOnSignal && interrupted)) console.error(`${name}: ${(e as Error).message}${opts.hint?.() ?? ""}`);
  } finally {
    await cleanup();
  }
  process.exit(opts.quietOnSignal && interrupted ? 130 : code);
}

/**
 * `parse(argv)` (the script's flags, `process.argv.slice(2)` by default), or
 * undefined after printing what it threw (a bad flag and the usage, or the
 * usage alone for `--help`) on stderr: the caller then returns 2.
 */
export function parseFlags<T>(parse: (argv: string[]) => T, argv: string[] = process.argv.slice(2)): T | undefined {
  try {
    return parse(argv);
  } catch (e) {
    console.error((e as Error).message);
    return undefined;
  }
}
