// deno-lint-ignore-file require-await -- the contract is asynchronous, SQLite's core is not: an
// async method without an await still turns a throw into a rejection, as the contract says.
/**
 * The SQLite TaskStore: `bgt.db` in WAL mode, one transaction per operation, busy waits and
 * retries so concurrent clients never see SQLITE_BUSY. Its methods are asynchronous (the
 * contract both stores share) over a synchronous core; each writes its events in its own
 * transaction (the outbox).
 *
 * @example
 * ```ts
 * const store = await SqliteTaskStore.open("/tmp/bgt/bgt.db");
 * const [{ id }] = await store.submit([{ spec: { kind: "command", argv: ["true"] } }]);
 * (await store.get(id))?.status; // "queued"
 * ```
 */
import type { SqlValue } from "../runtime/sqlite.ts";
import { type ClaimCandidate, groupRoom, pickClaims } from "../task/claims.ts";
import { encode } from "../task/codec.ts";
import type { TaskEvent } from "../task/events.ts";
import { ACTIVE, DUE, ENDED, inSet, RUNNING, sqlSet } from "../task/statuses.ts";
import {
  type Attempt,
  type NewTask,
  type SubmitResult,
  type Task,
  type TaskStatus,
} from "../task/types.ts";
import { SqliteConnection } from "./sqlite_connection.ts";
import { SqliteHookStore } from "./sqlite_hook_store.ts";
import { SqliteScheduleStore } from "./sqlite_schedule_store.ts";
import {
  ATTEMPT_COLUMNS,
  DEFAULT_LEASE_MS,
  hostInfo,
  likeEscape,
  runEnded,
  runEndedAt,
  SORT_COLUMNS,
  SUPERVISOR_COLUMNS,
  toAttempt,
  toEvent,
  toSupervisor,
} from "./store_rows.ts";
import { countEnvTasks, tallyEnv } from "./task_envs.ts";
import {
  endTasks,
  insertTasks,
  LIST_COLUMNS,
  selectTask,
  settleDependants,
  SubmitRefusedError,
  TASK_COLUMNS,
  type TaskRow,
  toTask,
  writeEvent,
} from "./task_rows.ts";
import type {
  ClaimRoom,
  GroupSetting,
  GroupStatusCount,
  HostInfo,
  ListFilter,
  MinuteTally,
  RemoveResult,
  RescueResult,
  RunEnd,
  RunFence,
  RunStart,
  RunStop,
  StatusCounts,
  SupervisorRecord,
  TaskStore,
} from "./task_store.ts";

/** Events kept: those of the last 7 days, and at most the newest 100,000 (see pruneEvents). */
export const EVENT_RETENTION = { ms: 7 * 24 * 3600_000, rows: 100_000 } as const;

/** SQLite implementation of {@linkcode TaskStore}. */
export class SqliteTaskStore implements TaskStore {
  readonly kind = "sqlite" as const;
  readonly description: string;
  readonly schedules: SqliteScheduleStore;
  readonly hooks: SqliteHookStore;
  #connection: SqliteConnection;

  private constructor(connection: SqliteConnection, path: string) {
    this.#connection = connection;
    this.description = `sqlite:${path}`;
    this.schedules = new SqliteScheduleStore(connection);
    this.hooks = new SqliteHookStore(connection);
  }

  /** Opens (creating and migrating) the database at `path`, readable by its owner only. */
  static async open(path: string): Promise<SqliteTaskStore> {
    return new SqliteTaskStore(await SqliteConnection.open(path), path);
  }

  get #db() {
    return this.#connection.db;
  }

  now(): Promise<number> {
    return Promise.resolve(Date.now());
  }

  async submit(tasks: readonly NewTask[]): Promise<SubmitResult[]> {
    const placed = tasks.find((task) => task.onHost || task.needLabels?.length);
    if (placed) {
      throw new SubmitRefusedError(
        `Cannot place a task ${
          placed.onHost ? `on host '${placed.onHost}'` : "by label"
        }: this store is one host's bgt.db; placement (--on, --need) needs a shared PostgreSQL store (BGT_STORE)`,
      );
    }
    return this.#connection.transaction(() => insertTasks(this.#db, tasks, Date.now()));
  }

  async get(id: number): Promise<Task | undefined> {
    return selectTask(this.#db, id);
  }

  async list(filter: ListFilter = {}): Promise<Task[]> {
    const { where, params } = _whereOf(filter);
    const order = filter.newestFirst === false ? "ASC" : "DESC";
    const column = SORT_COLUMNS[filter.sort ?? "id"];
    const sql = `SELECT ${LIST_COLUMNS} FROM tasks ${where}
      ORDER BY ${column} ${order}${column === "id" ? "" : `, id ${order}`} LIMIT ? OFFSET ?`;
    params.push(filter.limit ?? 50, filter.offset ?? 0);
    return this.#db.prepare(sql).all<TaskRow>(...params).map((row) => toTask(this.#db, row));
  }

  async count(filter: ListFilter = {}, upTo?: number): Promise<number> {
    const { where, params } = _whereOf(filter);
    const sql = upTo === undefined
      ? `SELECT count(*) AS n FROM tasks ${where}`
      : `SELECT count(*) AS n FROM (SELECT 1 FROM tasks ${where} LIMIT ${Math.max(0, upTo)})`;
    const row = this.#db.prepare(sql).get<{ n: number }>(...params);
    return Number(row?.n ?? 0);
  }

  async counts(): Promise<StatusCounts> {
    const rows = this.#db
      .prepare("SELECT status, count(*) AS n FROM tasks GROUP BY status")
      .all<{ status: TaskStatus; n: number }>();
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async countsByGroup(finishedSince: number): Promise<GroupStatusCount[]> {
    return this.#db.prepare(
      `SELECT grp AS "group", status, count(*) AS count FROM tasks
       WHERE status IN ${sqlSet(ACTIVE)} GROUP BY grp, status
       UNION ALL
       SELECT grp, status, count(*) FROM tasks INDEXED BY tasks_created
       WHERE created_at >= ? AND status IN ${sqlSet(ENDED)} GROUP BY grp, status`,
    ).all<GroupStatusCount>(finishedSince);
  }

  async endsPerMinute(since: number): Promise<MinuteTally[]> {
    return this.#db.prepare(
      `SELECT (at / 60000) * 60000 AS minute,
         sum(kind = 'succeeded') AS succeeded,
         sum(kind IN ('failed', 'timed_out', 'lost')) AS failed
       FROM events WHERE at >= ? AND kind IN ('succeeded', 'failed', 'timed_out', 'lost')
       GROUP BY minute ORDER BY minute`,
    ).all<MinuteTally>(since);
  }

  async events(
    after: number,
    filter: { taskIds?: readonly number[]; limit?: number } = {},
  ): Promise<TaskEvent[]> {
    const byTask = filter.taskIds !== undefined;
    return this.#db.prepare(
      `SELECT id, at, task_id, kind, data FROM events WHERE id > ?
         ${byTask ? "AND task_id IN (SELECT value FROM json_each(?))" : ""}
       ORDER BY id LIMIT ?`,
    ).all<Record<string, SqlValue>>(
      after,
      ...(byTask ? [JSON.stringify(filter.taskIds)] : []),
      filter.limit ?? 1000,
    ).map(toEvent);
  }

  async lastEventId(): Promise<number> {
    const row = this.#db.prepare("SELECT max(id) AS id FROM events").get<{ id: number | null }>();
    return row?.id ?? 0;
  }

  async claim(owner: string, room: ClaimRoom): Promise<Task[]> {
    const { maxProcesses, maxWorkers } = room;
    if (maxProcesses <= 0 && maxWorkers <= 0) return [];
    return this.#connection.transaction(() => {
      const now = Date.now();
      const { full, room: groupsRoom } = this.#groupRoom();
      // Each kind (processes, workers) from its own due index, then in one due order: a claim
      // with room for one kind never reads the other's waiting tasks, and a queue headed by one
      // kind does not hide the other.
      const candidates = [
        ...this.#dueCandidates(0, maxProcesses, now, full, groupsRoom),
        ...this.#dueCandidates(1, maxWorkers, now, full, groupsRoom),
      ];
      const ids = pickClaims(candidates, {
        maxProcesses,
        maxWorkers,
        limit: room.limit,
        room: groupsRoom,
      });
      if (!ids.length) return [];
      const rows = this.#db.prepare(
        `UPDATE tasks SET status = 'running', owner = ?,
           home = coalesce((SELECT home FROM supervisors WHERE owner = ?), ?),
           host = (SELECT host FROM supervisors WHERE owner = ?), started_at = ?,
           attempt = attempt + 1, lease_until = NULL, pid = NULL, exit_code = NULL, signal = NULL,
           error = NULL, finished_at = NULL, stop_reason = NULL, stop_signal = NULL,
           paused_at = NULL, paused_ms = 0
         WHERE id IN (SELECT value FROM json_each(?))
         RETURNING ${TASK_COLUMNS}`,
      ).all<TaskRow>(owner, owner, this.#home(), owner, now, JSON.stringify(ids));
      const order = new Map(ids.map((id, i) => [id, i]));
      const tasks = rows.map((row) => toTask(this.#db, row)).sort((a, b) =>
        order.get(a.id)! - order.get(b.id)!
      );
      for (const task of tasks) {
        writeEvent(this.#db, now, task.id, "started", { attempt: task.attempt, owner });
      }
      return tasks;
    });
  }

  /** The home a claim records without a supervisor row: this database's directory. */
  #home(): string {
    return this.description.slice("sqlite:".length).replace(/\/[^/]*$/, "");
  }

  /** The groups with a limit: those that are full, and the room the others have left. */
  #groupRoom(): { full: string[]; room: Record<string, number> } {
    const limited = this.#db.prepare(
      "SELECT name, parallel FROM groups WHERE parallel IS NOT NULL ORDER BY name",
    ).all<{ name: string; parallel: number }>();
    return limited.length ? groupRoom(limited, this.#runningByGroup()) : { full: [], room: {} };
  }

  /** The first due tasks of one kind (`inWorker` 0 or 1) that a claim may take, in due order. */
  #dueCandidates(
    inWorker: 0 | 1,
    budget: number,
    now: number,
    full: readonly string[],
    groupsRoom: Record<string, number>,
  ): ClaimCandidate[] {
    if (budget <= 0) return [];
    // A few more than wanted when some may belong to a group with little room.
    const extra = Object.keys(groupsRoom).length ? 32 : 0;
    return this.#db.prepare(
      `SELECT id, grp, in_worker AS inWorker, priority, run_at AS runAt
       FROM tasks INDEXED BY tasks_due_kind
       WHERE in_worker = ? AND status IN ${sqlSet(DUE)} AND run_at <= ?
         ${full.length ? "AND grp NOT IN (SELECT value FROM json_each(?))" : ""}
         AND grp NOT IN (SELECT name FROM groups WHERE paused = 1)
       ORDER BY in_worker, priority DESC, run_at, id LIMIT ?`,
    ).all<ClaimCandidate>(
      inWorker,
      now,
      ...(full.length ? [JSON.stringify(full)] : []),
      budget + extra,
    );
  }

  async nextWakeIn(): Promise<number | undefined> {
    const now = Date.now();
    // One statement (one read of the database, once per claim pass), both minimums.
    const row = this.#db.prepare(
      `SELECT (SELECT min(run_at) FROM tasks INDEXED BY tasks_waiting_run_at
                WHERE status IN ${sqlSet(DUE)} AND run_at > ?) AS task,
              (SELECT min(next_at) FROM schedules
                WHERE paused = 0 AND next_at IS NOT NULL) AS firing`,
    ).get<{ task: number | null; firing: number | null }>(now);
    const next = Math.min(row?.task ?? Infinity, row?.firing ?? Infinity);
    return next === Infinity ? undefined : Math.max(0, next - now);
  }

  async heartbeat(owner: string, slots?: number): Promise<boolean> {
    return this.#connection.transaction(() =>
      this.#db.prepare(
        "UPDATE supervisors SET heartbeat_at = ?, slots = coalesce(?, slots) WHERE owner = ?",
      ).run(Date.now(), slots ?? null, owner).changes > 0
    );
  }

  async setProgress(
    id: number,
    fraction: number,
    message: string | null,
    fence?: RunFence,
  ): Promise<void> {
    const [where, params] = _fenced(fence);
    this.#connection.transaction(() =>
      this.#db
        .prepare(`UPDATE tasks SET progress = ?, progress_message = ? WHERE id = ? ${where}`)
        .run(fraction, message, id, ...params)
    );
  }

  async finish(
    owner: string,
    ends: readonly RunEnd[],
    started: readonly RunStart[] = [],
  ): Promise<TaskEvent[]> {
    return this.#connection.transaction(() => {
      const now = Date.now();
      const setPid = this.#db.prepare(
        "UPDATE tasks SET pid = ? WHERE id = ? AND attempt = ? AND owner = ?",
      );
      for (const { id, attempt, pid } of started) setPid.run(pid, id, attempt, owner);
      const events: TaskEvent[] = [];
      const ended: number[] = [];
      for (const end of ends) {
        if (this.#finishOne(owner, end, now, events)) ended.push(end.id);
      }
      settleDependants(this.#db, ended, now, events);
      return events;
    });
  }

  /** Records one run's end inside the caller's transaction; true if the task ended (no retry). */
  #finishOne(owner: string, end: RunEnd, now: number, events: TaskEvent[]): boolean {
    const { id, attempt, outcome } = end;
    const row = this.#db
      .prepare(
        `SELECT attempt, max_attempts, backoff_ms, started_at, run_at, pid, paused_at, paused_ms,
           restart_policy, restart_delay_ms, max_restarts, restarts, restart_streak, stop_reason
         FROM tasks WHERE id = ? AND owner = ? AND attempt = ? AND status IN ${sqlSet(RUNNING)}`,
      )
      .get<
        Pick<
          TaskRow,
          | "attempt"
          | "max_attempts"
          | "backoff_ms"
          | "started_at"
          | "run_at"
          | "pid"
          | "paused_at"
          | "paused_ms"
          | "restart_policy"
          | "restart_delay_ms"
          | "max_restarts"
          | "restarts"
          | "restart_streak"
          | "stop_reason"
        >
      >(id, owner, attempt);
    if (!row) return false;
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
      runEndedAt(row, outcome, now),
      outcome.exitCode ?? null,
      outcome.signal ?? null,
      error,
      row.pid,
      result,
      ...slice("stdout"),
      ...slice("stderr"),
      ...slice("data"),
    );
    const next = runEnded(row, outcome, now);
    this.#db.prepare(
      `UPDATE tasks SET status = ?, run_at = ?, finished_at = ?, exit_code = ?, signal = ?,
         result = ?, error = ?, owner = NULL, lease_until = NULL, paused_at = NULL,
         paused_ms = ?, restarts = ?, restart_streak = ?
       WHERE id = ?`,
    ).run(
      next.status,
      next.runAt,
      next.finishedAt,
      outcome.exitCode ?? null,
      outcome.signal ?? null,
      result,
      error,
      row.paused_ms + (row.paused_at === null ? 0 : Math.max(0, now - row.paused_at)),
      next.restart?.restarts ?? row.restarts,
      next.restart?.restartStreak ?? row.restart_streak,
      id,
    );
    events.push(writeEvent(this.#db, now, id, next.event, next.data));
    return next.event !== "retrying";
  }

  async cancel(ids: readonly number[]): Promise<TaskEvent[]> {
    return this.#connection.transaction(() => {
      const events: TaskEvent[] = [];
      endTasks(this.#db, ids, "canceled", Date.now(), null, events);
      return events;
    });
  }

  async adoptOrphans(owner: string, home: string): Promise<Task[]> {
    return this.#connection.transaction(() => {
      // This home's running tasks whose owner holds no supervisor row (home is null for tasks
      // claimed before it was recorded).
      const rows = this.#db.prepare(
        `UPDATE tasks SET owner = ?, home = ? WHERE status IN ${sqlSet(RUNNING)}
           AND (home = ? OR home IS NULL OR home = '') AND owner IS NOT ?
           AND (owner IS NULL OR owner NOT IN (SELECT owner FROM supervisors))
         RETURNING ${TASK_COLUMNS}`,
      ).all<TaskRow>(owner, home, home, owner);
      return rows.map((row) => toTask(this.#db, row)).sort((a, b) => a.id - b.id);
    });
  }

  async remove(ids: readonly number[]): Promise<RemoveResult> {
    return this.#connection.transaction(() => {
      const running: RemoveResult["running"] = [];
      const missing: number[] = [];
      const removable: number[] = [];
      const look = this.#db.prepare("SELECT status FROM tasks WHERE id = ?");
      for (const id of ids) {
        const row = look.get<{ status: TaskStatus }>(id);
        if (!row) missing.push(id);
        else if (inSet(RUNNING, row.status)) {
          running.push({ id, status: row.status });
        } else removable.push(id);
      }
      const now = Date.now();
      const events: TaskEvent[] = [];
      const released = new Map<number, number>();
      const removed = removable.filter((id) => {
        const row = this.#db.prepare(
          `DELETE FROM tasks WHERE id = ? AND status NOT IN ${sqlSet(RUNNING)} RETURNING env_id`,
        ).get<{ env_id: number | null }>(id);
        if (!row) return false;
        this.#db.prepare("DELETE FROM attempts WHERE task_id = ?").run(id);
        tallyEnv(released, row.env_id, -1);
        events.push(writeEvent(this.#db, now, id, "removed"));
        return true;
      });
      countEnvTasks(this.#db, released);
      settleDependants(this.#db, removed, now, events);
      return { removed, running, missing, events };
    });
  }

  async mergeMeta(
    id: number,
    patch: Record<string, unknown>,
    fence?: RunFence,
  ): Promise<Task | undefined> {
    const [where, params] = _fenced(fence);
    return this.#connection.transaction(() => {
      const row = this.#db.prepare(
        `UPDATE tasks SET meta = json_patch(meta, ?) WHERE id = ? ${where}
         RETURNING ${TASK_COLUMNS}`,
      ).get<TaskRow>(JSON.stringify(patch), id, ...params);
      return row && toTask(this.#db, row);
    });
  }

  async setCheckpoint(id: number, value: unknown, fence?: RunFence): Promise<void> {
    const [where, params] = _fenced(fence);
    this.#connection.transaction(() =>
      this.#db.prepare(`UPDATE tasks SET checkpoint = ? WHERE id = ? ${where}`)
        .run(encode(value), id, ...params)
    );
  }

  async betweenWrites<T>(_id: number, act: () => T): Promise<T> {
    // Every write is one IMMEDIATE transaction: while this one holds the lock, none is open.
    return this.#connection.transaction(act);
  }

  async setPaused(id: number, paused: boolean, fence?: RunFence): Promise<boolean> {
    const [where, params] = _fenced(fence);
    return this.#connection.transaction(() => {
      const now = Date.now();
      const changed = paused
        ? this.#db.prepare(
          `UPDATE tasks SET status = 'paused', paused_at = ?
           WHERE id = ? AND status = 'running' ${where}`,
        ).run(now, id, ...params).changes > 0
        : this.#db.prepare(
          `UPDATE tasks SET status = 'running', paused_at = NULL,
             paused_ms = paused_ms + max(0, ? - coalesce(paused_at, ?))
           WHERE id = ? AND status = 'paused' ${where}`,
        ).run(now, now, id, ...params).changes > 0;
      if (changed) writeEvent(this.#db, now, id, paused ? "paused" : "resumed");
      return changed;
    });
  }

  async setStop(id: number, attempt: number, stop: RunStop): Promise<boolean> {
    return this.#connection.transaction(() =>
      this.#db.prepare(
        `UPDATE tasks SET stop_reason = ?, stop_signal = ?
         WHERE id = ? AND attempt = ? AND status IN ${sqlSet(RUNNING)}`,
      ).run(stop.reason, stop.signal, id, attempt).changes > 0
    );
  }

  async restart(id: number): Promise<Task | undefined> {
    return this.#connection.transaction(() => {
      const now = Date.now();
      const row = this.#db.prepare(
        `UPDATE tasks SET status = 'queued', run_at = ?, max_attempts = attempt + 1,
           restart_streak = 0,
           finished_at = NULL, exit_code = NULL, signal = NULL, result = NULL, error = NULL,
           pid = NULL, progress = NULL, progress_message = NULL
         WHERE id = ? AND (status IN (SELECT value FROM json_each(?))
           OR (status = 'queued' AND restart_policy IS NOT NULL AND restarts > 0))
         RETURNING ${TASK_COLUMNS}`,
      ).get<TaskRow>(now, id, JSON.stringify(ENDED));
      if (!row) return undefined;
      const task = toTask(this.#db, row);
      writeEvent(this.#db, now, id, "submitted", {
        group: task.group,
        name: task.name,
        restart: true,
      });
      return task;
    });
  }

  async finishedIds(
    filter: { before?: number; status?: TaskStatus[]; group?: string; unneeded?: boolean },
  ): Promise<number[]> {
    const statuses = filter.status?.length ? filter.status : ENDED;
    const unneeded = filter.unneeded
      ? `AND NOT EXISTS (SELECT 1 FROM dependencies d JOIN tasks w ON w.id = d.task_id
           WHERE d.dep_id = tasks.id AND w.status NOT IN ${sqlSet(ENDED)})`
      : "";
    return this.#db.prepare(
      `SELECT id FROM tasks WHERE status IN (SELECT value FROM json_each(?))
         AND finished_at IS NOT NULL AND finished_at < ? AND (? IS NULL OR grp = ?) ${unneeded}
       ORDER BY id`,
    ).all<{ id: number }>(
      JSON.stringify(statuses),
      filter.before ?? Number.MAX_SAFE_INTEGER,
      filter.group ?? null,
      filter.group ?? null,
    ).map((row) => row.id);
  }

  async attempts(id: number): Promise<Attempt[]> {
    return this.#db.prepare(
      `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE task_id = ? ORDER BY attempt`,
    ).all<Record<string, SqlValue>>(id).map(toAttempt);
  }

  async groups(): Promise<GroupSetting[]> {
    return this.#groups();
  }

  #groups(): GroupSetting[] {
    return this.#db
      .prepare("SELECT name, parallel, paused FROM groups ORDER BY name")
      .all<{ name: string; parallel: number | null; paused: number }>()
      .map((row) => ({ name: row.name, parallel: row.parallel, paused: row.paused === 1 }));
  }

  async setGroup(
    name: string,
    change: { parallel?: number | null; paused?: boolean },
  ): Promise<GroupSetting> {
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
      return this.#groups().find((group) => group.name === name)!;
    });
  }

  async runningByGroup(): Promise<Record<string, number>> {
    return this.#runningByGroup();
  }

  #runningByGroup(): Record<string, number> {
    const rows = this.#db
      .prepare(
        `SELECT grp, count(*) AS n FROM tasks WHERE status IN ${sqlSet(RUNNING)} GROUP BY grp`,
      )
      .all<{ grp: string; n: number }>();
    return Object.fromEntries(rows.map((row) => [row.grp, row.n]));
  }

  async takeSupervisor(
    me: SupervisorRecord,
    isHolderAlive: (holder: SupervisorRecord) => boolean,
  ): Promise<SupervisorRecord> {
    return this.#connection.transaction(() => {
      const holder = this.#holder(me.home);
      if (holder && holder.owner !== me.owner && isHolderAlive(holder)) return holder;
      // The dead holders of this home ('': a row from before homes were recorded).
      this.#db.prepare("DELETE FROM supervisors WHERE home = ? OR home = '' OR owner = ?")
        .run(me.home, me.owner);
      this.#db.prepare(
        `INSERT INTO supervisors (owner, home, host, pid, start_time, started_at, heartbeat_at,
           labels, slots, version, lease_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        me.owner,
        me.home,
        me.host,
        me.pid,
        me.startTime,
        me.startedAt,
        me.heartbeatAt,
        JSON.stringify(me.labels ?? []),
        me.slots ?? 0,
        me.version ?? "",
        me.leaseMs ?? DEFAULT_LEASE_MS,
      );
      return me;
    });
  }

  async releaseSupervisor(owner: string): Promise<void> {
    this.#connection.transaction(() =>
      this.#db.prepare("DELETE FROM supervisors WHERE owner = ?").run(owner)
    );
  }

  async settings(): Promise<Record<string, string>> {
    const rows = this.#db.prepare("SELECT key, value FROM settings ORDER BY key").all<
      { key: string; value: string }
    >();
    return Object.fromEntries(rows.map((row) => [row.key, row.value]));
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    this.#connection.transaction(() => {
      if (value === null) this.#db.prepare("DELETE FROM settings WHERE key = ?").run(key);
      else {
        this.#db.prepare(
          `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        ).run(key, value, Date.now());
      }
    });
  }

  async supervisorOf(home: string): Promise<SupervisorRecord | undefined> {
    return this.#holder(home);
  }

  async hosts(): Promise<HostInfo[]> {
    const now = Date.now();
    const rows = this.#db.prepare(
      `SELECT ${SUPERVISOR_COLUMNS}, (SELECT count(*) FROM tasks t WHERE t.owner = s.owner
         AND t.status IN ${sqlSet(RUNNING)}) AS used
       FROM supervisors s ORDER BY host, started_at, owner`,
    ).all<Record<string, SqlValue>>();
    return rows.map((row) => hostInfo(toSupervisor(row), Number(row.used), now));
  }

  async setDraining(owner: string, draining: boolean): Promise<void> {
    this.#connection.transaction(() =>
      this.#db.prepare("UPDATE supervisors SET draining = ? WHERE owner = ?").run(
        draining ? 1 : 0,
        owner,
      )
    );
  }

  /** One host: its next supervisor re-adopts or records the tasks of a dead one (recover). */
  async rescue(): Promise<RescueResult> {
    return { dead: [], events: [] };
  }

  /** The supervisor of `home` (the newest row; '': a row from before homes were recorded). */
  #holder(home: string): SupervisorRecord | undefined {
    const row = this.#db.prepare(
      `SELECT ${SUPERVISOR_COLUMNS} FROM supervisors
       WHERE home = ? OR home = '' ORDER BY started_at DESC LIMIT 1`,
    ).get<Record<string, SqlValue>>(home);
    return row && toSupervisor(row);
  }

  async pruneEvents(): Promise<number> {
    return this.#connection.transaction(() => {
      const last = this.#db.prepare("SELECT max(id) AS id FROM events").get<{ id: number | null }>()
        ?.id;
      if (!last) return 0;
      // The first event young enough to keep: a walk over the old ones only (ids follow time).
      const young = this.#db.prepare("SELECT id FROM events WHERE at >= ? ORDER BY id LIMIT 1")
        .get<{ id: number }>(Date.now() - EVENT_RETENTION.ms)?.id ?? last;
      // Never the newest row: it keeps the next id above every id a reader has seen.
      const cut = Math.min(last, Math.max(young, last - EVENT_RETENTION.rows + 1));
      return this.#db.prepare("DELETE FROM events WHERE id < ?").run(cut).changes;
    });
  }

  async listen(_topic: "work" | "events", _onWake: () => void): Promise<() => Promise<void>> {
    // One host: the supervisor's socket and signals wake it.
    return () => Promise.resolve();
  }

  async close(): Promise<void> {
    this.#connection.close();
  }
}

/** The WHERE clause (with its parameters) of a list filter's conditions (not its order or page). */
function _whereOf(filter: ListFilter): { where: string; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.ids) {
    where.push("id IN (SELECT value FROM json_each(?))");
    params.push(JSON.stringify(filter.ids));
  }
  if (filter.status?.length) {
    where.push(`status IN (${filter.status.map(() => "?").join(", ")})`);
    params.push(...filter.status);
  }
  const simple: [SqlValue | undefined, string][] = [
    [filter.group, "grp = ?"],
    [filter.host, "host = ?"],
    [filter.scheduleId, "schedule_id = ?"],
    [filter.name, "name GLOB ?"],
    [filter.since, "created_at >= ?"],
    [filter.until, "created_at < ?"],
    [filter.beforeId, "id < ?"],
    [filter.afterId, "id > ?"],
  ];
  for (const [value, clause] of simple) {
    if (value === undefined) continue;
    where.push(clause);
    params.push(value);
  }
  if (filter.search) {
    // The spec is MessagePack: its strings (argv, line, module) are in it as UTF-8 bytes.
    where.push("(id = ? OR name LIKE ? ESCAPE '\\' OR instr(spec, CAST(? AS BLOB)) > 0)");
    const text = filter.search;
    params.push(/^\d+$/.test(text) ? Number(text) : -1, `%${likeEscape(text)}%`, text);
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

/** The condition (and its parameters) a fenced write adds; nothing without a fence. */
function _fenced(fence: RunFence | undefined): [string, SqlValue[]] {
  if (!fence) return ["", []];
  const running = `AND attempt = ? AND status IN ${sqlSet(RUNNING)}`;
  return fence.owner === undefined
    ? [running, [fence.attempt]]
    : [`${running} AND owner = ?`, [fence.attempt, fence.owner]];
}
