/**
 * The PostgreSQL TaskStore: several supervisors and clients on one database, every method one
 * transaction on the database's clock (`now_ms()`), claims with FOR UPDATE SKIP LOCKED, writes
 * about a running task fenced by (owner, attempt), and every state change's event written in
 * the same transaction (the outbox).
 *
 * @example
 * ```ts
 * const store = await PostgresTaskStore.open("postgres://postgres@127.0.0.1/jobs?schema=bgt");
 * const [{ id }] = await store.submit([{ spec: { kind: "command", argv: ["true"] } }]);
 * (await store.get(id))?.status; // "queued"
 * await store.close();
 * ```
 */
import { groupRoom, pickClaims } from "../../task/claims.ts";
import { encode } from "../../task/codec.ts";
import type { TaskEvent } from "../../task/events.ts";
import { globToRegExp } from "../../task/glob.ts";
import { mergePatch } from "../../task/merge_patch.ts";
import { ACTIVE, DUE, ENDED, inSet, RUNNING, sqlSet } from "../../task/statuses.ts";
import {
  type Attempt,
  type NewTask,
  type SubmitResult,
  type Task,
  type TaskStatus,
} from "../../task/types.ts";
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
} from "../task_store.ts";
import {
  connectPostgres,
  type PostgresConnection,
  type PostgresRole,
  type Sql,
  type TransactionSql,
} from "./postgres_connection.ts";
import {
  carriedApart,
  keepCarriedCode,
  pruneCarriedCode,
  withCarriedCode,
} from "./postgres_carried_code.ts";
import { listenWithPolling } from "./postgres_listener.ts";
import { migratePostgres } from "./postgres_migrations.ts";
import {
  LIST_COLUMNS,
  TASK_COLUMNS,
  toAttempt,
  toEvent,
  toHex,
  toSupervisor,
  toTask,
} from "./postgres_rows.ts";
import { PostgresHookStore } from "./postgres_hook_store.ts";
import { PostgresScheduleStore } from "./postgres_schedule_store.ts";
import { PostgresControlStore, PostgresOutputStore } from "./postgres_shared_io.ts";
import {
  DEFAULT_LEASE_MS,
  hostInfo,
  likeEscape,
  runEnded,
  runEndedAt,
  SORT_COLUMNS,
} from "../store_rows.ts";
import {
  dependantsOf,
  endNotStarted,
  insertTasks,
  isPlain,
  placedFor,
  settleDependants,
  settleFound,
  submitPlain,
} from "./postgres_task_writes.ts";
import {
  EVENT_CHANNEL,
  pipelinedTransaction,
  WAKE_CHANNEL,
  type Write,
  writeTransaction,
} from "./postgres_write.ts";
import { storeUnavailable } from "./store_unavailable.ts";

/** Events older than this are pruned. */
export const EVENT_RETENTION_MS = 7 * 24 * 3600_000;
/** At most this many events are kept. */
export const EVENT_RETENTION_COUNT = 100_000;

/** PostgreSQL implementation of {@linkcode TaskStore}. */
export class PostgresTaskStore implements TaskStore {
  readonly kind = "postgres" as const;
  readonly description: string;
  readonly schedules: PostgresScheduleStore;
  readonly output: PostgresOutputStore;
  readonly control: PostgresControlStore;
  readonly hooks: PostgresHookStore;
  #connection: PostgresConnection;

  private constructor(connection: PostgresConnection) {
    this.#connection = connection;
    this.description = connection.description;
    this.schedules = new PostgresScheduleStore(connection);
    this.output = new PostgresOutputStore(connection);
    this.control = new PostgresControlStore(connection);
    this.hooks = new PostgresHookStore(connection);
  }

  /**
   * Connects and migrates (`?schema=NAME` in the URL, default `bgt`). A store that cannot be
   * reached throws one line with `code` "STORE_UNAVAILABLE".
   */
  static async open(url: string, role: PostgresRole = "client"): Promise<PostgresTaskStore> {
    const connection = connectPostgres(url, role);
    try {
      await migratePostgres(connection);
    } catch (error) {
      await connection.sql.end({ timeout: 0 }).catch(() => {});
      throw storeUnavailable(error, connection.target) ?? error;
    }
    return new PostgresTaskStore(connection);
  }

  get #sql() {
    return this.#connection.sql;
  }

  #write<T>(body: (w: Write) => Promise<T>) {
    return writeTransaction(this.#connection, body);
  }

  async now(): Promise<number> {
    const [{ now }] = await this.#sql`SELECT now_ms() AS now`;
    return now;
  }

  // ------------------------------------------------------------------------------------ reads

  async get(id: number): Promise<Task | undefined> {
    const [row] = await this.#sql`SELECT ${this.#sql.unsafe(TASK_COLUMNS)} FROM tasks
      WHERE id = ${id}`;
    return row && toTask(row);
  }

  async list(filter: ListFilter = {}): Promise<Task[]> {
    const sql = this.#sql;
    const desc = filter.newestFirst !== false;
    const column = SORT_COLUMNS[filter.sort ?? "id"];
    // SQLite orders NULL lowest: first ascending, last descending.
    const order = desc ? "DESC NULLS LAST" : "ASC NULLS FIRST";
    const by = column === "id" ? `id ${order}` : `${column} ${order}, id ${order}`;
    const rows = await sql`SELECT ${sql.unsafe(LIST_COLUMNS)} FROM tasks
      WHERE ${this.#where(filter)} ORDER BY ${sql.unsafe(by)}
      LIMIT ${filter.limit ?? 50} OFFSET ${filter.offset ?? 0}`;
    return rows.map(toTask);
  }

  async count(filter: ListFilter = {}, upTo?: number): Promise<number> {
    const sql = this.#sql;
    const [{ n }] = upTo === undefined
      ? await sql`SELECT count(*) AS n FROM tasks WHERE ${this.#where(filter)}`
      : await sql`SELECT count(*) AS n FROM (SELECT 1 FROM tasks WHERE ${this.#where(filter)}
          LIMIT ${Math.max(0, upTo)}) AS kept`;
    return n;
  }

  /** The conditions of a list filter (not its order or page), as one SQL fragment. */
  #where(filter: ListFilter) {
    const sql = this.#sql;
    const parts = [sql`true`];
    if (filter.ids) parts.push(sql`id = ANY (${filter.ids}::bigint[])`);
    if (filter.status?.length) parts.push(sql`status = ANY (${filter.status}::text[])`);
    if (filter.group !== undefined) parts.push(sql`grp = ${filter.group}`);
    if (filter.host !== undefined) parts.push(sql`host = ${filter.host}`);
    if (filter.scheduleId !== undefined) parts.push(sql`schedule_id = ${filter.scheduleId}`);
    if (filter.name !== undefined) parts.push(sql`name ~ ${globToRegExp(filter.name)}`);
    if (filter.since !== undefined) parts.push(sql`created_at >= ${filter.since}`);
    if (filter.until !== undefined) parts.push(sql`created_at < ${filter.until}`);
    if (filter.beforeId !== undefined) parts.push(sql`id < ${filter.beforeId}`);
    if (filter.afterId !== undefined) parts.push(sql`id > ${filter.afterId}`);
    if (filter.search) {
      // The spec is MessagePack: its strings (argv, line, module) are in it as UTF-8 bytes.
      const text = filter.search;
      const id = /^\d+$/.test(text) ? Number(text) : -1;
      parts.push(sql`(id = ${id} OR name ILIKE ${`%${likeEscape(text)}%`}
        OR position(convert_to(${text}, 'UTF8') IN spec) > 0)`);
    }
    for (const [key, value] of Object.entries(filter.meta ?? {})) {
      // Text values compare as they are; numbers, booleans and objects as their JSON text.
      parts.push(sql`(CASE jsonb_typeof(meta -> ${key}) WHEN 'string' THEN meta ->> ${key}
        ELSE (meta -> ${key})::text END) = ${value}`);
    }
    return parts.reduce((all, part) => sql`${all} AND ${part}`);
  }

  async counts(): Promise<StatusCounts> {
    const rows = await this.#sql`SELECT status, count(*) AS n FROM tasks GROUP BY status`;
    return Object.fromEntries(rows.map((row) => [row.status, row.n]));
  }

  async countsByGroup(finishedSince: number): Promise<GroupStatusCount[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT grp, status, count(*)::int AS n FROM tasks
        WHERE status IN ${sql.unsafe(sqlSet(ACTIVE))} GROUP BY grp, status
      UNION ALL
      SELECT grp, status, count(*)::int FROM tasks
        WHERE created_at >= ${finishedSince} AND status IN ${sql.unsafe(sqlSet(ENDED))}
        GROUP BY grp, status`;
    return rows.map((row) => ({ group: row.grp, status: row.status, count: row.n }));
  }

  async endsPerMinute(since: number): Promise<MinuteTally[]> {
    const rows = await this.#sql`SELECT (at / 60000) * 60000 AS minute,
        count(*) FILTER (WHERE kind = 'succeeded')::int AS succeeded,
        count(*) FILTER (WHERE kind <> 'succeeded')::int AS failed
      FROM events WHERE at >= ${since} AND kind IN ('succeeded', 'failed', 'timed_out', 'lost')
      GROUP BY 1 ORDER BY 1`;
    return rows.map((row) => ({
      minute: Number(row.minute),
      succeeded: row.succeeded,
      failed: row.failed,
    }));
  }

  async attempts(id: number): Promise<Attempt[]> {
    const rows = await this.#sql`SELECT * FROM attempts WHERE task_id = ${id} ORDER BY attempt`;
    return rows.map(toAttempt);
  }

  async groups(): Promise<GroupSetting[]> {
    const rows = await this.#sql`SELECT name, parallel, paused FROM groups ORDER BY name`;
    return rows.map((row) => ({ name: row.name, parallel: row.parallel, paused: row.paused }));
  }

  async runningByGroup(): Promise<Record<string, number>> {
    const rows = await this.#sql`SELECT grp, count(*) AS n FROM tasks
      WHERE status IN ${this.#sql.unsafe(sqlSet(RUNNING))} GROUP BY grp`;
    return Object.fromEntries(rows.map((row) => [row.grp, row.n]));
  }

  async events(
    after: number,
    filter: { taskIds?: readonly number[]; limit?: number } = {},
  ): Promise<TaskEvent[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT id, at, task_id, kind, data FROM events WHERE id > ${after}
      ${filter.taskIds ? sql`AND task_id = ANY (${[...filter.taskIds]}::bigint[])` : sql``}
      ORDER BY id LIMIT ${filter.limit ?? 1000}`;
    return rows.map(toEvent);
  }

  async lastEventId(): Promise<number> {
    const [{ id }] = await this.#sql`SELECT coalesce(max(id), 0) AS id FROM events`;
    return id;
  }

  // ---------------------------------------------------------------------------------- batches

  async submit(newTasks: readonly NewTask[]): Promise<SubmitResult[]> {
    if (!newTasks.length) return [];
    // Carried code is kept once per bundle, in the submission's transaction.
    const { tasks, codes } = carriedApart(newTasks);
    if (tasks.every(isPlain)) return await submitPlain(this.#connection, tasks, codes);
    return (await this.#write(async (w) => {
      await keepCarriedCode(w.tx, codes);
      return await insertTasks(w, tasks);
    })).value;
  }

  async claim(owner: string, room: ClaimRoom): Promise<Task[]> {
    // The runner gets the code a task carries; lists and reads never load it.
    return await withCarriedCode(this.#sql, await this.#claim(owner, room));
  }

  async #claim(owner: string, room: ClaimRoom): Promise<Task[]> {
    if (room.maxProcesses <= 0 && room.maxWorkers <= 0) return [];
    if (room.limit !== undefined && room.limit <= 0) return [];
    const fast = await this.#claimUnlimited(owner, room);
    if (fast) return fast;
    const { value } = await this.#write(async (w) => {
      const { tx } = w;
      // Limited groups' rows are locked, so claimers of those groups take turns and each sees
      // the others' claims: a group's limit holds across supervisors.
      const limited = await tx`SELECT name, parallel FROM groups WHERE parallel IS NOT NULL
        ORDER BY name FOR UPDATE`;
      const running = limited.length
        ? await tx`SELECT grp, count(*) AS n FROM tasks WHERE status IN ${
          tx.unsafe(sqlSet(RUNNING))
        }
            AND grp = ANY (${limited.map((group) => group.name)}::text[]) GROUP BY grp`
        : [];
      const { full, room: groupsRoom } = groupRoom(
        limited as unknown as GroupSetting[],
        Object.fromEntries(running.map((row) => [row.grp, row.n])),
      );
      const extra = Object.keys(groupsRoom).length ? 32 : 0;
      const candidates = async (inWorker: boolean, budget: number) =>
        budget <= 0 ? [] : await tx`
          SELECT t.id, t.grp, t.in_worker, t.priority, t.run_at FROM tasks t
          WHERE t.in_worker = ${inWorker} AND t.status IN ${tx.unsafe(sqlSet(DUE))}
            AND t.run_at <= now_ms() AND t.grp <> ALL (${full}::text[])
            AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.name = t.grp AND g.paused)
            AND ${placedFor(tx, owner)}
          ORDER BY t.in_worker, t.priority DESC, t.run_at, t.id
          LIMIT ${budget + extra} FOR UPDATE OF t SKIP LOCKED`;
      const found = [
        ...await candidates(false, room.maxProcesses),
        ...await candidates(true, room.maxWorkers),
      ];
      const ids = pickClaims(
        found.map((row) => ({
          id: row.id,
          grp: row.grp,
          inWorker: row.in_worker,
          priority: row.priority,
          runAt: row.run_at,
        })),
        {
          maxProcesses: room.maxProcesses,
          maxWorkers: room.maxWorkers,
          limit: room.limit,
          room: groupsRoom,
        },
      );
      if (!ids.length) return [];
      const rows = await tx`
        UPDATE tasks SET status = 'running', owner = ${owner},
          home = (SELECT s.home FROM supervisors s WHERE s.owner = ${owner}),
          host = (SELECT s.host FROM supervisors s WHERE s.owner = ${owner}),
          started_at = ${w.now}, attempt = attempt + 1, lease_until = NULL, pid = NULL,
          exit_code = NULL, signal = NULL, error = NULL, finished_at = NULL, stop_reason = NULL,
          stop_signal = NULL, paused_at = NULL, paused_ms = 0
        WHERE id = ANY (${ids}::bigint[]) AND status IN ${tx.unsafe(sqlSet(DUE))}
        RETURNING ${tx.unsafe(TASK_COLUMNS)}`;
      const order = new Map(ids.map((id, i) => [id, i]));
      const tasks = rows.map(toTask).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      for (const task of tasks) w.emit(task.id, "started", { attempt: task.attempt, owner });
      return tasks;
    });
    return value;
  }

  /**
   * The claim when no group has a limit: one statement in a transaction of one round trip
   * (candidates locked SKIP LOCKED, claimed, their events written under the events lock and
   * announced). Undefined when some group has a limit (the caller then takes the groups'
   * locks). Bitmap scans are off for it: on a table not yet analyzed the planner guesses a
   * handful of due rows and would rather read and sort the whole queue than walk
   * `tasks_due_kind` in order; the paused check is a per-row lookup for the same reason (an
   * anti-join would lose the index order).
   */
  async #claimUnlimited(owner: string, room: ClaimRoom): Promise<Task[] | undefined> {
    const schema = this.#connection.schema;
    const [, rows] = await pipelinedTransaction(this.#connection, (tx) => {
      const candidates = (inWorker: boolean, budget: number) =>
        tx`SELECT t.id, t.priority, t.run_at FROM tasks t
          WHERE NOT (SELECT limited FROM lim) AND t.in_worker = ${inWorker}
            AND t.status IN ${tx.unsafe(sqlSet(DUE))} AND t.run_at <= now_ms()
            AND NOT coalesce((SELECT g.paused FROM groups g WHERE g.name = t.grp), false)
            AND ${placedFor(tx, owner)}
          ORDER BY t.in_worker, t.priority DESC, t.run_at, t.id
          LIMIT ${Math.max(0, budget)} FOR UPDATE OF t SKIP LOCKED`;
      return [
        tx`SET LOCAL enable_bitmapscan = off`,
        tx`
        WITH lim AS MATERIALIZED (
          SELECT EXISTS (SELECT 1 FROM groups WHERE parallel IS NOT NULL) AS limited),
        c0 AS (${candidates(false, room.maxProcesses)}),
        c1 AS (${candidates(true, room.maxWorkers)}),
        picked AS (
          SELECT id FROM (SELECT * FROM c0 UNION ALL SELECT * FROM c1) c
          ORDER BY c.priority DESC, c.run_at, c.id LIMIT ${room.limit ?? null}),
        claimed AS (
          UPDATE tasks SET status = 'running', owner = ${owner},
            home = (SELECT s.home FROM supervisors s WHERE s.owner = ${owner}),
            host = (SELECT s.host FROM supervisors s WHERE s.owner = ${owner}),
            started_at = now_ms(), attempt = attempt + 1, lease_until = NULL, pid = NULL,
            exit_code = NULL, signal = NULL, error = NULL, finished_at = NULL,
            stop_reason = NULL, stop_signal = NULL, paused_at = NULL, paused_ms = 0
          FROM picked WHERE tasks.id = picked.id AND tasks.status IN ${tx.unsafe(sqlSet(DUE))}
          RETURNING ${tx.unsafe(TASK_COLUMNS)}),
        lock AS MATERIALIZED (
          SELECT pg_advisory_xact_lock(hashtext(${"bgt.events:" + schema}))
          WHERE EXISTS (SELECT 1 FROM claimed)),
        ins AS (
          INSERT INTO events (at, task_id, kind, data)
          SELECT now_ms(), c.id, 'started',
            jsonb_build_object('attempt', c.attempt, 'owner', ${owner}::text)
          FROM lock, claimed c
          ORDER BY c.priority DESC, c.run_at, c.id
          RETURNING id),
        note AS (
          SELECT pg_notify(${EVENT_CHANNEL}, ${schema + ":"} || max(id)) FROM ins
          HAVING count(*) > 0)
        SELECT lim.limited, (SELECT count(*) FROM note) AS notes, c.*
        FROM lim LEFT JOIN claimed c ON true
        ORDER BY c.priority DESC, c.run_at, c.id`,
      ];
    });
    if (rows[0].limited) return undefined;
    return rows.filter((row: Record<string, any>) => row.id !== null).map(toTask);
  }

  async finish(
    owner: string,
    ends: readonly RunEnd[],
    started: readonly RunStart[] = [],
  ): Promise<TaskEvent[]> {
    if (!ends.length && !started.length) return [];
    const fences = ends.map(({ id, attempt }) => ({ id, attempt }));
    // The pid update and the fenced read need not the clock: they go out with BEGIN. Each
    // statement names its ids as an array too, so that tasks is read by its key, not scanned
    // and hashed against the batch.
    const opening = (tx: TransactionSql) => [
      started.length
        ? tx`
          UPDATE tasks SET pid = x.pid
          FROM jsonb_to_recordset(${tx.json(started as any)}) AS x(id bigint, attempt int, pid int)
          WHERE tasks.id = ANY (${started.map((run) => run.id)}::bigint[])
            AND tasks.id = x.id AND tasks.attempt = x.attempt AND tasks.owner = ${owner}
            AND tasks.status IN ${tx.unsafe(sqlSet(RUNNING))}`
        : Promise.resolve([]),
      ends.length
        ? tx`
          SELECT t.id, t.attempt, t.max_attempts, t.backoff_ms, t.started_at, t.run_at, t.pid,
            t.restart_policy, t.restart_delay_ms, t.max_restarts, t.restarts, t.restart_streak,
            t.stop_reason,
            EXISTS (SELECT 1 FROM groups g WHERE g.name = t.grp AND g.parallel IS NOT NULL)
              AS limited
          FROM tasks t
          WHERE t.id = ANY (${fences.map((fence) => fence.id)}::bigint[])
            AND t.owner = ${owner} AND t.status IN ${tx.unsafe(sqlSet(RUNNING))}
            AND (t.id, t.attempt) IN (SELECT e.id, e.attempt
              FROM jsonb_to_recordset(${tx.json(fences as any)}) AS e(id bigint, attempt int))
          ORDER BY t.id FOR UPDATE OF t`
        : Promise.resolve([]),
    ];
    const { events } = await writeTransaction(this.#connection, async (w, opened) => {
      const { tx } = w;
      const rows = opened[1] as Record<string, any>[];
      const byId = new Map(rows.map((row) => [row.id as number, row]));
      const attempts: Record<string, unknown>[] = [];
      const updates: Record<string, unknown>[] = [];
      const ended: number[] = [];
      for (const { id, outcome } of ends) {
        const row = byId.get(id);
        if (!row) continue; // stale (another attempt, another owner, or already ended)
        byId.delete(id);
        const next = runEnded(row, outcome, w.now);
        const error = outcome.error ?? null;
        const result = outcome.result === undefined ? null : toHex(encode(outcome.result));
        const slice = (stream: "stdout" | "stderr" | "data") =>
          outcome.slices?.[stream] ?? [null, null];
        const [stdoutStart, stdoutEnd] = slice("stdout");
        const [stderrStart, stderrEnd] = slice("stderr");
        const [dataStart, dataEnd] = slice("data");
        const exitCode = outcome.exitCode ?? null;
        const signal = outcome.signal ?? null;
        attempts.push({
          id,
          attempt: row.attempt,
          status: outcome.status,
          started_at: row.started_at,
          finished_at: runEndedAt(row, outcome, w.now),
          exit_code: exitCode,
          signal,
          error,
          pid: row.pid,
          result,
          stdout_start: stdoutStart,
          stdout_end: stdoutEnd,
          stderr_start: stderrStart,
          stderr_end: stderrEnd,
          data_start: dataStart,
          data_end: dataEnd,
        });
        updates.push({
          id,
          status: next.status,
          run_at: next.runAt,
          finished_at: next.finishedAt,
          exit_code: exitCode,
          signal,
          result,
          error,
          restarts: next.restart?.restarts ?? row.restarts,
          restart_streak: next.restart?.restartStreak ?? row.restart_streak,
        });
        w.emit(id, next.event, next.data);
        if (next.event !== "retrying") ended.push(id);
        // A slot of a limited group is free: every host may claim it, not only this one.
        if (row.limited) w.wake();
      }
      if (!attempts.length) return;
      // The attempts, the tasks and the ended tasks' dependants: one round trip, set-based.
      const [, , dependants] = await Promise.all([
        tx`
          INSERT INTO attempts (task_id, attempt, status, started_at, finished_at, exit_code,
            signal, error, pid, result, stdout_start, stdout_end, stderr_start, stderr_end,
            data_start, data_end)
          SELECT a.id, a.attempt, a.status, a.started_at, a.finished_at, a.exit_code, a.signal,
            a.error, a.pid, decode(a.result, 'hex'), a.stdout_start, a.stdout_end,
            a.stderr_start, a.stderr_end, a.data_start, a.data_end
          FROM jsonb_to_recordset(${tx.json(attempts as any)}) AS a(id bigint, attempt int,
            status text, started_at bigint, finished_at bigint, exit_code int, signal text,
            error jsonb, pid int,
            result text, stdout_start bigint, stdout_end bigint, stderr_start bigint,
            stderr_end bigint, data_start bigint, data_end bigint)
          ORDER BY a.id
          ON CONFLICT (task_id, attempt) DO UPDATE SET status = excluded.status,
            finished_at = excluded.finished_at, exit_code = excluded.exit_code,
            signal = excluded.signal, error = excluded.error, result = excluded.result,
            stdout_start = excluded.stdout_start, stdout_end = excluded.stdout_end,
            stderr_start = excluded.stderr_start, stderr_end = excluded.stderr_end,
            data_start = excluded.data_start, data_end = excluded.data_end`,
        tx`
          UPDATE tasks SET status = x.status, run_at = x.run_at, finished_at = x.finished_at,
            exit_code = x.exit_code, signal = x.signal, result = decode(x.result, 'hex'),
            error = x.error, owner = NULL, lease_until = NULL, stop_reason = NULL,
            stop_signal = NULL, paused_at = NULL, restarts = x.restarts,
            restart_streak = x.restart_streak
          FROM jsonb_to_recordset(${tx.json(updates as any)}) AS x(id bigint, status text,
            run_at bigint, finished_at bigint, exit_code int, signal text, result text,
            error jsonb, restarts int, restart_streak int)
          WHERE tasks.id = ANY (${updates.map((row) => row.id)}::bigint[]) AND tasks.id = x.id`,
        ended.length ? dependantsOf(w, ended) : [],
      ]);
      if (dependants.length) await settleFound(w, dependants.map((row) => row.id as number));
    }, opening);
    return events;
  }

  async cancel(ids: readonly number[]): Promise<TaskEvent[]> {
    if (!ids.length) return [];
    return (await this.#write((w) => endNotStarted(w, ids, "canceled", null))).events;
  }

  async remove(ids: readonly number[]): Promise<RemoveResult> {
    const { value, events } = await this.#write(async (w) => {
      const { tx } = w;
      const rows = ids.length
        ? await tx`SELECT id, status FROM tasks WHERE id = ANY (${[...ids]}::bigint[])
            ORDER BY id FOR UPDATE`
        : [];
      const status = new Map(rows.map((row) => [row.id as number, row.status as TaskStatus]));
      const running: RemoveResult["running"] = [];
      const missing: number[] = [];
      const removable: number[] = [];
      for (const id of ids) {
        const state = status.get(id);
        if (state === undefined) missing.push(id);
        else if (inSet(RUNNING, state)) running.push({ id, status: state });
        else removable.push(id);
      }
      const removed = [...new Set(removable)];
      if (removed.length) {
        await tx`DELETE FROM tasks WHERE id = ANY (${removed}::bigint[])`;
        await tx`DELETE FROM attempts WHERE task_id = ANY (${removed}::bigint[])`;
        await tx`DELETE FROM output WHERE task_id = ANY (${removed}::bigint[])`;
        for (const id of removed) w.emit(id, "removed", {});
        await settleDependants(w, removed);
      }
      return { removed, running, missing };
    });
    return { ...value, events };
  }

  async finishedIds(
    filter: { before?: number; status?: TaskStatus[]; group?: string; unneeded?: boolean },
  ): Promise<number[]> {
    const statuses = filter.status?.length ? filter.status : [...ENDED];
    const rows = await this.#sql`
      SELECT id FROM tasks WHERE status = ANY (${statuses}::text[])
        AND finished_at IS NOT NULL AND finished_at < ${filter.before ?? Number.MAX_SAFE_INTEGER}
        AND (${filter.group ?? null}::text IS NULL OR grp = ${filter.group ?? null})
        AND (NOT ${filter.unneeded ?? false}::boolean OR NOT EXISTS (
          SELECT 1 FROM dependencies d JOIN tasks w ON w.id = d.task_id
          WHERE d.dep_id = tasks.id AND w.status <> ALL (${[...ENDED]}::text[])))
      ORDER BY id`;
    return rows.map((row) => row.id);
  }

  async adoptOrphans(owner: string, home: string): Promise<Task[]> {
    const { value } = await this.#write(async ({ tx }) => {
      const rows = await tx`
        UPDATE tasks SET owner = ${owner}, home = ${home}
        WHERE status IN ${tx.unsafe(sqlSet(RUNNING))} AND (home = ${home} OR home IS NULL)
          AND (host IS NULL
            OR host IS NOT DISTINCT FROM (SELECT s.host FROM supervisors s WHERE s.owner = ${owner}))
          AND owner IS DISTINCT FROM ${owner}
          AND NOT EXISTS (SELECT 1 FROM supervisors s WHERE s.owner = tasks.owner)
        RETURNING ${tx.unsafe(TASK_COLUMNS)}`;
      return rows.map(toTask).sort((a, b) => a.id - b.id);
    });
    return value;
  }

  // --------------------------------------------------------------------------------- one task

  async betweenWrites<T>(id: number, act: () => T): Promise<T> {
    const schema = this.#connection.schema;
    // A report's transaction locks the task's row first, and opening the store takes the
    // migration lock: with both held here, no such transaction is half done.
    const { value } = await this.#write(async ({ tx }) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${"bgt.migrate:" + schema}))`;
      await tx`SELECT 1 FROM tasks WHERE id = ${id} FOR UPDATE`;
      return act();
    });
    return value;
  }

  async setPaused(id: number, paused: boolean, fence?: RunFence): Promise<boolean> {
    const { value } = await this.#write(async (w) => {
      const fenced = this.#fenced(w.tx, fence);
      const rows = paused
        ? await w.tx`UPDATE tasks SET status = 'paused', paused_at = ${w.now}
            WHERE id = ${id} AND status = 'running' ${fenced} RETURNING id`
        : await w.tx`UPDATE tasks SET status = 'running', paused_at = NULL,
            paused_ms = paused_ms + greatest(0, ${w.now} - coalesce(paused_at, ${w.now}))
            WHERE id = ${id} AND status = 'paused' ${fenced} RETURNING id`;
      if (rows.length) w.emit(id, paused ? "paused" : "resumed", {});
      return rows.length > 0;
    });
    return value;
  }

  async setStop(id: number, attempt: number, stop: RunStop): Promise<boolean> {
    const rows = await this.#sql`UPDATE tasks SET stop_reason = ${stop.reason},
        stop_signal = ${stop.signal}
      WHERE id = ${id} AND attempt = ${attempt} AND status IN ${this.#sql.unsafe(sqlSet(RUNNING))}
      RETURNING id`;
    return rows.length > 0;
  }

  /** The condition a fenced write adds (nothing without a fence). */
  #fenced(sql: TransactionSql | Sql, fence: RunFence | undefined) {
    if (!fence) return sql``;
    return sql`AND attempt = ${fence.attempt} AND status IN ${sql.unsafe(sqlSet(RUNNING))}
      ${fence.owner === undefined ? sql`` : sql`AND owner = ${fence.owner}`}`;
  }

  async setProgress(
    id: number,
    fraction: number,
    message: string | null,
    fence?: RunFence,
  ): Promise<void> {
    await this.#sql`UPDATE tasks SET progress = ${fraction}, progress_message = ${message}
      WHERE id = ${id} ${this.#fenced(this.#sql, fence)}`;
  }

  async mergeMeta(
    id: number,
    patch: Record<string, unknown>,
    fence?: RunFence,
  ): Promise<Task | undefined> {
    const { value } = await this.#write(async ({ tx }) => {
      const [row] = await tx`SELECT meta FROM tasks WHERE id = ${id} ${this.#fenced(tx, fence)}
        FOR UPDATE`;
      if (!row) return undefined;
      const meta = mergePatch(row.meta, patch);
      const [updated] = await tx`UPDATE tasks SET meta = ${tx.json(meta as any)}
        WHERE id = ${id} RETURNING ${tx.unsafe(TASK_COLUMNS)}`;
      return toTask(updated);
    });
    return value;
  }

  async setCheckpoint(id: number, value: unknown, fence?: RunFence): Promise<void> {
    await this.#sql`UPDATE tasks SET checkpoint = ${encode(value)}
      WHERE id = ${id} ${this.#fenced(this.#sql, fence)}`;
  }

  async restart(id: number): Promise<Task | undefined> {
    const { value } = await this.#write(async (w) => {
      const [row] = await w.tx`
        UPDATE tasks SET status = 'queued', run_at = ${w.now}, max_attempts = attempt + 1,
          restart_streak = 0,
          finished_at = NULL, exit_code = NULL, signal = NULL, result = NULL, error = NULL,
          pid = NULL, progress = NULL, progress_message = NULL
        WHERE id = ${id} AND (status = ANY (${[...ENDED]}::text[])
          OR (status = 'queued' AND restart_policy IS NOT NULL AND restarts > 0))
        RETURNING ${w.tx.unsafe(TASK_COLUMNS)}`;
      if (!row) return undefined;
      const task = toTask(row);
      w.emit(id, "submitted", { group: task.group, name: task.name, restart: true });
      w.wake();
      return task;
    });
    return value;
  }

  async setGroup(
    name: string,
    change: { parallel?: number | null; paused?: boolean },
  ): Promise<GroupSetting> {
    const { value } = await this.#write(async (w) => {
      const { tx } = w;
      await tx`INSERT INTO groups (name) VALUES (${name}) ON CONFLICT DO NOTHING`;
      if (change.parallel !== undefined) {
        await tx`UPDATE groups SET parallel = ${change.parallel} WHERE name = ${name}`;
      }
      if (change.paused !== undefined) {
        await tx`UPDATE groups SET paused = ${change.paused} WHERE name = ${name}`;
      }
      const [row] = await tx`SELECT name, parallel, paused FROM groups WHERE name = ${name}`;
      w.wake();
      return { name: row.name, parallel: row.parallel, paused: row.paused } as GroupSetting;
    });
    return value;
  }

  // ---------------------------------------------------------------- timing and supervisors

  async nextWakeIn(): Promise<number | undefined> {
    const [{ ms }] = await this.#sql`
      SELECT least(
        (SELECT min(run_at) FROM tasks WHERE status IN ${
      this.#sql.unsafe(sqlSet(DUE))
    } AND run_at > now_ms()),
        (SELECT min(next_at) FROM schedules WHERE NOT paused AND next_at IS NOT NULL)
      ) - now_ms() AS ms`;
    return ms === null ? undefined : Math.max(0, ms);
  }

  async heartbeat(owner: string, slots?: number): Promise<boolean> {
    const rows = await this.#sql`UPDATE supervisors SET heartbeat_at = now_ms(),
      slots = coalesce(${slots ?? null}::integer, slots) WHERE owner = ${owner} RETURNING owner`;
    return rows.length > 0;
  }

  async takeSupervisor(
    me: SupervisorRecord,
    isHolderAlive: (holder: SupervisorRecord) => boolean,
  ): Promise<SupervisorRecord> {
    const { value } = await this.#write(async ({ tx }) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${`bgt.home:${this.#connection.schema}:${me.home}`}))`;
      const rows = await tx`SELECT * FROM supervisors WHERE home = ${me.home}
        ORDER BY started_at, owner`;
      for (const holder of rows.map(toSupervisor)) {
        if (holder.owner !== me.owner && isHolderAlive(holder)) return holder;
      }
      await tx`DELETE FROM supervisors WHERE home = ${me.home}`;
      const [row] = await tx`
        INSERT INTO supervisors (owner, home, host, pid, start_time, started_at, heartbeat_at,
          labels, slots, version, lease_ms)
        VALUES (${me.owner}, ${me.home}, ${me.host}, ${me.pid}, ${me.startTime}, ${me.startedAt},
          now_ms(), ${me.labels ?? []}::text[], ${me.slots ?? 0}, ${me.version ?? ""},
          ${me.leaseMs ?? DEFAULT_LEASE_MS})
        RETURNING *`;
      return toSupervisor(row);
    });
    return value;
  }

  async releaseSupervisor(owner: string): Promise<void> {
    await this.#write(async ({ tx }) => {
      // What it leaves running (commands under their waiters) waits one lease for the home's
      // next supervisor to re-adopt it before another host may rescue it as lost.
      await tx`UPDATE tasks SET lease_until = now_ms() + coalesce(
          (SELECT s.lease_ms FROM supervisors s WHERE s.owner = ${owner}), ${DEFAULT_LEASE_MS})
        WHERE owner = ${owner} AND status IN ${tx.unsafe(sqlSet(RUNNING))}`;
      await tx`DELETE FROM supervisors WHERE owner = ${owner}`;
    });
  }

  async hosts(): Promise<HostInfo[]> {
    const rows = await this.#sql`SELECT s.*, now_ms() AS now,
        (SELECT count(*) FROM tasks t WHERE t.owner = s.owner
          AND t.status IN ${this.#sql.unsafe(sqlSet(RUNNING))}) AS used
      FROM supervisors s ORDER BY s.host, s.started_at, s.owner`;
    return rows.map((row) => hostInfo(toSupervisor(row), row.used, row.now));
  }

  async setDraining(owner: string, draining: boolean): Promise<void> {
    await this.#sql`UPDATE supervisors SET draining = ${draining} WHERE owner = ${owner}`;
  }

  async rescue(): Promise<RescueResult> {
    const schema = this.#connection.schema;
    const { value: found } = await this.#write(async ({ tx }) => {
      // One sweeper at a time; the others skip this round.
      const [{ locked }] = await tx`
        SELECT pg_try_advisory_xact_lock(hashtext(${"bgt.rescue:" + schema})) AS locked`;
      if (!locked) return { dead: [] as SupervisorRecord[], orphans: [] as Record<string, any>[] };
      const dead = await tx`DELETE FROM supervisors WHERE heartbeat_at + lease_ms < now_ms()
        RETURNING *`;
      // Running tasks whose supervisor is gone, unless a live supervisor of their home (on
      // their host) started lately and re-adopts them, or a graceful stop's grace still runs.
      const orphans = await tx`
        SELECT t.id, t.attempt, t.owner, t.host FROM tasks t
        WHERE t.status IN ${tx.unsafe(sqlSet(RUNNING))} AND t.owner IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM supervisors s WHERE s.owner = t.owner)
          AND NOT EXISTS (SELECT 1 FROM supervisors s WHERE s.home = t.home
            AND s.host IS NOT DISTINCT FROM t.host AND s.started_at > now_ms() - s.lease_ms)
          AND coalesce(t.lease_until, 0) < now_ms()
        ORDER BY t.id`;
      return { dead: dead.map(toSupervisor), orphans: [...orphans] };
    });
    const events: TaskEvent[] = [];
    const byOwner = new Map<string, Record<string, any>[]>();
    for (const row of found.orphans) {
      byOwner.set(row.owner, [...(byOwner.get(row.owner) ?? []), row]);
    }
    for (const [owner, rows] of byOwner) {
      // Fenced by (owner, attempt): a run its host ended meanwhile, or a home's supervisor
      // re-adopted, is left as it is.
      events.push(
        ...await this.finish(
          owner,
          rows.map((row) => ({
            id: row.id,
            attempt: row.attempt,
            outcome: {
              status: "lost" as const,
              error: {
                name: "Error",
                message: `The supervisor on host ${
                  row.host ?? "?"
                } that ran this task stopped heartbeating; another host declared it lost`,
              },
            },
          })),
        ),
      );
    }
    return { dead: found.dead, events };
  }

  async settings(): Promise<Record<string, string>> {
    const rows = await this.#sql`SELECT key, value FROM settings ORDER BY key`;
    return Object.fromEntries(rows.map((row) => [row.key as string, row.value as string]));
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    if (value === null) await this.#sql`DELETE FROM settings WHERE key = ${key}`;
    else {
      await this
        .#sql`INSERT INTO settings (key, value, updated_at) VALUES (${key}, ${value}, now_ms())
        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;
    }
  }

  async supervisorOf(home: string): Promise<SupervisorRecord | undefined> {
    const [row] = await this.#sql`SELECT * FROM supervisors WHERE home = ${home}
      ORDER BY started_at DESC, owner LIMIT 1`;
    return row && toSupervisor(row);
  }

  async pruneEvents(): Promise<number> {
    const rows = await this.#sql`
      DELETE FROM events WHERE at < now_ms() - ${EVENT_RETENTION_MS}
        OR id <= (SELECT id FROM events ORDER BY id DESC OFFSET ${EVENT_RETENTION_COUNT} LIMIT 1)`;
    await pruneCarriedCode(this.#sql); // housekeeping's other sweep on this store
    return rows.count;
  }

  listen(topic: "work" | "events", onWake: () => void): Promise<() => Promise<void>> {
    return listenWithPolling(
      this.#connection,
      topic === "work" ? WAKE_CHANNEL : EVENT_CHANNEL,
      onWake,
    );
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}
