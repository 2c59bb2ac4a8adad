/**
 * Task environments, each distinct one stored once: `envs` holds its JSON and how many tasks
 * refer to it; a task row holds its `env_id` (null: no variables). A captured environment is
 * about 1.3 KB, the same for every task of a batch, so a copy per task would be most of a
 * submission's bytes.
 *
 * An env row's id is a hash of its JSON (the next free id on a collision), so an id means the
 * same environment in every process, whatever was rolled back or removed meanwhile: a process
 * caches environments by id for as long as it lives, and a claim of many tasks reads and parses
 * each environment once. Every function runs inside the caller's transaction.
 *
 * @example
 * ```ts
 * const id = storeEnv(db, { HOME: "/home/ada" }, 1); // its one row; one task refers to it
 * envById(db, id).HOME; // "/home/ada"
 * ```
 */
import { sha256 } from "../runtime/sha256.ts";
import type { SqliteDatabase } from "../runtime/sqlite.ts";

/** An environment as tasks get it: shared between tasks, so frozen. */
export type TaskEnv = Readonly<Record<string, string>>;

/** The environment of a task without one. */
const NO_ENV: TaskEnv = Object.freeze({});
/** How many environments a process keeps parsed before it starts over. */
const CACHE_LIMIT = 1024;
/** Ids are below 2^52: exact as JavaScript numbers, whichever SQLite binding reads them. */
const ID_SPACE = 2 ** 52;
const _caches = new WeakMap<SqliteDatabase, Map<number, TaskEnv>>();

/** The id an environment's JSON is stored under unless another JSON holds it: its hash. */
export function envHash(json: string): number {
  const bytes = sha256(json);
  const digest = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return (digest.getUint32(0) & 0xfffff) * 2 ** 32 + digest.getUint32(4);
}

/**
 * The id of `env`'s row, found or inserted, its task count raised by `tasks`; null for an empty
 * or absent environment (and nothing stored).
 */
export function storeEnv(
  db: SqliteDatabase,
  env: Record<string, string> | undefined,
  tasks: number,
): number | null {
  if (env === undefined) return null;
  const json = JSON.stringify(env);
  return json === "{}" ? null : storeEnvJson(db, json, tasks);
}

/** {@linkcode storeEnv} of an environment already in JSON. */
export function storeEnvJson(db: SqliteDatabase, json: string, tasks: number): number {
  const add = db.prepare("UPDATE envs SET tasks = tasks + ? WHERE id = ? AND json = ?");
  const insert = db.prepare("INSERT OR IGNORE INTO envs (id, json, tasks) VALUES (?, ?, ?)");
  for (let id = envHash(json);; id = (id + 1) % ID_SPACE) {
    if (add.run(tasks, id, json).changes > 0) return id;
    if (insert.run(id, json, tasks).changes > 0) return id;
    // Another environment holds this id: the next one.
  }
}

/** The environment with this id (cached); the empty one for null. */
export function envById(db: SqliteDatabase, id: number | null): TaskEnv {
  if (id === null) return NO_ENV;
  let cache = _caches.get(db);
  if (!cache) _caches.set(db, cache = new Map());
  let env = cache.get(id);
  if (!env) {
    const row = db.prepare("SELECT json FROM envs WHERE id = ?").get<{ json: string }>(id);
    if (!row) throw new Error(`Cannot read environment ${id} of a task: no such row in envs`);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(id, env = Object.freeze(JSON.parse(row.json)) as TaskEnv);
  }
  return env;
}

/**
 * Changes environments' task counts by `deltas` (env id → tasks added, negative for removed);
 * an environment no task refers to any more is deleted.
 */
export function countEnvTasks(db: SqliteDatabase, deltas: ReadonlyMap<number, number>): void {
  const change = db.prepare("UPDATE envs SET tasks = tasks + ? WHERE id = ? RETURNING tasks");
  const drop = db.prepare("DELETE FROM envs WHERE id = ?");
  for (const [id, delta] of deltas) {
    const left = change.get<{ tasks: number }>(delta, id);
    if (left && left.tasks <= 0) drop.run(id);
  }
}

/** Adds `by` (one) to `id`'s entry in `deltas`; nothing for null. */
export function tallyEnv(deltas: Map<number, number>, id: number | null, by = 1): void {
  if (id !== null) deltas.set(id, (deltas.get(id) ?? 0) + by);
}

/**
 * Schema step 9: moves the environments of a database's existing tasks (in `tasks.env`) into
 * `envs`, and leaves `tasks.env` as `'{}'` on every row.
 */
export function moveTaskEnvs(db: SqliteDatabase): void {
  db.exec(
    `CREATE TABLE envs (
       id INTEGER PRIMARY KEY,
       json TEXT NOT NULL,
       tasks INTEGER NOT NULL DEFAULT 0
     );
     ALTER TABLE tasks ADD COLUMN env_id INTEGER REFERENCES envs (id);`,
  );
  db.exec("CREATE TEMP TABLE moved_envs (json TEXT PRIMARY KEY, id INTEGER NOT NULL)");
  const distinct = db.prepare(
    "SELECT env, count(*) AS n FROM tasks WHERE env <> '{}' GROUP BY env ORDER BY min(id)",
  ).all<{ env: string; n: number }>();
  const moved = db.prepare("INSERT INTO moved_envs (json, id) VALUES (?, ?)");
  for (const { env, n } of distinct) moved.run(env, storeEnvJson(db, env, n));
  db.exec(
    `UPDATE tasks SET env_id = (SELECT id FROM moved_envs WHERE json = tasks.env), env = '{}'
       WHERE env <> '{}';
     DROP TABLE moved_envs;`,
  );
}
