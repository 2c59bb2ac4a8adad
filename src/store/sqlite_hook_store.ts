// deno-lint-ignore-file require-await -- the contract is asynchronous, SQLite's core is not: an
// async method without an await still turns a throw into a rejection, as the contract says.
/**
 * The SQLite {@linkcode HookStore}.
 *
 * @example
 * ```ts
 * const due = await store.hooks.due(home, Date.now(), 16);
 * ```
 */
import type { HookDelivery, HookStore, HookTry, NewHookDelivery } from "./hook_store.ts";
import { toHookDelivery } from "./hook_store.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";

/** SQLite implementation of {@linkcode HookStore}. */
export class SqliteHookStore implements HookStore {
  #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  get #db() {
    return this.#connection.db;
  }

  async cursor(home: string): Promise<number | undefined> {
    const row = this.#db.prepare("SELECT event_id FROM hook_cursors WHERE home = ?")
      .get<{ event_id: number }>(home);
    return row?.event_id;
  }

  async plan(home: string, cursor: number, deliveries: readonly NewHookDelivery[]): Promise<void> {
    this.#connection.transaction(() => {
      const now = Date.now();
      const insert = this.#db.prepare(
        `INSERT OR IGNORE INTO hook_deliveries (task_id, event_id, kind, hook, target, home,
           payload, created_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of deliveries) {
        insert.run(
          d.taskId,
          d.eventId,
          d.kind,
          d.hook,
          d.payload.target,
          home,
          JSON.stringify(d.payload),
          now,
          now,
        );
      }
      this.#db.prepare(
        `INSERT INTO hook_cursors (home, event_id) VALUES (?, ?)
         ON CONFLICT (home) DO UPDATE SET event_id = max(event_id, excluded.event_id)`,
      ).run(home, cursor);
    });
  }

  async due(home: string, now: number, limit: number): Promise<HookDelivery[]> {
    return this.#db.prepare(
      `SELECT * FROM hook_deliveries WHERE home = ? AND next_at IS NOT NULL AND next_at <= ?
       ORDER BY next_at, id LIMIT ?`,
    ).all<Record<string, unknown>>(home, now, limit).map(toHookDelivery);
  }

  async pendingDeliverers(): Promise<string[]> {
    return this.#db.prepare(
      "SELECT DISTINCT home FROM hook_deliveries WHERE next_at IS NOT NULL",
    ).all<{ home: string }>().map((row) => row.home);
  }

  async adopt(from: readonly string[], to: string): Promise<number> {
    if (!from.length) return 0;
    return this.#connection.transaction(() =>
      Number(
        this.#db.prepare(
          `UPDATE hook_deliveries SET home = ? WHERE next_at IS NOT NULL
           AND home IN (${from.map(() => "?").join(", ")})`,
        ).run(to, ...from).changes,
      )
    );
  }

  async record(id: number, outcome: HookTry): Promise<void> {
    this.#connection.transaction(() =>
      this.#db.prepare(
        `UPDATE hook_deliveries SET tries = tries + 1, ok = ?, result = ?, result_at = ?,
           next_at = ?, done_at = ? WHERE id = ?`,
      ).run(
        outcome.ok ? 1 : 0,
        outcome.result,
        outcome.at,
        outcome.nextAt,
        outcome.nextAt === null ? outcome.at : null,
        id,
      )
    );
  }

  async prune(before: number): Promise<number> {
    return this.#connection.transaction(() =>
      this.#db.prepare("DELETE FROM hook_deliveries WHERE done_at IS NOT NULL AND done_at < ?")
        .run(before).changes
    );
  }

  async ofTask(taskId: number): Promise<HookDelivery[]> {
    return this.#db.prepare("SELECT * FROM hook_deliveries WHERE task_id = ? ORDER BY id")
      .all<Record<string, unknown>>(taskId).map(toHookDelivery);
  }
}
