/**
 * Runs a shell line through dax's cross-platform shell, with inherited output; the process
 * exits with the line's exit code. Used by `shell` tasks as `bgt __shell '<line>'`.
 *
 * @example
 * ```ts
 * process.exitCode = await runShellLine("make && ./deploy.sh");
 * ```
 */
import { $ } from "dax-sh";

/** Runs the line and resolves with its exit code. */
export async function runShellLine(line: string): Promise<number> {
  const result = await $.raw`${line}`.noThrow().stdin("inherit");
  return result.code;
}
