/**
 * Rows ↔ bgt's objects, for both stores: the mappers of task, attempt, schedule, event and
 * supervisor rows. A JSON column arrives as text from SQLite and parsed from PostgreSQL, a flag
 * as 0/1 or a boolean; each mapper takes either. What differs beyond that (a task's environment,
 * SQLite's own columns) the store adds.
 *
 * @example
 * ```ts
 * const row = db.prepare(`SELECT ${SCHEDULE_COLUMNS} FROM ${SCHEDULE_FROM} WHERE s.id = ?`).get(id);
 * const schedule = row && toSchedule(row);
 * ```
 */
import { decode } from "../task/codec.ts";
import { specFromStore, templateFromStore } from "../task/stored_spec.ts";
import { endData, type TaskEvent, type TaskEventKind } from "../task/events.ts";
import { DEFAULT_RESTART_DELAY_MS, type RestartPolicy } from "../task/restart_policy.ts";
import { type AfterRun, afterRun } from "../task/retry.ts";
import type { CatchUpPolicy, OverlapPolicy, Schedule } from "../task/schedule.ts";
import type { Attempt, Task, TaskKind, TaskOutcome, TaskStatus } from "../task/types.ts";
import type { HostInfo, SupervisorRecord } from "./task_store.ts";

// deno-lint-ignore no-explicit-any -- a row's columns, as either driver returns them
type Row = Record<string, any>;

/** A JSON column's value: parsed from text (SQLite), or as the driver parsed it. */
// deno-lint-ignore no-explicit-any -- JSON of any shape
function _json(value: unknown): any {
  return typeof value === "string" ? JSON.parse(value) : value;
}

/** The column behind each `ListFilter.sort`. */
export const SORT_COLUMNS = {
  id: "id",
  priority: "priority",
  runAt: "run_at",
  startedAt: "started_at",
  finishedAt: "finished_at",
} as const;

/** Maps a task row (the columns both stores select) to a Task with its environment. */
export function toTask(row: Row, env: Task["env"]): Task {
  return {
    id: row.id,
    kind: row.kind as TaskKind,
    spec: specFromStore(decode(row.spec)),
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
    after: typeof row.after_ids === "string"
      ? JSON.parse(row.after_ids)
      : (row.after_ids ?? []).map(Number),
    afterAny: row.after_any === true || row.after_any === 1,
    key: row.task_key,
    scheduleId: row.schedule_id,
    retain: row.retain,
    stdin: row.stdin === true || row.stdin === 1,
    checkpoint: row.checkpoint ? decode(row.checkpoint) : undefined,
    env,
    cwd: row.cwd,
    meta: _json(row.meta),
    pid: row.pid,
    exitCode: row.exit_code,
    signal: row.signal,
    result: row.result ? decode(row.result) : undefined,
    error: _json(row.error) ?? null,
    progress: row.progress,
    progressMessage: row.progress_message,
    owner: row.owner,
    leaseUntil: row.lease_until,
    home: row.home ?? null,
    stopReason: (row.stop_reason ?? null) as Task["stopReason"],
    stopSignal: row.stop_signal ?? null,
    pausedAt: row.paused_at ?? null,
    pausedMs: row.paused_ms ?? 0,
    host: row.host ?? null,
    onHost: row.pin_host ?? null,
    needLabels: row.need_labels ? _json(row.need_labels) : [],
    restart: (row.restart_policy ?? null) as Task["restart"],
    restartDelayMs: row.restart_delay_ms ?? DEFAULT_RESTART_DELAY_MS,
    maxRestarts: row.max_restarts ?? null,
    restarts: row.restarts ?? 0,
  };
}

/**
 * When the run of `row` ended: the end its runner saw (`outcome.endedAt`), kept between the
 * run's start and `now`; `now` when it saw none.
 */
export function runEndedAt(row: Row, outcome: TaskOutcome, now: number): number {
  const seen = outcome.endedAt;
  if (typeof seen !== "number" || !Number.isFinite(seen)) return now;
  return Math.min(now, Math.max(seen, row.started_at ?? seen));
}

/**
 * What a run's end does to the task of `row` (its attempt, max_attempts, backoff_ms and
 * run_at), with the data of the event to write (`retrying`'s with the new run_at). A task
 * that ends keeps the time its run ended ({@linkcode runEndedAt}) as its finishedAt.
 */
export function runEnded(
  row: Row,
  outcome: TaskOutcome,
  now: number,
): AfterRun & { data: Record<string, unknown> } {
  const next = afterRun(
    {
      attempt: row.attempt,
      maxAttempts: row.max_attempts,
      backoffMs: row.backoff_ms,
      runAt: row.run_at,
      // A kill stops a restart policy for good, however the run ended (a service may exit 0
      // on SIGTERM) and whichever supervisor stores the end (one restarted since the kill).
      restart: row.restart_policy && row.stop_reason !== "kill"
        ? {
          restart: row.restart_policy as RestartPolicy,
          restartDelayMs: Number(row.restart_delay_ms ?? DEFAULT_RESTART_DELAY_MS),
          maxRestarts: row.max_restarts ?? null,
          restarts: row.restarts ?? 0,
          restartStreak: row.restart_streak ?? 0,
          startedAt: row.started_at ?? null,
        }
        : undefined,
    },
    outcome,
    now,
  );
  const data = endData(row.attempt, outcome);
  if (next.finishedAt !== null) next.finishedAt = runEndedAt(row, outcome, now);
  const retrying = next.restart
    ? { ...data, runAt: next.runAt, restart: true, restarts: next.restart.restarts }
    : { ...data, runAt: next.runAt };
  return { ...next, data: next.event === "retrying" ? retrying : data };
}

/** The columns an attempt query selects, from `attempts`. */
export const ATTEMPT_COLUMNS = `attempt, status, started_at, finished_at, exit_code, signal,
  error, pid, result, stdout_start, stdout_end, stderr_start, stderr_end, data_start, data_end`;

/** Maps an attempts row to an Attempt. */
export function toAttempt(row: Row): Attempt {
  return {
    attempt: row.attempt,
    status: row.status as TaskStatus,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    exitCode: row.exit_code,
    signal: row.signal,
    error: _json(row.error) ?? null,
    pid: row.pid,
    result: row.result ? decode(row.result) : undefined,
    slices: {
      stdout: _slice(row.stdout_start, row.stdout_end),
      stderr: _slice(row.stderr_start, row.stderr_end),
      data: _slice(row.data_start, row.data_end),
    },
  };
}

function _slice(start: number | null, end: number | null): [number, number] | null {
  return start === null || end === null ? null : [start, end];
}

/** The columns every schedule query selects, from `schedules s` joined to its last task `t`. */
export const SCHEDULE_COLUMNS = `s.id, s.every, s.time_zone, s.template, s.overlap, s.catch_up,
  s.anchor, s.start_at, s.stop_at, s.max_runs, s.keep, s.runs, s.skipped, s.last_slot, s.next_at,
  s.paused, s.created_at, s.last_task_id, t.status AS last_status`;

/** The FROM of a schedule query. */
export const SCHEDULE_FROM = "schedules s LEFT JOIN tasks t ON t.id = s.last_task_id";

/** Maps a schedule row to a Schedule. */
export function toSchedule(row: Row): Schedule {
  return {
    id: row.id,
    every: row.every,
    timeZone: row.time_zone,
    template: templateFromStore(decode(row.template)),
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
    paused: row.paused === true || row.paused === 1,
    createdAt: row.created_at,
    lastTaskId: row.last_task_id,
    lastStatus: (row.last_status ?? null) as TaskStatus | null,
  };
}

/** Maps an events row to a TaskEvent. */
export function toEvent(row: Row): TaskEvent {
  return {
    id: row.id,
    at: row.at,
    taskId: row.task_id,
    kind: row.kind as TaskEventKind,
    data: row.data ? _json(row.data) : {},
  };
}

/** The columns a supervisor query selects, from `supervisors`. */
export const SUPERVISOR_COLUMNS =
  "owner, home, host, pid, start_time, started_at, heartbeat_at, labels, slots, version, draining, lease_ms";

/** Maps a supervisors row to a SupervisorRecord. */
export function toSupervisor(row: Row): SupervisorRecord {
  return {
    owner: row.owner,
    home: row.home,
    host: row.host,
    pid: row.pid,
    startTime: row.start_time,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
    labels: row.labels ? _json(row.labels) : [],
    slots: row.slots ?? 0,
    version: row.version ?? "",
    draining: row.draining === true || row.draining === 1,
    leaseMs: row.lease_ms ?? DEFAULT_LEASE_MS,
  };
}

/** A supervisor's lease when it names none: dead after 10 s without a heartbeat. */
export const DEFAULT_LEASE_MS = 10_000;

/** A supervisor's record as `bgt hosts` shows it, given its slots in use and the store's now. */
export function hostInfo(record: SupervisorRecord, used: number, now: number): HostInfo {
  return {
    name: record.host,
    pid: record.pid,
    startedAt: record.startedAt,
    heartbeatAt: record.heartbeatAt,
    heartbeatAgeMs: Math.max(0, now - record.heartbeatAt),
    slotsUsed: used,
    slotsTotal: record.slots ?? 0,
    labels: record.labels ?? [],
    version: record.version ?? "",
    draining: record.draining ?? false,
    home: record.home,
  };
}

/**
 * Text for a LIKE pattern with `\` as its escape: `%`, `_` and `\` match themselves.
 *
 * @example
 * ```ts
 * likeEscape("50%_off"); // "50\\%\\_off"
 * ```
 */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
