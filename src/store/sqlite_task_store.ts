/**
 * The SQLite TaskStore: `bgt.db` in WAL mode, one transaction per operation, busy waits and
 * retries so concurrent clients never see SQLITE_BUSY.
 *
 * @example
 * ```ts
 * const store = await SqliteTaskStore.open("/tmp/bgt/bgt.db");
 * const [id] = store.submit([{ spec: { kind: "command", argv: ["true"] } }]);
 * store.get(id)?.status; // "queued"
 * ```
 */
import type { SqlValue } from "../runtime/sqlite.ts";
import { decode, encode } from "../task/codec.ts";
import { retryDelay } from "../task/retry_delay.ts";
import {
  type Attempt,
  type NewTask,
  type SubmitResult,
  type Task,
  type TaskOutcome,
  type TaskStatus,
  TERMINAL_STATUSES,
} from "../task/types.ts";
import { SqliteConnection } from "./sqlite_connection.ts";
import { SqliteScheduleStore } from "./sqlite_schedule_store.ts";
import { countEnvTasks, tallyEnv } from "./task_envs.ts";
import {
  endTasks,
  insertTasks,
  selectTask,
  settleDependants,
  TASK_COLUMNS,
  type TaskRow,
  toTask,
} from "./task_rows.ts";
import {
  type ClaimOptions,
  type GroupSetting,
  LEASE_MS,
  type ListFilter,
  type RemoveResult,
  type StatusCounts,
  type SupervisorRecord,
  type TaskEnd,
  type TaskStore,
} from "./task_store.ts";

/** The column behind each `ListFilter.sort`. */
const SORT_COLUMNS = {
  id: "id",
  priority: "priority",
  runAt: "run_at",
  startedAt: "started_at",
  finishedAt: "finished_at",
} as const;

/** SQLite implementation of {@linkcode TaskStore}. */
export class SqliteTaskStore implements TaskStore {
  readonly schedules: SqliteScheduleStore;
  #connection: SqliteConnection;

  private constructor(connection: SqliteConnection) {
    this.#connection = connection;
    this.schedules = new SqliteScheduleStore(connection);
  }

  /** Opens (creating and migrating) the database at `path`, readable by its owner only. */
  static async open(path: string): Promise<SqliteTaskStore> {
    return new SqliteTaskStore(await SqliteConnection.open(path));
  }

  get #db() {
    return this.#connection.db;
  }

  submit(tasks: readonly NewTask[]): number[] {
    return this.submitAll(tasks).map((result) => result.id);
  }

  submitAll(tasks: readonly NewTask[]): SubmitResult[] {
    return this.#connection.transaction(() => insertTasks(this.#db, tasks, Date.now()));
  }

  get(id: number): Task | undefined {
    return selectTask(this.#db, id);
  }

  list(filter: ListFilter = {}): Task[] {
    const { where, params } = _whereOf(filter);
    const order = filter.newestFirst === false ? "ASC" : "DESC";
    const column = SORT_COLUMNS[filter.sort ?? "id"];
    const sql = `SELECT ${TASK_COLUMNS} FROM tasks ${where}
      ORDER BY ${column} ${order}${column === "id" ? "" : `, id ${order}`} LIMIT ? OFFSET ?`;
    params.push(filter.limit ?? 50, filter.offset ?? 0);
    return this.#db.prepare(sql).all<TaskRow>(...params).map((row) => toTask(this.#db, row));
  }

  count(filter: ListFilter = {}): number {
    const { where, params } = _whereOf(filter);
    const row = this.#db.prepare(`SELECT count(*) AS n FROM tasks ${where}`).get<{ n: number }>(
      ...params,
    );
    return Number(row?.n ?? 0);
  }

  counts(): StatusCounts {
    const rows = this.#db
      .prepare("SELECT status, count(*) AS n FROM tasks GROUP BY status")
      .all<{ status: TaskStatus; n: number }>();
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  claimNext(
    owner: string,
    options: { now: number; fullGroups: readonly string[] },
  ): Task | undefined {
    return this.claimBatch(owner, { ...options, maxProcesses: 1, maxWorkers: 1, limit: 1 })[0];
  }

  claimBatch(owner: string, options: ClaimOptions): Task[] {
    let { maxProcesses, maxWorkers } = options;
    const limit = options.limit ?? Infinity;
    if (maxProcesses <= 0 && maxWorkers <= 0) return [];
    return this.#connection.transaction(() => {
      // Each kind (processes, workers) from its own due index, then in one due order: a claim
      // with room for one kind never reads the other's waiting tasks, and a queue headed by one
      // kind does not hide the other.
      const candidates = [
        ...this.#dueCandidates(0, maxProcesses, options),
        ...this.#dueCandidates(1, maxWorkers, options),
      ].sort((a, b) => b.priority - a.priority || a.run_at - b.run_at || a.id - b.id);
      const room = { ...options.groupRoom };
      const ids: number[] = [];
      for (const { id, grp, in_worker: inWorker } of candidates) {
        if ((maxProcesses <= 0 && maxWorkers <= 0) || ids.length >= limit) break;
        if ((inWorker ? maxWorkers : maxProcesses) <= 0) continue;
        if (room[grp] !== undefined) {
          if (room[grp] <= 0) continue;
          room[grp]--;
        }
        if (inWorker) maxWorkers--;
        else maxProcesses--;
        ids.push(id);
      }
      if (!ids.length) return [];
      const rows = this.#db.prepare(
        `UPDATE tasks SET status = 'running', owner = ?, started_at = ?, attempt = attempt + 1,
           lease_until = ? + ${LEASE_MS},
           pid = NULL, exit_code = NULL, signal = NULL, error = NULL, finished_at = NULL
         WHERE id IN (SELECT value FROM json_each(?))
         RETURNING ${TASK_COLUMNS}`,
      ).all<TaskRow>(owner, options.now, options.now, JSON.stringify(ids));
      const order = new Map(ids.map((id, i) => [id, i]));
      return rows.map((row) => toTask(this.#db, row)).sort((a, b) =>
        order.get(a.id)! - order.get(b.id)!
      );
    });
  }

  /** The first due tasks of one kind (`inWorker` 0 or 1) that a claim may take, in due order. */
  #dueCandidates(inWorker: 0 | 1, budget: number, options: ClaimOptions): DueCandidate[] {
    if (budget <= 0) return [];
    const fullGroups = options.fullGroups ?? [];
    // A few more than wanted when some may belong to a group with little room.
    const extra = Object.keys(options.groupRoom ?? {}).length ? 32 : 0;
    return this.#db.prepare(
      `SELECT id, grp, in_worker, priority, run_at FROM tasks INDEXED BY tasks_due_kind
       WHERE in_worker = ? AND status IN ('queued', 'scheduled') AND run_at <= ?
         ${fullGroups.length ? "AND grp NOT IN (SELECT value FROM json_each(?))" : ""}
         AND grp NOT IN (SELECT name FROM groups WHERE paused = 1)
       ORDER BY in_worker, priority DESC, run_at, id LIMIT ?`,
    ).all<DueCandidate>(
      inWorker,
      options.now,
      ...(fullGroups.length ? [JSON.stringify(fullGroups)] : []),
      budget + extra,
    );
  }

  nextRunAt(after = Number.NEGATIVE_INFINITY): number | undefined {
    const row = this.#db
      .prepare(
        `SELECT min(run_at) AS at FROM tasks INDEXED BY tasks_waiting_run_at
         WHERE status IN ('queued', 'scheduled') AND run_at > ?`,
      )
      .get<{ at: number | null }>(Number.isFinite(after) ? after : -1e15);
    return row?.at ?? undefined;
  }

  heartbeat(owner: string, until: number): void {
    this.#connection.transaction(() =>
      this.#db.prepare(
        "UPDATE tasks SET lease_until = ? WHERE owner = ? AND status IN ('running', 'paused')",
      ).run(until, owner)
    );
  }

  setProgress(id: number, fraction: number, message: string | null): void {
    this.#connection.transaction(() =>
      this.#db
        .prepare("UPDATE tasks SET progress = ?, progress_message = ? WHERE id = ?")
        .run(fraction, message, id)
    );
  }

  finish(id: number, owner: string, outcome: TaskOutcome): Task[] {
    return this.finishMany(owner, [{ id, outcome }]).flatMap((end) => this.get(end.id) ?? []);
  }

  finishMany(
    owner: string,
    ends: readonly { id: number; outcome: TaskOutcome; at?: number }[],
    started: readonly [number, number | null][] = [],
  ): TaskEnd[] {
    const now = Date.now();
    return this.#connection.transaction(() => {
      const setPid = this.#db.prepare("UPDATE tasks SET pid = ? WHERE id = ?");
      for (const [id, pid] of started) setPid.run(pid, id);
      const changed = ends.flatMap(({ id, outcome, at }) =>
        this.#finishOne(id, owner, outcome, at ?? now)
      );
      const ended = changed.filter((end) => end.status !== "queued").map((end) => end.id);
      const dependants = settleDependants(this.#db, ended, now);
      return [...changed, ...dependants.map(({ id, status }) => ({ id, status }))];
    });
  }

  /** Records one run's end inside the caller's transaction (see finish). */
  #finishOne(id: number, owner: string, outcome: TaskOutcome, now: number): TaskEnd[] {
    const row = this.#db
      .prepare(
        `SELECT attempt, max_attempts, backoff_ms, started_at, run_at, pid FROM tasks
         WHERE id = ? AND owner = ? AND status IN ('running', 'paused')`,
      )
      .get<
        Pick<
          TaskRow,
          "attempt" | "max_attempts" | "backoff_ms" | "started_at" | "run_at" | "pid"
        >
      >(id, owner);
    if (!row) return [];
    const error = outcome.error ? JSON.stringify(outcome.error) : null;
    const result = outcome.result === undefined ? null : encode(outcome.result);
    const slice = (stream: "stdout" | "stderr" | "data") =>
      outcome.slices?.[stream] ?? [null, null];
    this.#db.prepare(
      `INSERT OR REPLACE INTO attempts (task_id, attempt, status, started_at, finished_at,
         exit_code, signal, error, pid, result, stdout_start, stdout_end, stderr_start,
         stderr_end, data_start, data_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      row.attempt,
      outcome.status,
      row.started_at,
      now,
      outcome.exitCode ?? null,
      outcome.signal ?? null,
      error,
      row.pid,
      result,
      ...slice("stdout"),
      ...slice("stderr"),
      ...slice("data"),
    );
    const retry = (outcome.status === "failed" || outcome.status === "timed_out" ||
      outcome.status === "lost") && row.attempt < row.max_attempts;
    const status: TaskStatus = retry ? "queued" : outcome.status;
    this.#db.prepare(
      `UPDATE tasks SET status = ?, run_at = ?, finished_at = ?, exit_code = ?, signal = ?,
         result = ?, error = ?, owner = NULL, lease_until = NULL
       WHERE id = ?`,
    ).run(
      status,
      retry ? now + retryDelay(row.backoff_ms, row.attempt) : row.run_at,
      retry ? null : now,
      outcome.exitCode ?? null,
      outcome.signal ?? null,
      result,
      error,
      id,
    );
    return [{ id, status }];
  }

  cancel(id: number): Task[] {
    return this.#connection.transaction(() =>
      endTasks(this.#db, [id], "canceled", Date.now(), null)
    );
  }

  orphans(owner: string): Task[] {
    return this.#db
      .prepare(
        `SELECT ${TASK_COLUMNS} FROM tasks WHERE status IN ('running', 'paused') AND owner IS NOT ?
         ORDER BY id`,
      )
      .all<TaskRow>(owner)
      .map((row) => toTask(this.#db, row));
  }

  adopt(id: number, owner: string): void {
    this.#connection.transaction(() =>
      this.#db.prepare("UPDATE tasks SET owner = ? WHERE id = ?").run(owner, id)
    );
  }

  remove(ids: readonly number[]): number[] {
    return this.#connection.transaction(() => this.#removeNotRunning(ids));
  }

  /** The body of remove (inside a transaction). */
  #removeNotRunning(ids: readonly number[]): number[] {
    const released = new Map<number, number>();
    const removed = ids.filter((id) => {
      const row = this.#db.prepare(
        "DELETE FROM tasks WHERE id = ? AND status NOT IN ('running', 'paused') RETURNING env_id",
      ).get<{ env_id: number | null }>(id);
      if (!row) return false;
      this.#db.prepare("DELETE FROM attempts WHERE task_id = ?").run(id);
      tallyEnv(released, row.env_id, -1);
      return true;
    });
    countEnvTasks(this.#db, released);
    settleDependants(this.#db, removed, Date.now());
    return removed;
  }

  removeEach(ids: readonly number[]): RemoveResult {
    return this.#connection.transaction(() => {
      const running: RemoveResult["running"] = [];
      const missing: number[] = [];
      for (const id of ids) {
        const row = this.#db.prepare("SELECT status FROM tasks WHERE id = ?").get<
          { status: TaskStatus }
        >(id);
        if (!row) missing.push(id);
        else if (row.status === "running" || row.status === "paused") {
          running.push({ id, status: row.status });
        }
      }
      const removed = this.#removeNotRunning(
        ids.filter((id) => !missing.includes(id) && !running.some((task) => task.id === id)),
      );
      return { removed, running, missing };
    });
  }

  mergeMeta(id: number, patch: Record<string, unknown>): Task | undefined {
    return this.#connection.transaction(() => {
      const row = this.#db.prepare(
        `UPDATE tasks SET meta = json_patch(meta, ?) WHERE id = ? RETURNING ${TASK_COLUMNS}`,
      ).get<TaskRow>(JSON.stringify(patch), id);
      return row && toTask(this.#db, row);
    });
  }

  setCheckpoint(id: number, value: unknown): void {
    this.#connection.transaction(() =>
      this.#db.prepare("UPDATE tasks SET checkpoint = ? WHERE id = ?").run(encode(value), id)
    );
  }

  setPaused(id: number, paused: boolean): boolean {
    return this.#connection.transaction(() =>
      this.#db.prepare("UPDATE tasks SET status = ? WHERE id = ? AND status = ?")
        .run(paused ? "paused" : "running", id, paused ? "running" : "paused").changes > 0
    );
  }

  restart(id: number): Task | undefined {
    return this.#connection.transaction(() => {
      const row = this.#db.prepare(
        `UPDATE tasks SET status = 'queued', run_at = ?, max_attempts = attempt + 1,
           finished_at = NULL, exit_code = NULL, signal = NULL, result = NULL, error = NULL,
           pid = NULL, progress = NULL, progress_message = NULL
         WHERE id = ? AND status IN (SELECT value FROM json_each(?))
         RETURNING ${TASK_COLUMNS}`,
      ).get<TaskRow>(Date.now(), id, JSON.stringify(TERMINAL_STATUSES));
      return row && toTask(this.#db, row);
    });
  }

  finishedIds(filter: { before?: number; status?: TaskStatus[]; group?: string }): number[] {
    const statuses = filter.status?.length ? filter.status : TERMINAL_STATUSES;
    return this.#db.prepare(
      `SELECT id FROM tasks WHERE status IN (SELECT value FROM json_each(?))
         AND finished_at IS NOT NULL AND finished_at < ? AND (? IS NULL OR grp = ?) ORDER BY id`,
    ).all<{ id: number }>(
      JSON.stringify(statuses),
      filter.before ?? Number.MAX_SAFE_INTEGER,
      filter.group ?? null,
      filter.group ?? null,
    ).map((row) => row.id);
  }

  attempts(id: number): Attempt[] {
    return this.#db.prepare(
      `SELECT attempt, status, started_at, finished_at, exit_code, signal, error, pid, result,
         stdout_start, stdout_end, stderr_start, stderr_end, data_start, data_end
       FROM attempts WHERE task_id = ? ORDER BY attempt`,
    ).all<AttemptRow>(id).map((row) => ({
      attempt: row.attempt,
      status: row.status as TaskStatus,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      exitCode: row.exit_code,
      signal: row.signal,
      error: row.error ? JSON.parse(row.error) : null,
      pid: row.pid,
      result: row.result ? decode(row.result) : undefined,
      slices: {
        stdout: _slice(row.stdout_start, row.stdout_end),
        stderr: _slice(row.stderr_start, row.stderr_end),
        data: _slice(row.data_start, row.data_end),
      },
    }));
  }

  groups(): GroupSetting[] {
    return this.#db
      .prepare("SELECT name, parallel, paused FROM groups ORDER BY name")
      .all<{ name: string; parallel: number | null; paused: number }>()
      .map((row) => ({ name: row.name, parallel: row.parallel, paused: row.paused === 1 }));
  }

  setGroup(name: string, change: { parallel?: number | null; paused?: boolean }): GroupSetting {
    return this.#connection.transaction(() => {
      this.#db.prepare("INSERT OR IGNORE INTO groups (name) VALUES (?)").run(name);
      if (change.parallel !== undefined) {
        this.#db.prepare("UPDATE groups SET parallel = ? WHERE name = ?").run(
          change.parallel,
          name,
        );
      }
      if (change.paused !== undefined) {
        this.#db.prepare("UPDATE groups SET paused = ? WHERE name = ?").run(
          change.paused ? 1 : 0,
          name,
        );
      }
      return this.groups().find((group) => group.name === name)!;
    });
  }

  runningByGroup(): Record<string, number> {
    const rows = this.#db
      .prepare(
        "SELECT grp, count(*) AS n FROM tasks WHERE status IN ('running', 'paused') GROUP BY grp",
      )
      .all<{ grp: string; n: number }>();
    return Object.fromEntries(rows.map((row) => [row.grp, row.n]));
  }

  takeSupervisor(
    me: SupervisorRecord,
    isHolderAlive: (holder: SupervisorRecord) => boolean,
  ): SupervisorRecord {
    return this.#connection.transaction(() => {
      const holder = this.supervisor();
      if (holder && holder.owner !== me.owner && isHolderAlive(holder)) return holder;
      this.#db.prepare(
        `INSERT OR REPLACE INTO supervisor (one, owner, pid, start_time, started_at)
         VALUES (1, ?, ?, ?, ?)`,
      ).run(me.owner, me.pid, me.startTime, me.startedAt);
      return me;
    });
  }

  releaseSupervisor(owner: string): void {
    this.#connection.transaction(() =>
      this.#db.prepare("DELETE FROM supervisor WHERE owner = ?").run(owner)
    );
  }

  supervisor(): SupervisorRecord | undefined {
    const row = this.#db
      .prepare("SELECT owner, pid, start_time, started_at FROM supervisor WHERE one = 1")
      .get<{ owner: string; pid: number; start_time: string | null; started_at: number }>();
    return row &&
      { owner: row.owner, pid: row.pid, startTime: row.start_time, startedAt: row.started_at };
  }

  close(): void {
    this.#connection.close();
  }
}

/** A waiting task a claim may take: what the claim needs to choose, in due order. */
interface DueCandidate {
  id: number;
  grp: string;
  in_worker: number;
  priority: number;
  run_at: number;
}

interface AttemptRow {
  attempt: number;
  status: string;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  pid: number | null;
  result: Uint8Array | null;
  stdout_start: number | null;
  stdout_end: number | null;
  stderr_start: number | null;
  stderr_end: number | null;
  data_start: number | null;
  data_end: number | null;
}

function _slice(start: number | null, end: number | null): [number, number] | null {
  return start === null || end === null ? null : [start, end];
}

/** The WHERE clause (with its parameters) of a list filter's conditions (not its order or page). */
function _whereOf(filter: ListFilter): { where: string; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.status?.length) {
    where.push(`status IN (${filter.status.map(() => "?").join(", ")})`);
    params.push(...filter.status);
  }
  const simple: [SqlValue | undefined, string][] = [
    [filter.group, "grp = ?"],
    [filter.scheduleId, "schedule_id = ?"],
    [filter.name, "name GLOB ?"],
    [filter.since, "created_at >= ?"],
    [filter.until, "created_at < ?"],
  ];
  for (const [value, clause] of simple) {
    if (value === undefined) continue;
    where.push(clause);
    params.push(value);
  }
  for (const [key, value] of Object.entries(filter.meta ?? {})) {
    // Text values compare as they are; numbers, booleans and objects as their JSON text.
    where.push(
      `(CASE json_type(meta, ?) WHEN 'text' THEN json_extract(meta, ?) ELSE meta -> ? END) = ?`,
    );
    const path = `$.${JSON.stringify(key)}`;
    params.push(path, path, path, value);
  }
  return { where: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
}
