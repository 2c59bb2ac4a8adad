/**
 * What a run's end does to its task: a failure with attempts left goes back to `queued` after a
 * backoff; anything else ends the task in the run's own state.
 *
 * @example
 * ```ts
 * afterRun({ attempt: 1, maxAttempts: 3, backoffMs: 1000, runAt: 0 }, { status: "failed" }, 5000);
 * // { status: "queued", runAt: ≈6000, finishedAt: null, event: "retrying" }
 * ```
 */
import type { TaskEventKind } from "./events.ts";
import { restartAfter, type RestartState } from "./restart_policy.ts";
import { retryDelay } from "./retry_delay.ts";
import type { TaskOutcome, TaskStatus } from "./types.ts";

/** The ends a later attempt may undo. */
export const RETRYABLE_OUTCOMES: readonly TaskOutcome["status"][] = ["failed", "timed_out", "lost"];

/** The task's state after one of its runs ended at `now`. */
export interface AfterRun {
  status: TaskStatus;
  runAt: number;
  /** Null while another attempt follows. */
  finishedAt: number | null;
  event: TaskEventKind;
  /** Set when its restart policy runs it again: the counts to store. */
  restart?: { restarts: number; restartStreak: number };
}

/**
 * Decides a task's state after a run (`run.attempt` is the attempt that ended). A task with a
 * restart policy (`run.restart`) runs again as that policy says (see restart_policy.ts).
 */
export function afterRun(
  run: {
    attempt: number;
    maxAttempts: number;
    backoffMs: number;
    runAt: number;
    restart?: RestartState;
  },
  outcome: Pick<TaskOutcome, "status">,
  now: number,
  random: () => number = Math.random,
): AfterRun {
  if (run.restart?.restart) {
    const again = restartAfter(run.restart, outcome, now);
    if (again) {
      return {
        status: "queued",
        runAt: again.runAt,
        finishedAt: null,
        event: "retrying",
        restart: { restarts: again.restarts, restartStreak: again.restartStreak },
      };
    }
  }
  const retry = RETRYABLE_OUTCOMES.includes(outcome.status) && run.attempt < run.maxAttempts;
  if (retry) {
    return {
      status: "queued",
      runAt: now + retryDelay(run.backoffMs, run.attempt, random),
      finishedAt: null,
      event: "retrying",
    };
  }
  return { status: outcome.status, runAt: run.runAt, finishedAt: now, event: outcome.status };
}
