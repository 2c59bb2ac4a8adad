/**
 * The named sets of task states the queue's rules and both stores' queries use, and their SQL
 * form. Each set keeps the order the stores' partial indexes name it in, so a query rendered
 * from it matches its index's WHERE word for word.
 *
 * @example
 * ```ts
 * `SELECT id FROM tasks WHERE status IN ${sqlSet(DUE)}`; // … IN ('queued', 'scheduled')
 * inSet(RUNNING, task.status); // true for "running" and "paused"
 * ```
 */
import { type TaskStatus, TERMINAL_STATUSES } from "./types.ts";

/** Waiting for their time: the states a claim takes a due task from. */
export const DUE = ["queued", "scheduled"] as const satisfies readonly TaskStatus[];

/** Not started: waiting for their time, a slot or their dependencies (cancel ends these). */
export const NOT_STARTED = [
  "queued",
  "scheduled",
  "blocked",
] as const satisfies readonly TaskStatus[];

/** Claimed by a supervisor, its process alive (a paused run still holds its slot). */
export const RUNNING = ["running", "paused"] as const satisfies readonly TaskStatus[];

/** Unfinished: the states in which a task holds its key. */
export const ACTIVE = [
  "scheduled",
  "queued",
  "blocked",
  "running",
  "paused",
] as const satisfies readonly TaskStatus[];

/** Finished for good (unless restarted). */
export const ENDED: readonly TaskStatus[] = TERMINAL_STATUSES;

/** True when `status` is one of `set` (false for null: a task that is gone). */
export function inSet(set: readonly TaskStatus[], status: TaskStatus | null | undefined): boolean {
  return status != null && set.includes(status);
}

/** A set as a SQL list literal, `('a', 'b')`, for `status IN …` (the states are fixed words). */
export function sqlSet(set: readonly TaskStatus[]): string {
  let sql = _rendered.get(set);
  if (sql === undefined) {
    sql = `(${set.map((status) => `'${status}'`).join(", ")})`;
    _rendered.set(set, sql);
  }
  return sql;
}

const _rendered = new WeakMap<readonly TaskStatus[], string>();
