/**
 * How the CLI fails: one line on stderr naming the problem, a non-zero exit code, and the stack
 * only with BGT_DEBUG=1.
 *
 * @example
 * ```ts
 * throw new UsageError("Cannot parse --priority 'x': expected an integer");
 * ```
 */
import { exitStatusOf } from "../task/error_codes.ts";
import { printable } from "./format.ts";
import { stderr } from "../runtime/std_output.ts";

/** Bad command-line input (code `USAGE`: exit status 2). */
export class UsageError extends Error {
  override name = "UsageError";
  readonly code = "USAGE";
}

/** Prints the error as one line (plus the stack with BGT_DEBUG=1); returns the exit code. */
export function reportError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  stderr.write(`bgt: ${printable(message.split("\n")[0])}\n`);
  if (process.env.BGT_DEBUG === "1" && error instanceof Error && error.stack) {
    stderr.write(`${error.stack}\n`);
  }
  // The registry says: 2 for bad input (a UsageError, a bad duration, task or config), else 1.
  return exitStatusOf(error);
}
