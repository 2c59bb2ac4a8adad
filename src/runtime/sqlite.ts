/**
 * One SQLite API over `bun:sqlite` (on Bun) and `node:sqlite` (on Deno and Node).
 *
 * Only positional `?` parameters are used, so both engines bind the same way.
 *
 * @example
 * ```ts
 * const db = await openSqlite(":memory:");
 * db.exec("CREATE TABLE t (x INTEGER)");
 * db.prepare("INSERT INTO t VALUES (?)").run(1);
 * db.prepare("SELECT x FROM t").get(); // { x: 1 }
 * ```
 */

/** A value SQLite can bind or return. */
export type SqlValue = string | number | bigint | Uint8Array | null;

/** A prepared statement. */
export interface SqlStatement {
  /** Runs the statement; returns the number of changed rows and the last inserted rowid. */
  run(...params: SqlValue[]): { changes: number; lastInsertRowid: number | bigint };
  /** The first row, or undefined. */
  get<T = Record<string, SqlValue>>(...params: SqlValue[]): T | undefined;
  /** All rows. */
  all<T = Record<string, SqlValue>>(...params: SqlValue[]): T[];
}

/** An open database. */
export interface SqliteDatabase {
  /** Runs one or more statements without parameters. */
  exec(sql: string): void;
  /** Prepares (and caches) a statement. */
  prepare(sql: string): SqlStatement;
  /** Closes the database. */
  close(): void;
}

const isBun = "Bun" in globalThis;

/** Opens (creating if needed) the database file at `path`. */
export async function openSqlite(path: string): Promise<SqliteDatabase> {
  return isBun ? await _openBun(path) : await _openNode(path);
}

async function _openBun(path: string): Promise<SqliteDatabase> {
  const specifier = "bun:sqlite";
  const { Database } = await import(specifier);
  const db = new Database(path, { create: true, safeIntegers: false });
  const cache = new Map<string, SqlStatement>();
  return {
    exec: (sql) => db.exec(sql),
    prepare(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        const raw = db.prepare(sql);
        statement = {
          run: (...params) => raw.run(...params),
          get: (...params) => raw.get(...params) ?? undefined,
          all: (...params) => raw.all(...params),
        };
        cache.set(sql, statement);
      }
      return statement;
    },
    close: () => db.close(),
  };
}

async function _openNode(path: string): Promise<SqliteDatabase> {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(path);
  const cache = new Map<string, SqlStatement>();
  const plain = <T>(row: unknown): T => ({ ...(row as object) }) as T;
  return {
    exec: (sql) => db.exec(sql),
    prepare(sql) {
      const cached = cache.get(sql);
      if (cached) return cached;
      const raw = db.prepare(sql);
      const statement: SqlStatement = {
        run: (...params) => {
          const result = raw.run(...params);
          return { changes: Number(result.changes), lastInsertRowid: result.lastInsertRowid };
        },
        get: <T>(...params: SqlValue[]) => {
          const row = raw.get(...params);
          return row === undefined ? undefined : plain<T>(row);
        },
        all: <T>(...params: SqlValue[]) => raw.all(...params).map((row) => plain<T>(row)),
      };
      cache.set(sql, statement);
      return statement;
    },
    close: () => db.close(),
  };
}
