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
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import { openSqlite, type SqliteDatabase, type SqlValue } from "../runtime/sqlite.ts";
import { decode, encode } from "../task/codec.ts";
import type { NewTask, Task, TaskKind, TaskOutcome, TaskStatus } from "../task/types.ts";
import { migrate } from "./migrations.ts";
import {
  LEASE_MS,
  type ListFilter,
  type StatusCounts,
  type SupervisorRecord,
  type TaskStore,
} from "./task_store.ts";

/** Delay before retry n of a failed attempt: 1 s, 2 s, 4 s … capped at 5 minutes. */
const retryDelay = (attempt: number) => Math.min(1000 * 2 ** Math.max(0, attempt - 1), 300_000);

const COLUMNS = `id, kind, spec, name, grp, priority, status, run_at, created_at, started_at,
  finished_at, attempt, max_attempts, env, cwd, meta, pid, exit_code, signal, result, error,
  progress, progress_message, owner, lease_until`;

interface Row {
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
  env: string;
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
}

/** SQLite implementation of {@linkcode TaskStore}. */
export class SqliteTaskStore implements TaskStore {
  #db: SqliteDatabase;

  private constructor(db: SqliteDatabase) {
    this.#db = db;
  }

  /** Opens (creating and migrating) the database at `path`, readable by its owner only. */
  static async open(path: string): Promise<SqliteTaskStore> {
    if (path !== ":memory:" && !existsSync(path)) closeSync(openSync(path, "a", 0o600));
    const db = await openSqlite(path);
    db.exec("PRAGMA busy_timeout = 10000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    _retryBusy(() => migrate(db));
    if (path !== ":memory:") {
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        if (existsSync(file)) chmodSync(file, 0o600);
      }
    }
    return new SqliteTaskStore(db);
  }

  submit(tasks: readonly NewTask[]): number[] {
    const now = Date.now();
    const insert = this.#db.prepare(
      `INSERT INTO tasks (kind, spec, name, grp, priority, status, run_at, created_at,
         max_attempts, env, cwd, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return this.#transaction(() =>
      tasks.map((task) => {
        const runAt = task.runAt ?? now;
        const result = insert.run(
          task.spec.kind,
          encode(task.spec),
          task.name ?? null,
          task.group ?? "default",
          task.priority ?? 0,
          runAt > now ? "scheduled" : "queued",
          runAt,
          now,
          task.maxAttempts ?? 1,
          JSON.stringify(task.env ?? {}),
          task.cwd ?? process.cwd(),
          JSON.stringify(task.meta ?? {}),
        );
        return Number(result.lastInsertRowid);
      })
    );
  }

  get(id: number): Task | undefined {
    const row = this.#db.prepare(`SELECT ${COLUMNS} FROM tasks WHERE id = ?`).get<Row>(id);
    return row && _toTask(row);
  }

  list(filter: ListFilter = {}): Task[] {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.status?.length) {
      where.push(`status IN (${filter.status.map(() => "?").join(", ")})`);
      params.push(...filter.status);
    }
    if (filter.group !== undefined) {
      where.push("grp = ?");
      params.push(filter.group);
    }
    const order = filter.newestFirst === false ? "ASC" : "DESC";
    const sql = `SELECT ${COLUMNS} FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id ${order} LIMIT ? OFFSET ?`;
    params.push(filter.limit ?? 50, filter.offset ?? 0);
    return this.#db.prepare(sql).all<Row>(...params).map(_toTask);
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
    const row = this.#transaction(() =>
      this.#db.prepare(
        `UPDATE tasks SET status = 'running', owner = ?, started_at = ?, attempt = attempt + 1,
           lease_until = ? + ${LEASE_MS},
           pid = NULL, exit_code = NULL, signal = NULL, error = NULL, finished_at = NULL
         WHERE id = (
           SELECT id FROM tasks WHERE status IN ('queued', 'scheduled') AND run_at <= ?
             AND grp NOT IN (SELECT value FROM json_each(?))
           ORDER BY priority DESC, run_at, id LIMIT 1)
         RETURNING ${COLUMNS}`,
      ).get<Row>(owner, options.now, options.now, options.now, JSON.stringify(options.fullGroups))
    );
    return row && _toTask(row);
  }

  nextRunAt(): number | undefined {
    const row = this.#db
      .prepare(
        "SELECT min(run_at) AS at FROM tasks WHERE status IN ('queued', 'scheduled')",
      )
      .get<{ at: number | null }>();
    return row?.at ?? undefined;
  }

  heartbeat(owner: string, until: number): void {
    this.#transaction(() =>
      this.#db.prepare(
        "UPDATE tasks SET lease_until = ? WHERE owner = ? AND status IN ('running', 'paused')",
      ).run(until, owner)
    );
  }

  markStarted(id: number, pid: number | null): void {
    this.#transaction(() => this.#db.prepare("UPDATE tasks SET pid = ? WHERE id = ?").run(pid, id));
  }

  setProgress(id: number, fraction: number, message: string | null): void {
    this.#transaction(() =>
      this.#db
        .prepare("UPDATE tasks SET progress = ?, progress_message = ? WHERE id = ?")
        .run(fraction, message, id)
    );
  }

  finish(id: number, owner: string, outcome: TaskOutcome): Task | undefined {
    const now = Date.now();
    return this.#transaction(() => {
      const row = this.#db
        .prepare(
          `SELECT ${COLUMNS} FROM tasks WHERE id = ? AND owner = ? AND status IN ('running', 'paused')`,
        )
        .get<Row>(id, owner);
      if (!row) return undefined;
      const error = outcome.error ? JSON.stringify(outcome.error) : null;
      this.#db.prepare(
        `INSERT OR REPLACE INTO attempts (task_id, attempt, status, started_at, finished_at,
           exit_code, signal, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        row.attempt,
        outcome.status,
        row.started_at,
        now,
        outcome.exitCode ?? null,
        outcome.signal ?? null,
        error,
      );
      const retry = (outcome.status === "failed" || outcome.status === "timed_out" ||
        outcome.status === "lost") && row.attempt < row.max_attempts;
      const result = outcome.result === undefined ? null : encode(outcome.result);
      const updated = this.#db.prepare(
        `UPDATE tasks SET status = ?, run_at = ?, finished_at = ?, exit_code = ?, signal = ?,
           result = ?, error = ?, owner = NULL, lease_until = NULL WHERE id = ? RETURNING ${COLUMNS}`,
      ).get<Row>(
        retry ? "queued" : outcome.status,
        retry ? now + retryDelay(row.attempt) : row.run_at,
        retry ? null : now,
        outcome.exitCode ?? null,
        outcome.signal ?? null,
        result,
        error,
        id,
      );
      return updated && _toTask(updated);
    });
  }

  cancel(id: number): boolean {
    return this.#transaction(() =>
      this.#db.prepare(
        `UPDATE tasks SET status = 'canceled', finished_at = ?
         WHERE id = ? AND status IN ('queued', 'scheduled', 'blocked')`,
      ).run(Date.now(), id).changes > 0
    );
  }

  orphans(owner: string): Task[] {
    return this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM tasks WHERE status IN ('running', 'paused') AND owner IS NOT ? ORDER BY id`,
      )
      .all<Row>(owner)
      .map(_toTask);
  }

  adopt(id: number, owner: string): void {
    this.#transaction(() =>
      this.#db.prepare("UPDATE tasks SET owner = ? WHERE id = ?").run(owner, id)
    );
  }

  remove(ids: readonly number[]): number[] {
    return this.#transaction(() =>
      ids.filter((id) => {
        const done = this.#db
          .prepare("DELETE FROM tasks WHERE id = ? AND status NOT IN ('running', 'paused')")
          .run(id).changes > 0;
        if (done) this.#db.prepare("DELETE FROM attempts WHERE task_id = ?").run(id);
        return done;
      })
    );
  }

  takeSupervisor(
    me: SupervisorRecord,
    isHolderAlive: (holder: SupervisorRecord) => boolean,
  ): SupervisorRecord {
    return this.#transaction(() => {
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
    this.#transaction(() => this.#db.prepare("DELETE FROM supervisor WHERE owner = ?").run(owner));
  }

  supervisor(): SupervisorRecord | undefined {
    const row = this.#db
      .prepare("SELECT owner, pid, start_time, started_at FROM supervisor WHERE one = 1")
      .get<{ owner: string; pid: number; start_time: string | null; started_at: number }>();
    return row &&
      { owner: row.owner, pid: row.pid, startTime: row.start_time, startedAt: row.started_at };
  }

  close(): void {
    this.#db.close();
  }

  /** Runs `fn` in one IMMEDIATE transaction, retrying when another writer holds the lock. */
  #transaction<T>(fn: () => T): T {
    return _retryBusy(() => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const value = fn();
        this.#db.exec("COMMIT");
        return value;
      } catch (error) {
        try {
          this.#db.exec("ROLLBACK");
        } catch { /* the failed statement already rolled back */ }
        throw error;
      }
    });
  }
}

function _isBusy(error: unknown): boolean {
  const text = `${(error as { code?: unknown })?.code ?? ""} ${(error as Error)?.message ?? ""}`;
  return /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i.test(text);
}

function _retryBusy<T>(fn: () => T): T {
  for (let attempt = 0;; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!_isBusy(error) || attempt >= 50) throw error;
      _sleepSync(Math.min(2 ** attempt, 100) * (0.5 + Math.random()));
    }
  }
}

function _sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function _toTask(row: Row): Task {
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
    env: JSON.parse(row.env),
    cwd: row.cwd,
    meta: JSON.parse(row.meta),
    pid: row.pid,
    exitCode: row.exit_code,
    signal: row.signal,
    result: row.result ? decode(row.result) : undefined,
    error: row.error ? JSON.parse(row.error) : null,
    progress: row.progress,
    progressMessage: row.progress_message,
    owner: row.owner,
    leaseUntil: row.lease_until,
  };
}
