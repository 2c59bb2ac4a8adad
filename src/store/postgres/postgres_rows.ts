/**
 * PostgreSQL rows ↔ bgt's objects: the task columns every query selects and the mappers (shared
 * with SQLite in ../store_rows.ts; ints arrive as numbers, jsonb parsed, bytea as bytes).
 *
 * @example
 * ```ts
 * const [row] = await sql`SELECT ${sql.unsafe(TASK_COLUMNS)} FROM tasks WHERE id = ${id}`;
 * const task = row && toTask(row);
 * ```
 */
import { envFromStore } from "../../task/stored_spec.ts";
import type { Task } from "../../task/types.ts";
import { toTask as toStoredTask } from "../store_rows.ts";

export {
  SCHEDULE_COLUMNS,
  SCHEDULE_FROM,
  toAttempt,
  toEvent,
  toSchedule,
  toSupervisor,
} from "../store_rows.ts";

/** The columns every task query selects, from `tasks` (with its dependency list). */
export const TASK_COLUMNS = `tasks.id, tasks.kind, tasks.spec, tasks.name, tasks.grp,
  tasks.priority, tasks.status, tasks.run_at, tasks.created_at, tasks.started_at,
  tasks.finished_at, tasks.attempt, tasks.max_attempts, tasks.backoff_ms, tasks.timeout_ms,
  tasks.after_any, tasks.task_key, tasks.schedule_id, tasks.retain, tasks.stdin,
  tasks.checkpoint, tasks.env, tasks.cwd, tasks.meta, tasks.pid, tasks.exit_code, tasks.signal,
  tasks.result, tasks.error, tasks.progress, tasks.progress_message, tasks.owner,
  tasks.lease_until, tasks.home, tasks.stop_reason, tasks.stop_signal, tasks.paused_at,
  tasks.paused_ms, tasks.restart_policy, tasks.restart_delay_ms, tasks.max_restarts,
  tasks.restarts, tasks.restart_streak, tasks.host,
  tasks.pin_host, tasks.need_labels,
  (SELECT coalesce(json_agg(d.dep_id ORDER BY d.dep_id), '[]') FROM dependencies d
    WHERE d.task_id = tasks.id) AS after_ids`;

/**
 * The columns of a list query: every task column but the result, read as NULL (a list never
 * carries results, so listing tasks with large results stays small; `get` reads one).
 */
export const LIST_COLUMNS = TASK_COLUMNS.replace("tasks.result,", "NULL::bytea AS result,");

/** Maps a task row to a Task (its environment is a column of its own). */
export function toTask(row: Record<string, any>): Task {
  return toStoredTask(row, row.env && envFromStore(row.env));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Bytes as hex text, for a bytea inside a JSON batch (`decode(x.col, 'hex')` in SQL). */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}
