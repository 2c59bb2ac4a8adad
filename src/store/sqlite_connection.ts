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
import { migrate } from "./migrations.ts";
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
    retryBusy(() => migrate(db));
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
