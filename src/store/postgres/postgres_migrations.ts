/**
 * The numbered schema migrations of the PostgreSQL store. The store's schema holds a `meta` row
 * with its version; each step runs in its own transaction under an advisory lock, so supervisors
 * and clients starting together migrate once. Never edit a released step: add the next one.
 *
 * Migration 1 is the content of SQLite's migrations 1–8 (with `schedules.keep`) plus what issue 13
 * adds (the supervisors' rows, the claimer's home, stored stop intent and paused time, the
 * events outbox). A task's env stays a jsonb value per row (SQLite's migration 9 stores each
 * distinct env once; here TOAST compresses a large one, and a PostgreSQL store's write path is
 * not the SQLite page cache that made that worthwhile).
 *
 * @example
 * ```ts
 * await migratePostgres(connection); // brings the schema up to POSTGRES_MIGRATIONS.length
 * ```
 */
import type { PostgresConnection } from "./postgres_connection.ts";

/** Schema steps, in order; step i brings the version from i to i + 1. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE FUNCTION now_ms() RETURNS bigint LANGUAGE sql STABLE
     AS $$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$;
   CREATE TABLE tasks (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     kind text NOT NULL,
     spec bytea NOT NULL,
     name text,
     grp text NOT NULL DEFAULT 'default',
     priority int NOT NULL DEFAULT 0,
     status text NOT NULL CHECK (status IN ('scheduled', 'queued', 'blocked', 'running', 'paused',
       'succeeded', 'failed', 'canceled', 'timed_out', 'lost')),
     run_at bigint NOT NULL,
     created_at bigint NOT NULL,
     started_at bigint,
     finished_at bigint,
     attempt int NOT NULL DEFAULT 0,
     max_attempts int NOT NULL DEFAULT 1,
     backoff_ms bigint NOT NULL DEFAULT 1000,
     timeout_ms bigint,
     after_any boolean NOT NULL DEFAULT false,
     task_key text,
     schedule_id bigint,
     retain bigint,
     stdin boolean NOT NULL DEFAULT false,
     checkpoint bytea,
     env jsonb NOT NULL DEFAULT '{}',
     cwd text NOT NULL,
     meta jsonb NOT NULL DEFAULT '{}',
     pid int,
     exit_code int,
     signal text,
     result bytea,
     error jsonb,
     progress real,
     progress_message text,
     owner text,
     lease_until bigint,
     in_worker boolean NOT NULL DEFAULT false,
     home text,
     stop_reason text CHECK (stop_reason IN ('kill', 'timeout')),
     stop_signal text,
     paused_at bigint,
     paused_ms bigint NOT NULL DEFAULT 0
   ) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02,
           autovacuum_analyze_scale_factor = 0.02);
   CREATE INDEX tasks_due_kind ON tasks (in_worker, priority DESC, run_at, id)
     WHERE status IN ('queued', 'scheduled');
   CREATE INDEX tasks_waiting_run_at ON tasks (run_at) WHERE status IN ('queued', 'scheduled');
   CREATE INDEX tasks_status ON tasks (status, id);
   CREATE INDEX tasks_owner ON tasks (owner) WHERE owner IS NOT NULL;
   CREATE INDEX tasks_key ON tasks (task_key)
     WHERE task_key IS NOT NULL AND status IN ('scheduled', 'queued', 'blocked', 'running', 'paused');
   CREATE INDEX tasks_schedule ON tasks (schedule_id, id) WHERE schedule_id IS NOT NULL;
   CREATE INDEX tasks_name ON tasks (name) WHERE name IS NOT NULL;
   CREATE INDEX tasks_created ON tasks (created_at);
   CREATE INDEX tasks_finished ON tasks (finished_at) WHERE finished_at IS NOT NULL;
   CREATE TABLE attempts (
     task_id bigint NOT NULL,
     attempt int NOT NULL,
     status text NOT NULL,
     started_at bigint,
     finished_at bigint,
     exit_code int,
     signal text,
     error jsonb,
     pid int,
     result bytea,
     stdout_start bigint, stdout_end bigint,
     stderr_start bigint, stderr_end bigint,
     data_start bigint, data_end bigint,
     PRIMARY KEY (task_id, attempt)
   );
   CREATE TABLE dependencies (
     task_id bigint NOT NULL,
     dep_id bigint NOT NULL,
     any_outcome boolean NOT NULL DEFAULT false,
     PRIMARY KEY (task_id, dep_id)
   );
   CREATE INDEX dependencies_dep ON dependencies (dep_id);
   CREATE TABLE groups (name text PRIMARY KEY, parallel int, paused boolean NOT NULL DEFAULT false);
   CREATE TABLE schedules (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     every text NOT NULL,
     time_zone text,
     template bytea NOT NULL,
     overlap text NOT NULL CHECK (overlap IN ('skip', 'queue', 'allow')),
     catch_up text NOT NULL CHECK (catch_up IN ('once', 'all', 'none')),
     anchor bigint NOT NULL,
     start_at bigint,
     stop_at bigint,
     max_runs bigint,
     keep bigint,
     runs bigint NOT NULL DEFAULT 0,
     skipped bigint NOT NULL DEFAULT 0,
     last_slot bigint,
     next_at bigint,
     paused boolean NOT NULL DEFAULT false,
     created_at bigint NOT NULL,
     last_task_id bigint
   );
   CREATE INDEX schedules_due ON schedules (next_at) WHERE NOT paused AND next_at IS NOT NULL;
   CREATE TABLE supervisors (
     owner text PRIMARY KEY,
     home text NOT NULL,
     host text NOT NULL,
     pid int NOT NULL,
     start_time text,
     started_at bigint NOT NULL,
     heartbeat_at bigint NOT NULL
   ) WITH (fillfactor = 50);
   CREATE INDEX supervisors_home ON supervisors (home);
   CREATE TABLE events (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     at bigint NOT NULL,
     task_id bigint,
     schedule_id bigint,
     kind text NOT NULL CHECK (kind IN ('submitted', 'started', 'retrying', 'succeeded', 'failed',
       'canceled', 'timed_out', 'lost', 'paused', 'resumed', 'removed', 'schedule_fired',
       'schedule_skipped')),
     data jsonb NOT NULL DEFAULT '{}'
   );
   CREATE INDEX events_task ON events (task_id, id) WHERE task_id IS NOT NULL;
   CREATE INDEX events_at ON events USING brin (at);`,
  // 2 (issue 17): settings changed at run time (`bgt parallel N`), kept across restarts, and
  // restart policies (as SQLite's migration 11).
  `CREATE TABLE settings (
     key text PRIMARY KEY,
     value text NOT NULL,
     updated_at bigint NOT NULL
   );
   ALTER TABLE tasks ADD COLUMN restart_policy text
     CHECK (restart_policy IN ('on-failure', 'always'));
   ALTER TABLE tasks ADD COLUMN restart_delay_ms bigint NOT NULL DEFAULT 100;
   ALTER TABLE tasks ADD COLUMN max_restarts int;
   ALTER TABLE tasks ADD COLUMN restarts int NOT NULL DEFAULT 0;
   ALTER TABLE tasks ADD COLUMN restart_streak int NOT NULL DEFAULT 0;`,
  // 3 (issue 14: output and control from any host): the shipped output, insert-only (a chunk's
  // key is where it begins; a re-sent chunk is a no-op), and the control requests between
  // supervisors (a row per request, answered in place).
  `CREATE TABLE output (
     task_id bigint NOT NULL,
     attempt int NOT NULL,
     stream smallint NOT NULL CHECK (stream IN (0, 1, 2)),
     off bigint NOT NULL,
     at bigint NOT NULL DEFAULT now_ms(),
     data bytea NOT NULL,
     PRIMARY KEY (task_id, stream, off, attempt)
   );
   CREATE TABLE controls (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     task_id bigint NOT NULL,
     owner text NOT NULL,
     action text NOT NULL CHECK (action IN ('signal', 'send', 'forget')),
     signal text,
     data bytea,
     eof boolean NOT NULL DEFAULT false,
     requested_at bigint NOT NULL DEFAULT now_ms(),
     answered_at bigint,
     outcome jsonb
   );
   CREATE INDEX controls_pending ON controls (owner, id) WHERE answered_at IS NULL;`,
  // Many hosts (issue 14): what `bgt hosts` shows of each supervisor and the lease it keeps by
  // heartbeat (another supervisor rescues its tasks when heartbeat_at + lease_ms is past); the
  // host a task runs or ran on, and its placement (--on HOST, --need LABEL).
  `ALTER TABLE supervisors ADD COLUMN labels text[] NOT NULL DEFAULT '{}',
     ADD COLUMN slots int NOT NULL DEFAULT 0,
     ADD COLUMN version text NOT NULL DEFAULT '',
     ADD COLUMN draining boolean NOT NULL DEFAULT false,
     ADD COLUMN lease_ms bigint NOT NULL DEFAULT 10000;
   ALTER TABLE tasks ADD COLUMN host text,
     ADD COLUMN pin_host text,
     ADD COLUMN need_labels text[] NOT NULL DEFAULT '{}';
   -- A group's limit is exact across hosts because claims of limited groups lock their rows;
   -- this makes a claim that would still run more than the limit an error, not an over-admission.
   -- (Only claims fire it: queued/scheduled → running; unlimited groups cost one key lookup.)
   CREATE FUNCTION check_group_limit() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     lim int;
   BEGIN
     SELECT parallel INTO lim FROM groups WHERE name = NEW.grp;
     IF lim IS NOT NULL AND (SELECT count(*) FROM tasks
         WHERE grp = NEW.grp AND status IN ('running', 'paused')) > lim THEN
       RAISE EXCEPTION 'group % would run more than its parallel limit %', NEW.grp, lim
         USING ERRCODE = 'check_violation';
     END IF;
     RETURN NULL;
   END $$;
   CREATE TRIGGER tasks_group_limit AFTER UPDATE OF status ON tasks FOR EACH ROW
     WHEN (NEW.status = 'running' AND OLD.status IN ('queued', 'scheduled'))
     EXECUTE FUNCTION check_group_limit();`,
  // (issue 15) hooks: see the SQLite step of the same name.
  `ALTER TABLE tasks ADD COLUMN hooks jsonb;
   CREATE TABLE hook_deliveries (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     task_id bigint NOT NULL,
     event_id bigint NOT NULL,
     kind text NOT NULL,
     hook text NOT NULL,
     target text NOT NULL,
     home text NOT NULL,
     payload jsonb NOT NULL,
     created_at bigint NOT NULL,
     tries int NOT NULL DEFAULT 0,
     next_at bigint,
     done_at bigint,
     ok boolean,
     result text,
     result_at bigint,
     UNIQUE (event_id, hook)
   );
   CREATE INDEX hook_deliveries_due ON hook_deliveries (home, next_at) WHERE next_at IS NOT NULL;
   CREATE INDEX hook_deliveries_task ON hook_deliveries (task_id);
   CREATE TABLE hook_cursors (home text PRIMARY KEY, event_id bigint NOT NULL);`,
  // (issue 14) a module task's carried code, once per bundle (see postgres_carried_code.ts).
  `CREATE TABLE carried_code (hash text PRIMARY KEY, code text NOT NULL, at bigint NOT NULL);
   ALTER TABLE tasks ADD COLUMN carried_hash text;
   CREATE INDEX tasks_carried_hash ON tasks (carried_hash) WHERE carried_hash IS NOT NULL;`,
];

/** Brings the connection's schema up to date; refuses a schema newer than this bgt knows. */
export async function migratePostgres(
  connection: PostgresConnection,
  migrations: readonly string[] = POSTGRES_MIGRATIONS,
): Promise<void> {
  const { sql, schema } = connection;
  let from: number | undefined;
  let to = 0;
  const report = () => {
    if (from !== undefined && from > 0 && to > from) {
      process.stderr.write(
        `bgt: migrated ${from}→${to}: the schema of ${connection.description}\n`,
      );
    }
  };
  for (;;) {
    const done = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext(${"bgt.migrate:" + schema}))`;
      await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      const [{ exists }] = await tx`SELECT to_regclass(${schema + ".meta"}) IS NOT NULL AS exists`;
      if (!exists) {
        await tx.unsafe(
          `CREATE TABLE "${schema}".meta (one int PRIMARY KEY CHECK (one = 1),
             schema_version int NOT NULL, created_at bigint NOT NULL);
           INSERT INTO "${schema}".meta VALUES (1, 0, (extract(epoch FROM now()) * 1000)::bigint)`,
        );
      }
      const [{ version }] = await tx.unsafe(
        `SELECT schema_version AS version FROM "${schema}".meta WHERE one = 1`,
      );
      if (version > migrations.length) {
        throw new Error(
          `Cannot use ${connection.description}: its schema version ${version} is newer than this bgt knows (${migrations.length}); upgrade bgt`,
        );
      }
      if (version === migrations.length) return true;
      await tx.unsafe(`SET LOCAL search_path = "${schema}"`);
      // A new schema gets every step in this one transaction: a twin waiting on the lock then
      // finds it complete, never half made (it would take that for an upgrade, and say so).
      const last = version === 0 ? migrations.length : version + 1;
      for (let step = version; step < last; step++) await tx.unsafe(migrations[step]);
      await tx.unsafe(`UPDATE "${schema}".meta SET schema_version = ${last}`);
      from ??= version;
      to = last;
      return last === migrations.length;
    });
    if (done) return report();
  }
}
