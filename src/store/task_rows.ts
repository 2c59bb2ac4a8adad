/**
 * Task rows in SQL: the column list, the row ↔ Task mapping, inserting new tasks (with their
 * dependencies and key policy), and settling `blocked` tasks when a dependency ends. Every
 * function runs inside the caller's transaction.
 *
 * @example
 * ```ts
 * connection.transaction(() => insertTasks(connection.db, [{ spec }], Date.now()));
 * ```
 */
import type { SqliteDatabase } from "../runtime/sqlite.ts";
import { encode } from "../task/codec.ts";
import { storableSpec } from "../task/stored_spec.ts";
import { endData, type TaskEvent, type TaskEventKind } from "../task/events.ts";
import { keyDecision, replacedError } from "../task/keys.ts";
import { DEFAULT_RESTART_DELAY_MS } from "../task/restart_policy.ts";
import { initialStatus, settle } from "../task/settle.ts";
import { ACTIVE, NOT_STARTED, sqlSet } from "../task/statuses.ts";
import { countEnvTasks, envById, storeEnv, tallyEnv } from "./task_envs.ts";
import { toTask as toStoredTask } from "./store_rows.ts";
import { storedHooks } from "../task/task_hooks.ts";
import { validateTask } from "../task/validate_task.ts";
import {
  isTerminal,
  type NewTask,
  runsInWorker,
  type SubmitResult,
  type Task,
  type TaskStatus,
} from "../task/types.ts";

/** The columns every task query selects (with the dependency list joined in). */
export const TASK_COLUMNS = `id, kind, spec, name, grp, priority, status, run_at, created_at,
  started_at, finished_at, attempt, max_attempts, backoff_ms, timeout_ms, after_any, task_key,
  schedule_id, retain, stdin, checkpoint, env_id, cwd, meta, pid, exit_code, signal, result, error, progress, progress_message,
  owner, lease_until, home, stop_reason, stop_signal, paused_at, paused_ms, restart_policy,
  restart_delay_ms, max_restarts, restarts, restart_streak, host, hooks,
  (SELECT json_group_array(dep_id) FROM dependencies WHERE task_id = tasks.id) AS after_ids`;

/**
 * The columns of a list query: every task column but the result, read as NULL (a list never
 * carries results, so listing tasks with large results stays small; `get` reads one).
 */
export const LIST_COLUMNS = TASK_COLUMNS.replace(" result,", " NULL AS result,");

/** A task row as SQLite returns it. */
export type TaskRow = {
  id: number;
  kind: string;
  spec: Uint8Array;
  name: string | null;
  grp: string;
  priority: number;
  status: string;
  run_at: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempt: number;
  max_attempts: number;
  backoff_ms: number;
  timeout_ms: number | null;
  after_any: number;
  task_key: string | null;
  schedule_id: number | null;
  retain: number | null;
  stdin: number;
  checkpoint: Uint8Array | null;
  env_id: number | null;
  cwd: string;
  meta: string;
  pid: number | null;
  exit_code: number | null;
  signal: string | null;
  result: Uint8Array | null;
  error: string | null;
  progress: number | null;
  progress_message: string | null;
  owner: string | null;
  lease_until: number | null;
  home: string | null;
  stop_reason: string | null;
  stop_signal: string | null;
  paused_at: number | null;
  restart_policy: string | null;
  restart_delay_ms: number;
  max_restarts: number | null;
  restarts: number;
  restart_streak: number;
  paused_ms: number;
  hooks: string | null;
  after_ids: string;
};

/** Maps a row to a Task (its environment from `db`'s cache, with SQLite's own columns). */
export function toTask(db: SqliteDatabase, row: TaskRow): Task {
  return toStoredTask(row, envById(db, row.env_id) as Task["env"]);
}

/** Writes one event row (inside the caller's transaction) and returns it. */
export function writeEvent(
  db: SqliteDatabase,
  at: number,
  taskId: number | null,
  kind: TaskEventKind,
  data: Record<string, unknown> = {},
  scheduleId: number | null = null,
): TaskEvent {
  const id = Number(
    db.prepare("INSERT INTO events (at, task_id, schedule_id, kind, data) VALUES (?, ?, ?, ?, ?)")
      .run(at, taskId, scheduleId, kind, JSON.stringify(data)).lastInsertRowid,
  );
  return { id, at, taskId, kind, data };
}

/** Reads one task. */
export function selectTask(db: SqliteDatabase, id: number): Task | undefined {
  const row = db.prepare(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`).get<TaskRow>(id);
  return row && toTask(db, row);
}

/** Thrown inside a submission that must not be stored (the transaction rolls back). */
export class SubmitRefusedError extends Error {
  override name = "SubmitRefusedError";
  readonly code = "SUBMIT_REFUSED";
}

/**
 * Inserts the tasks, applying each one's key policy and recording its dependencies. A task
 * whose dependency already failed is stored as failed, with the reason.
 */
export function insertTasks(
  db: SqliteDatabase,
  tasks: readonly NewTask[],
  now: number,
  events: TaskEvent[] = [],
): SubmitResult[] {
  const insert = db.prepare(
    `INSERT INTO tasks (kind, spec, name, grp, priority, status, run_at, created_at, max_attempts,
       backoff_ms, timeout_ms, after_any, task_key, schedule_id, retain, stdin, env_id, cwd, meta,
       in_worker, restart_policy, restart_delay_ms, max_restarts, hooks)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addDependency = db.prepare(
    "INSERT OR IGNORE INTO dependencies (task_id, dep_id, any_outcome) VALUES (?, ?, ?)",
  );
  const exists = db.prepare("SELECT 1 AS one FROM tasks WHERE id = ?");
  // A batch's tasks usually share one captured environment: store (or find) it once, then
  // count its other tasks at the end.
  let lastEnv: unknown;
  let lastEnvId: number | null = null;
  const moreEnvTasks = new Map<number, number>();
  const envId = (env: Record<string, string> | undefined) => {
    if (env === undefined) return null;
    if (env === lastEnv) tallyEnv(moreEnvTasks, lastEnvId);
    else [lastEnv, lastEnvId] = [env, storeEnv(db, env, 1)];
    return lastEnvId;
  };
  let checkedEnv: unknown;
  const results = tasks.map((task) => {
    validateTask(task, { envChecked: task.env !== undefined && task.env === checkedEnv });
    checkedEnv = task.env;
    const after = [...(task.after ?? [])];
    const afterAnyOf = [...(task.afterAnyOf ?? [])];
    for (const dep of [...after, ...afterAnyOf]) {
      if (!exists.get(dep)) {
        throw new SubmitRefusedError(`Cannot wait for task ${dep}: no such id (see 'bgt ls')`);
      }
    }
    const decision = keyDecision(task.onKey, task.key ? _keyHolder(db, task.key) : undefined);
    if (decision.action === "skip") return decision.result;
    if (decision.action === "replace") {
      endTasks(db, [decision.holder], "canceled", now, replacedError(task.key!), events);
    } else if (decision.action === "wait") afterAnyOf.push(decision.holder);
    const runAt = task.runAt ?? now;
    const waits = after.length + afterAnyOf.length > 0;
    const env = envId(task.env);
    const id = Number(
      insert.run(
        task.spec.kind,
        encode(storableSpec(task.spec)),
        task.name ?? null,
        task.group ?? "default",
        task.priority ?? 0,
        initialStatus({ runAt, waits }, now),
        runAt,
        now,
        task.maxAttempts ?? 1,
        task.backoffMs ?? 1000,
        task.timeoutMs ?? null,
        task.afterAny ? 1 : 0,
        task.key ?? null,
        task.scheduleId ?? null,
        task.retain ?? null,
        task.stdin ? 1 : 0,
        env,
        task.cwd ?? process.cwd(),
        task.meta === undefined || task.meta === null ? "{}" : JSON.stringify(task.meta),
        runsInWorker(task.spec) ? 1 : 0,
        task.restart ?? null,
        task.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS,
        task.maxRestarts ?? null,
        _hooksJson(task.hooks),
      ).lastInsertRowid,
    );
    events.push(writeEvent(db, now, id, "submitted", {
      group: task.group ?? "default",
      name: task.name ?? null,
    }));
    for (const dep of after) addDependency.run(id, dep, 0);
    for (const dep of afterAnyOf) addDependency.run(id, dep, 1);
    if (waits) _settle(db, id, now, events);
    return decision.action === "insert" ? { id } : { id, key: decision.key };
  });
  countEnvTasks(db, moreEnvTasks);
  return results;
}

function _keyHolder(
  db: SqliteDatabase,
  key: string,
): { id: number; status: TaskStatus } | undefined {
  return db.prepare(
    `SELECT id, status FROM tasks WHERE task_key = ? AND status IN ${sqlSet(ACTIVE)}
     ORDER BY id DESC LIMIT 1`,
  ).get<{ id: number; status: TaskStatus }>(key);
}

/**
 * Ends tasks that have not started (canceled, or failed for a reason) and settles their
 * dependants; returns every task that ended, dependants included.
 */
export function endTasks(
  db: SqliteDatabase,
  ids: readonly number[],
  status: "canceled" | "failed",
  now: number,
  error: { name: string; message: string } | null,
  events: TaskEvent[] = [],
): Task[] {
  const ended: Task[] = [];
  const update = db.prepare(
    `UPDATE tasks SET status = ?, finished_at = ?, error = ?
     WHERE id = ? AND status IN ${sqlSet(NOT_STARTED)} RETURNING ${TASK_COLUMNS}`,
  );
  for (const id of ids) {
    const row = update.get<TaskRow>(status, now, error && JSON.stringify(error), id);
    if (row) {
      const task = toTask(db, row);
      ended.push(task);
      events.push(writeEvent(db, now, id, status, endData(task.attempt, task)));
    }
  }
  return [...ended, ...settleDependants(db, ended.map((task) => task.id), now, events)];
}

/**
 * Moves on the `blocked` dependants of tasks that just ended: to queued (or scheduled) once all
 * their dependencies are done, or to failed when one failed (and so on down the chain). Returns
 * the dependants that ended.
 */
export function settleDependants(
  db: SqliteDatabase,
  endedIds: readonly number[],
  now: number,
  events: TaskEvent[] = [],
): Task[] {
  const ended: Task[] = [];
  let pending = [...endedIds];
  const dependants = db.prepare(
    `SELECT DISTINCT d.task_id AS id FROM dependencies d JOIN tasks t ON t.id = d.task_id
     WHERE d.dep_id IN (SELECT value FROM json_each(?)) AND t.status = 'blocked' ORDER BY d.task_id`,
  );
  while (pending.length) {
    const next: number[] = [];
    for (const { id } of dependants.all<{ id: number }>(JSON.stringify(pending))) {
      const task = _settle(db, id, now, events);
      if (task && isTerminal(task.status)) {
        ended.push(task);
        next.push(id);
      }
    }
    pending = next;
  }
  return ended;
}

/** Re-evaluates one blocked task; returns it if its status changed. */
function _settle(
  db: SqliteDatabase,
  id: number,
  now: number,
  events: TaskEvent[],
): Task | undefined {
  const task = db.prepare("SELECT after_any, run_at FROM tasks WHERE id = ? AND status = 'blocked'")
    .get<{ after_any: number; run_at: number }>(id);
  if (!task) return undefined;
  const deps = db.prepare(
    `SELECT d.dep_id AS id, d.any_outcome AS anyOutcome, t.status AS status FROM dependencies d
     LEFT JOIN tasks t ON t.id = d.dep_id WHERE d.task_id = ? ORDER BY d.dep_id`,
  ).all<{ id: number; anyOutcome: number; status: TaskStatus | null }>(id);
  const decision = settle(
    { afterAny: task.after_any === 1, runAt: task.run_at },
    deps.map((dep) => ({ id: dep.id, anyOutcome: dep.anyOutcome === 1, status: dep.status })),
    now,
  );
  if (!decision) return undefined;
  const { status } = decision;
  const error = decision.error ? JSON.stringify(decision.error) : null;
  const row = db.prepare(
    `UPDATE tasks SET status = ?, error = ?, finished_at = ? WHERE id = ? RETURNING ${TASK_COLUMNS}`,
  ).get<TaskRow>(status, error, status === "failed" ? now : null, id);
  if (!row) return undefined;
  const settled = toTask(db, row);
  if (status === "failed") {
    events.push(writeEvent(db, now, id, "failed", endData(settled.attempt, settled)));
  }
  return settled;
}

/** A task's hooks as stored: JSON, or null when it has none. */
function _hooksJson(hooks: NewTask["hooks"]): string | null {
  const stored = storedHooks(hooks);
  return stored && JSON.stringify(stored);
}
