/**
 * The dependency rules: the state a new task starts in, and when a `blocked` task may run (all
 * its dependencies ended, as it requires) or fails (one it needed did not succeed, or is gone).
 *
 * @example
 * ```ts
 * settle({ afterAny: false, runAt: 0 }, [{ id: 3, anyOutcome: false, status: "failed" }], 10);
 * // { status: "failed", error: { name: "DependencyFailed", message: "Dependency #3 failed" } }
 * ```
 */
import { isTerminal, type TaskError, type TaskStatus } from "./types.ts";

/** One dependency as settlement sees it: its state, or null when it was removed. */
export interface DependencyState {
  id: number;
  /** Any end will do (afterAnyOf, a key's holder, a schedule's last run). */
  anyOutcome: boolean;
  status: TaskStatus | null;
}

/** What settling a blocked task decides (undefined: it still waits). */
export type Settlement =
  | { status: "queued" | "scheduled"; error?: undefined }
  | { status: "failed"; error: TaskError };

/** The state a submitted task starts in. */
export function initialStatus(
  task: { runAt: number; waits: boolean },
  now: number,
): "blocked" | "scheduled" | "queued" {
  return task.waits ? "blocked" : task.runAt > now ? "scheduled" : "queued";
}

/** Settles one blocked task against its dependencies (in id order). */
export function settle(
  task: { afterAny: boolean; runAt: number },
  deps: readonly DependencyState[],
  now: number,
): Settlement | undefined {
  const broken = deps.find((dep) =>
    dep.status === null ||
    (!task.afterAny && !dep.anyOutcome && isTerminal(dep.status) && dep.status !== "succeeded")
  );
  if (broken) {
    return {
      status: "failed",
      error: {
        name: "DependencyFailed",
        message: broken.status === null
          ? `Dependency #${broken.id} was removed`
          : `Dependency #${broken.id} ${
            broken.status === "failed" ? "failed" : `ended ${broken.status}`
          }`,
      },
    };
  }
  if (deps.every((dep) => isTerminal(dep.status!))) {
    return { status: task.runAt > now ? "scheduled" : "queued" };
  }
  return undefined;
}

/** The dependencies a task still waits on (not ended; a removed one waits on nothing). */
export function openDependencies(deps: readonly DependencyState[]): DependencyState[] {
  return deps.filter((dep) => dep.status !== null && !isTerminal(dep.status));
}
