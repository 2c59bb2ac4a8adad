/**
 * What the supervisor holds for a task that runs: how to signal it and when it ends.
 *
 * @example
 * ```ts
 * const run: RunningTask = startCommand(task, files);
 * run.kill("SIGTERM");
 * const outcome = await run.done;
 * ```
 */
import type { TaskOutcome } from "../task/types.ts";

/** A task in flight, whatever its kind. */
export interface RunningTask {
  /** The pid of the task's process (its group leader), once known. */
  readonly pid: number | null;
  /** Resolves with the pid as soon as it is known (null for a task without a process). */
  readonly started: Promise<number | null>;
  /** Sends a signal to the task (its whole process group, for a command). */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the run ends, with how it ended. Never rejects. */
  readonly done: Promise<TaskOutcome>;
}
