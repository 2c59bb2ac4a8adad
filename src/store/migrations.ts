/**
 * The numbered schema migrations of the SQLite store. `PRAGMA user_version` records how many
 * have run; each runs in its own transaction. Never edit a released migration: add the next one.
 *
 * @example
 * ```ts
 * migrate(db); // brings any older bgt.db up to MIGRATIONS.length
 * migrate(other, { to: 8 }); // a bgt.db as bgt with 8 migrations left it
 * ```
 */
import type { SqliteDatabase } from "../runtime/sqlite.ts";
import { moveTaskEnvs } from "./task_envs.ts";

/** A schema step: SQL, or a function for a step SQL alone cannot do (it runs the SQL it needs). */
export type Migration = string | ((db: SqliteDatabase) => void);

/** Schema steps, in order; step i brings user_version from i to i + 1. */
export const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE tasks (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL,
     spec BLOB NOT NULL,
     name TEXT,
     grp TEXT NOT NULL DEFAULT 'default',
     priority INTEGER NOT NULL DEFAULT 0,
     status TEXT NOT NULL,
     run_at INTEGER NOT NULL,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     attempt INTEGER NOT NULL DEFAULT 0,
     max_attempts INTEGER NOT NULL DEFAULT 1,
     env TEXT NOT NULL DEFAULT '{}',
     cwd TEXT NOT NULL,
     meta TEXT NOT NULL DEFAULT '{}',
     pid INTEGER,
     exit_code INTEGER,
     signal TEXT,
     result BLOB,
     error TEXT,
     progress REAL,
     progress_message TEXT,
     owner TEXT,
     lease_until INTEGER
   );
   CREATE INDEX tasks_due ON tasks (priority DESC, run_at, id)
     WHERE status IN ('queued', 'scheduled');
   CREATE INDEX tasks_status ON tasks (status, id);
   CREATE INDEX tasks_owner ON tasks (owner) WHERE owner IS NOT NULL;
   CREATE TABLE attempts (
     task_id INTEGER NOT NULL,
     attempt INTEGER NOT NULL,
     status TEXT NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     exit_code INTEGER,
     signal TEXT,
     error TEXT,
     PRIMARY KEY (task_id, attempt)
   );
   CREATE TABLE supervisor (
     one INTEGER PRIMARY KEY CHECK (one = 1),
     owner TEXT NOT NULL,
     pid INTEGER NOT NULL,
     start_time TEXT,
     started_at INTEGER NOT NULL
   );`,
  // 2: scheduling — retries with backoff, timeouts, dependencies, keys, groups, schedules.
  `ALTER TABLE tasks ADD COLUMN backoff_ms INTEGER NOT NULL DEFAULT 1000;
   ALTER TABLE tasks ADD COLUMN timeout_ms INTEGER;
   ALTER TABLE tasks ADD COLUMN after_any INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN task_key TEXT;
   ALTER TABLE tasks ADD COLUMN schedule_id INTEGER;
   CREATE INDEX tasks_key ON tasks (task_key)
     WHERE task_key IS NOT NULL AND status IN ('scheduled', 'queued', 'blocked', 'running', 'paused');
   CREATE INDEX tasks_schedule ON tasks (schedule_id, id) WHERE schedule_id IS NOT NULL;
   CREATE TABLE dependencies (
     task_id INTEGER NOT NULL,
     dep_id INTEGER NOT NULL,
     PRIMARY KEY (task_id, dep_id)
   ) WITHOUT ROWID;
   CREATE INDEX dependencies_dep ON dependencies (dep_id);
   CREATE TABLE groups (
     name TEXT PRIMARY KEY,
     parallel INTEGER,
     paused INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE schedules (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     every TEXT NOT NULL,
     time_zone TEXT,
     template BLOB NOT NULL,
     overlap TEXT NOT NULL,
     catch_up TEXT NOT NULL,
     anchor INTEGER NOT NULL,
     start_at INTEGER,
     stop_at INTEGER,
     max_runs INTEGER,
     runs INTEGER NOT NULL DEFAULT 0,
     skipped INTEGER NOT NULL DEFAULT 0,
     last_slot INTEGER,
     next_at INTEGER,
     paused INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     last_task_id INTEGER
   );
   CREATE INDEX schedules_due ON schedules (next_at) WHERE paused = 0 AND next_at IS NOT NULL;`,
  // 3: control and streams — retained bytes, checkpoints, stdin, and each attempt's log slice.
  `ALTER TABLE tasks ADD COLUMN retain INTEGER;
   ALTER TABLE tasks ADD COLUMN stdin INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN checkpoint BLOB;
   ALTER TABLE attempts ADD COLUMN pid INTEGER;
   ALTER TABLE attempts ADD COLUMN result BLOB;
   ALTER TABLE attempts ADD COLUMN stdout_start INTEGER;
   ALTER TABLE attempts ADD COLUMN stdout_end INTEGER;
   ALTER TABLE attempts ADD COLUMN stderr_start INTEGER;
   ALTER TABLE attempts ADD COLUMN stderr_end INTEGER;
   ALTER TABLE attempts ADD COLUMN data_start INTEGER;
   ALTER TABLE attempts ADD COLUMN data_end INTEGER;
   CREATE INDEX tasks_name ON tasks (name) WHERE name IS NOT NULL;
   CREATE INDEX tasks_created ON tasks (created_at);`,
  // 4: the earliest waiting run_at in O(log n), for the supervisor's timer.
  `CREATE INDEX tasks_waiting_run_at ON tasks (run_at) WHERE status IN ('queued', 'scheduled');`,
  // 5: which module tasks run in a worker (not --isolate'd), so a claim can ask for those alone.
  `ALTER TABLE tasks ADD COLUMN in_worker INTEGER NOT NULL DEFAULT 0;
   UPDATE tasks SET in_worker = 1 WHERE kind = 'module';`,
  // 6: a dependency that may end any way (on a key's holder, on a schedule's last run) beside
  // strict ones of the same task.
  `ALTER TABLE dependencies ADD COLUMN any_outcome INTEGER NOT NULL DEFAULT 0;`,
  // 7: the due order per kind (process or worker), so that a claim with room for one kind only
  // does not walk past every waiting task of the other (it did, once per claim: O(queue)).
  `CREATE INDEX tasks_due_kind ON tasks (in_worker, priority DESC, run_at, id)
     WHERE status IN ('queued', 'scheduled');`,
  // 8: a schedule's --keep: how many of its finished runs to keep (null: all).
  `ALTER TABLE schedules ADD COLUMN keep INTEGER;`,
  // 9: each distinct environment stored once (ids are hashes of the JSON, see task_envs.ts), with
  // how many tasks refer to it; a task row holds its env_id (null: none). tasks.env stays, '{}'
  // on every row: no longer written or read.
  moveTaskEnvs,
  // 10 (issue 13): one row per supervisor (a PostgreSQL store
  // has several), the home that claimed a task, a stop's intent stored before its signal (a kill
  // just before a crash ends canceled), paused time (a pause counts against no timeout after a
  // crash), and the outbox of events, written in the transaction of each change. The outbox has
  // no index but its id (each would cost every write; readers go by id from a cursor), and no
  // AUTOINCREMENT: ids still only grow, since pruning never deletes the newest row.
  `ALTER TABLE tasks ADD COLUMN home TEXT;
   ALTER TABLE tasks ADD COLUMN stop_reason TEXT;
   ALTER TABLE tasks ADD COLUMN stop_signal TEXT;
   ALTER TABLE tasks ADD COLUMN paused_at INTEGER;
   ALTER TABLE tasks ADD COLUMN paused_ms INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE supervisors (
     owner TEXT PRIMARY KEY,
     home TEXT NOT NULL,
     host TEXT NOT NULL,
     pid INTEGER NOT NULL,
     start_time TEXT,
     started_at INTEGER NOT NULL,
     heartbeat_at INTEGER NOT NULL
   );
   CREATE INDEX supervisors_home ON supervisors (home);
   INSERT INTO supervisors SELECT owner, '', '', pid, start_time, started_at, started_at
     FROM supervisor;
   DROP TABLE supervisor;
   CREATE TABLE events (
     id INTEGER PRIMARY KEY,
     at INTEGER NOT NULL,
     task_id INTEGER,
     schedule_id INTEGER,
     kind TEXT NOT NULL,
     data TEXT
   );`,
  // 11 (issue 17): settings changed at run time (`bgt parallel N`), kept across restarts, and
  // restart policies: the policy, its first delay, its limit, the restarts so far and those since
  // the last stable run (the delay's exponent).
  `CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   ALTER TABLE tasks ADD COLUMN restart_policy TEXT;
   ALTER TABLE tasks ADD COLUMN restart_delay_ms INTEGER NOT NULL DEFAULT 100;
   ALTER TABLE tasks ADD COLUMN max_restarts INTEGER;
   ALTER TABLE tasks ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN restart_streak INTEGER NOT NULL DEFAULT 0;`,
  // Many hosts (issue 14): what `bgt hosts` shows of each supervisor, and the host a task ran
  // on. (Placement, --on and --need, needs a shared store: SQLite refuses it.)
  `ALTER TABLE supervisors ADD COLUMN labels TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE supervisors ADD COLUMN slots INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE supervisors ADD COLUMN version TEXT NOT NULL DEFAULT '';
   ALTER TABLE supervisors ADD COLUMN draining INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE supervisors ADD COLUMN lease_ms INTEGER NOT NULL DEFAULT 10000;
   ALTER TABLE tasks ADD COLUMN host TEXT;`,
];

/** Options for {@linkcode migrate}. */
export interface MigrateOptions {
  /** The schema version to stop at (tests build older databases). @default MIGRATIONS.length */
  to?: number;
}

/** What {@linkcode migrate} did: the schema version it found and the one it left. */
export interface Migrated {
  from: number;
  to: number;
}

/** The schema version of a database (0: new). */
export function schemaVersion(db: SqliteDatabase): number {
  return db.prepare("PRAGMA user_version").get<{ user_version: number }>()?.user_version ?? 0;
}

/**
 * Runs every migration the database has not seen yet (up to `options.to`); returns the versions
 * before and after (equal when there was nothing to do, or another process did it).
 */
export function migrate(db: SqliteDatabase, options: MigrateOptions = {}): Migrated {
  const to = options.to ?? MIGRATIONS.length;
  const row = db.prepare("PRAGMA user_version").get<{ user_version: number }>();
  const version = row?.user_version ?? 0;
  if (version > MIGRATIONS.length) {
    throw new Error(
      `Cannot open bgt.db: its schema version ${version} is newer than this bgt knows (${MIGRATIONS.length}); upgrade bgt`,
    );
  }
  let ran = 0;
  for (let step = version; step < to; step++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      const current = db.prepare("PRAGMA user_version").get<{ user_version: number }>();
      if ((current?.user_version ?? 0) === step) {
        const migration = MIGRATIONS[step];
        if (typeof migration === "string") db.exec(migration);
        else migration(db);
        db.exec(`PRAGMA user_version = ${step + 1}`);
        ran++;
      }
      db.exec("COMMIT");
    } catch (error) {
      try {
        db.exec("ROLLBACK");
      } catch { /* the failed statement already rolled back: keep its error, not this one */ }
      throw error;
    }
  }
  return { from: ran ? to - ran : version, to: ran ? to : version };
}
