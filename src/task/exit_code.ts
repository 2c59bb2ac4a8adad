/**
 * The exit code that mirrors a finished task, for `bgt wait` and `bgt run --wait`.
 *
 * @example
 * ```ts
 * exitCodeOf({ status: "succeeded", exitCode: 0, signal: null }); // 0
 * exitCodeOf({ status: "timed_out", exitCode: null, signal: "SIGTERM" }); // 124
 * ```
 */
import { constants } from "node:os";
import type { Task } from "./types.ts";

/** The task's own code; 1 for a module error; 124 timed out; 128+n when killed by signal n. */
export function exitCodeOf(task: Pick<Task, "status" | "exitCode" | "signal">): number {
  if (task.status === "succeeded") return 0;
  if (task.status === "timed_out") return 124;
  if (task.signal) {
    const number = constants.signals[task.signal as keyof typeof constants.signals];
    if (number) return 128 + number;
  }
  if (task.exitCode !== null && task.exitCode !== 0) return task.exitCode;
  return 1;
}
