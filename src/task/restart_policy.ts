/**
 * Restart policies for long-running tasks (`--restart on-failure|always`, as pm2's autorestart):
 * when a run ends, the task is queued again after a delay that doubles with each quick restart
 * and goes back to `--restart-delay` once a run stayed up {@linkcode STABLE_RUN_MS}. A kill
 * (`bgt kill`) stops it for good — the store passes no policy for a killed run, whatever its
 * exit — and `--max-restarts` bounds it.
 *
 * @example
 * ```ts
 * restartAfter(
 *   { restart: "on-failure", restartDelayMs: 100, maxRestarts: null, restarts: 0, restartStreak: 0, startedAt: 0 },
 *   { status: "failed" },
 *   200,
 * ); // { runAt: 300, restarts: 1, restartStreak: 1 }
 * ```
 */
import type { TaskOutcome } from "./types.ts";

/** When a task is queued again after its run ends: on a failure, or after any end but a kill. */
export type RestartPolicy = "on-failure" | "always";

/** Every {@linkcode RestartPolicy}. */
export const RESTART_POLICIES: readonly RestartPolicy[] = ["on-failure", "always"];

/** The first restart's delay unless `--restart-delay` says otherwise (pm2's 100 ms). */
export const DEFAULT_RESTART_DELAY_MS = 100;

/** The longest wait between two restarts (unless `--restart-delay` is longer itself). */
export const MAX_RESTART_DELAY_MS = 15_000;

/** A run that stayed up this long resets the delay to `--restart-delay` (pm2's 30 s). */
export const STABLE_RUN_MS = 30_000;

/** What the decision reads of the task whose run ended. */
export interface RestartState {
  restart: RestartPolicy | null;
  restartDelayMs: number;
  maxRestarts: number | null;
  /** Restarts so far. */
  restarts: number;
  /** Restarts since the last stable run (the delay's exponent). */
  restartStreak: number;
  /** When the run that ended started (null: unknown, counted as a quick run). */
  startedAt: number | null;
}

/** The task's next run, when the policy restarts it. */
export interface Restart {
  runAt: number;
  restarts: number;
  restartStreak: number;
}

/**
 * Whether (and when) the task runs again after a run that ended at `now` with `outcome`;
 * undefined when it does not (no policy, a kill, a success under `on-failure`, the last restart).
 */
export function restartAfter(
  task: RestartState,
  outcome: Pick<TaskOutcome, "status">,
  now: number,
): Restart | undefined {
  if (task.restart === null || outcome.status === "canceled") return undefined;
  if (task.restart === "on-failure" && outcome.status === "succeeded") return undefined;
  if (task.maxRestarts !== null && task.restarts >= task.maxRestarts) return undefined;
  const stable = task.startedAt !== null && now - task.startedAt >= STABLE_RUN_MS;
  const streak = stable ? 0 : task.restartStreak;
  const cap = Math.max(MAX_RESTART_DELAY_MS, task.restartDelayMs);
  const delay = Math.min(task.restartDelayMs * 2 ** Math.min(streak, 40), cap);
  return { runAt: now + delay, restarts: task.restarts + 1, restartStreak: streak + 1 };
}
