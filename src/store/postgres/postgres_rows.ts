/**
 * PostgreSQL rows ↔ bgt's objects: the column lists every query selects and the mappers to Task,
 * Attempt, Schedule, TaskEvent and SupervisorRecord (ints arrive as numbers, jsonb parsed, bytea
 * as bytes).
 *
 * @example
 * ```ts
 * const [row] = await sql`SELECT ${sql.unsafe(TASK_COLUMNS)} FROM tasks WHERE id = ${id}`;
 * const task = row && toTask(row);
 * ```
 */
import { decode } from "../../task/codec.ts";
import type { TaskEvent, TaskEventKind } from "../../task/events.ts";
import type { CatchUpPolicy, OverlapPolicy, Schedule } from "../../task/schedule.ts";
import type { Attempt, NewTask, Task, TaskKind, TaskStatus } from "../../task/types.ts";
import type { SupervisorRecord } from "../task_store.ts";

/** The columns every task query selects, from `tasks` (with its dependency list). */
export const TASK_COLUMNS = `tasks.id, tasks.kind, tasks.spec, tasks.name, tasks.grp,
  tasks.priority, tasks.status, tasks.run_at, tasks.created_at, tasks.started_at,
  tasks.finished_at, tasks.attempt, tasks.max_attempts, tasks.backoff_ms, tasks.timeout_ms,
  tasks.after_any, tasks.task_key, tasks.schedule_id, tasks.retain, tasks.stdin,
  tasks.checkpoint, tasks.env, tasks.cwd, tasks.meta, tasks.pid, tasks.exit_code, tasks.signal,
  tasks.result, tasks.error, tasks.progress, tasks.progress_message, tasks.owner,
  tasks.lease_until, tasks.home, tasks.stop_reason, tasks.stop_signal, tasks.paused_at,
  tasks.paused_ms,
  (SELECT coalesce(json_agg(d.dep_id ORDER BY d.dep_id), '[]') FROM dependencies d
    WHERE d.task_id = tasks.id) AS after_ids`;

/** Maps a task row to a Task. */
export function toTask(row: Record<string, any>): Task {
  return {
    id: row.id,
    kind: row.kind as TaskKind,
    spec: decode(row.spec) as Task["spec"],
    name: row.name,
    group: row.grp,
    priority: row.priority,
    status: row.status as TaskStatus,
    runAt: row.run_at,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    backoffMs: row.backoff_ms,
    timeoutMs: row.timeout_ms,
    after: (row.after_ids ?? []).map(Number),
    afterAny: row.after_any,
    key: row.task_key,
    scheduleId: row.schedule_id,
    retain: row.retain,
    stdin: row.stdin,
    checkpoint: row.checkpoint ? decode(row.checkpoint) : undefined,
    env: row.env,
    cwd: row.cwd,
    meta: row.meta,
    pid: row.pid,
    exitCode: row.exit_code,
    signal: row.signal,
    result: row.result ? decode(row.result) : undefined,
    error: row.error ?? null,
    progress: row.progress,
    progressMessage: row.progress_message,
    owner: row.owner,
    leaseUntil: row.lease_until,
    home: row.home ?? null,
    stopReason: (row.stop_reason ?? null) as Task["stopReason"],
    stopSignal: row.stop_signal ?? null,
    pausedAt: row.paused_at ?? null,
    pausedMs: row.paused_ms ?? 0,
  };
}

/** Maps an attempts row to an Attempt. */
export function toAttempt(row: Record<string, any>): Attempt {
  const slice = (start: number | null, end: number | null): [number, number] | null =>
    start === null || end === null ? null : [start, end];
  return {
    attempt: row.attempt,
    status: row.status as TaskStatus,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    signal: row.signal,
    error: row.error ?? null,
    pid: row.pid,
    result: row.result ? decode(row.result) : undefined,
    slices: {
      stdout: slice(row.stdout_start, row.stdout_end),
      stderr: slice(row.stderr_start, row.stderr_end),
      data: slice(row.data_start, row.data_end),
    },
  };
}

/** The columns every schedule query selects, from `schedules s` joined to its last task `t`. */
export const SCHEDULE_COLUMNS = `s.id, s.every, s.time_zone, s.template, s.overlap, s.catch_up,
  s.anchor, s.start_at, s.stop_at, s.max_runs, s.keep, s.runs, s.skipped, s.last_slot, s.next_at,
  s.paused, s.created_at, s.last_task_id, t.status AS last_status`;

/** The FROM of a schedule query. */
export const SCHEDULE_FROM = "schedules s LEFT JOIN tasks t ON t.id = s.last_task_id";

/** Maps a schedule row to a Schedule. */
export function toSchedule(row: Record<string, any>): Schedule {
  return {
    id: row.id,
    every: row.every,
    timeZone: row.time_zone,
    template: decode(row.template) as NewTask,
    overlap: row.overlap as OverlapPolicy,
    catchUp: row.catch_up as CatchUpPolicy,
    anchor: row.anchor,
    startAt: row.start_at,
    stopAt: row.stop_at,
    maxRuns: row.max_runs,
    keep: row.keep,
    runs: row.runs,
    skipped: row.skipped,
    lastSlot: row.last_slot,
    nextAt: row.next_at,
    paused: row.paused,
    createdAt: row.created_at,
    lastTaskId: row.last_task_id,
    lastStatus: (row.last_status ?? null) as TaskStatus | null,
  };
}

/** Maps an events row to a TaskEvent. */
export function toEvent(row: Record<string, any>): TaskEvent {
  return {
    id: row.id,
    at: row.at,
    taskId: row.task_id,
    kind: row.kind as TaskEventKind,
    data: row.data ?? {},
  };
}

/** Maps a supervisors row to a SupervisorRecord. */
export function toSupervisor(row: Record<string, any>): SupervisorRecord {
  return {
    owner: row.owner,
    home: row.home,
    host: row.host,
    pid: row.pid,
    startTime: row.start_time,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Bytes as hex text, for a bytea inside a JSON batch (`decode(x.col, 'hex')` in SQL). */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}
