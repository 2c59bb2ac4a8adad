/**
 * How the CLI fails: one line on stderr naming the problem, a non-zero exit code, and the stack
 * only with BGT_DEBUG=1.
 *
 * @example
 * ```ts
 * throw new UsageError("Cannot parse --priority 'x': expected an integer");
 * ```
 */
import { printable } from "./format.ts";

/** Bad command-line input (exit code 2). */
export class UsageError extends Error {
  override name = "UsageError";
  readonly code = "USAGE";
  readonly exitCode = 2;
}

/** Prints the error as one line (plus the stack with BGT_DEBUG=1); returns the exit code. */
export function reportError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`bgt: ${printable(message.split("\n")[0])}\n`);
  if (process.env.BGT_DEBUG === "1" && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  const { exitCode, code } = error as { exitCode?: number; code?: string };
  // A bad duration, date, zone or cron pattern is bad input, like a UsageError.
  const badInput = ["SCHEDULE_INVALID", "SUBMIT_REFUSED", "INVALID_TASK"];
  return exitCode ?? (badInput.includes(code ?? "") ? 2 : 1);
}
