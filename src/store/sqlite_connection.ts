/**
 * An open `bgt.db`: WAL mode, migrations run, files readable by their owner only, and one
 * IMMEDIATE transaction per operation with retries, so concurrent clients never see SQLITE_BUSY.
 *
 * @example
 * ```ts
 * const connection = await SqliteConnection.open("/tmp/bgt/bgt.db");
 * connection.transaction(() => connection.db.prepare("DELETE FROM groups").run());
 * ```
 */
import { chmodSync, closeSync, existsSync } from "node:fs";
import { openSqlite, type SqliteDatabase } from "../runtime/sqlite.ts";
import { migrate, MIGRATIONS, schemaVersion } from "./migrations.ts";
import { openOwnFile } from "./own_files.ts";

/** A migrated database with a transaction helper. */
export class SqliteConnection {
  readonly db: SqliteDatabase;

  private constructor(db: SqliteDatabase) {
    this.db = db;
  }

  /** Opens (creating and migrating) the database at `path`, readable by its owner only. */
  static async open(path: string): Promise<SqliteConnection> {
    if (path !== ":memory:" && !existsSync(path)) closeSync(openOwnFile(path, "append"));
    const db = await openSqlite(path);
    db.exec("PRAGMA busy_timeout = 10000");
    // Turning a new file to WAL needs its exclusive lock, and SQLite answers SQLITE_BUSY at once
    // (no busy wait) while a twin opening the same new file holds a shared one: retry it, as
    // every other step.
    retryBusy(() => db.exec("PRAGMA journal_mode = WAL"));
    db.exec("PRAGMA synchronous = NORMAL");
    const found = schemaVersion(db);
    // An older schema is copied before it changes (an upgrade can be undone by putting the copy
    // back and the old bgt with it); a new file has nothing to keep.
    const backup = found > 0 && found < MIGRATIONS.length && path !== ":memory:"
      ? _backUp(db, `${path}.v${found}.bak`)
      : undefined;
    const migrated = retryBusy(() => migrate(db));
    if (migrated.from !== migrated.to && migrated.from > 0) {
      process.stderr.write(
        `bgt: migrated ${migrated.from}→${migrated.to}: the schema of ${path}` +
          (backup ? ` (its copy from before: ${backup})\n` : "\n"),
      );
    }
    if (path !== ":memory:") {
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        if (existsSync(file)) chmodSync(file, 0o600);
      }
    }
    return new SqliteConnection(db);
  }

  /** Runs `fn` in one IMMEDIATE transaction, retrying when another writer holds the lock. */
  transaction<T>(fn: () => T): T {
    return retryBusy(() => {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        const value = fn();
        this.db.exec("COMMIT");
        return value;
      } catch (error) {
        try {
          this.db.exec("ROLLBACK");
        } catch { /* the failed statement already rolled back */ }
        throw error;
      }
    });
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Copies the database (consistently, WAL included) to `target` unless that exists already (a
 * process opening it at the same time made it); returns the copy's path, or undefined.
 */
function _backUp(db: SqliteDatabase, target: string): string | undefined {
  if (existsSync(target)) return target;
  try {
    retryBusy(() => db.exec(`VACUUM INTO '${target.replaceAll("'", "''")}'`));
    chmodSync(target, 0o600);
    return target;
  } catch (error) {
    if (existsSync(target)) return target; // a twin made it meanwhile
    process.stderr.write(
      `bgt: cannot copy ${target} before migrating: ${(error as Error).message}\n`,
    );
    return undefined;
  }
}

function _isBusy(error: unknown): boolean {
  const text = `${(error as { code?: unknown })?.code ?? ""} ${(error as Error)?.message ?? ""}`;
  return /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i.test(text);
}

/** Runs `fn`, retrying (with a growing, jittered sleep) while the database is busy. */
export function retryBusy<T>(fn: () => T): T {
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
