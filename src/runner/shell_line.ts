/**
 * Runs a shell line through dax's cross-platform shell, with inherited output; the process
 * exits with the line's exit code. Used by `--shell=dax` tasks as `bgt __shell '<line>'` (a plain
 * `--shell` line runs in `sh -c`).
 *
 * @example
 * ```ts
 * process.exitCode = await runShellLine("make && ./deploy.sh");
 * ```
 */
import { $ } from "dax-sh";

/**
 * Runs the line and resolves with its exit code. A line the shell cannot run (syntax dax does not
 * support, such as `$((…))`) gets one line on stderr and exit code 2, as `sh` gives for a syntax
 * error.
 */
export async function runShellLine(line: string): Promise<number> {
  try {
    const result = await $.raw`${line}`.noThrow().stdin("inherit");
    return result.code;
  } catch (error) {
    const message = (error as Error).message?.split("\n")[0] ?? String(error);
    process.stderr.write(`bgt: cannot run the shell line (dax's shell): ${message}\n`);
    return 2;
  }
}
