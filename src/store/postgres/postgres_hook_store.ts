/**
 * The PostgreSQL {@linkcode HookStore}: as SQLite's; a delivery's unique (event, hook) makes
 * two supervisors that plan one event (a task canceled before it ran has no home) plan it once.
 *
 * @example
 * ```ts
 * const due = await store.hooks.due(home, Date.now(), 16);
 * ```
 */
import type { HookDelivery, HookStore, HookTry, NewHookDelivery } from "../hook_store.ts";
import { toHookDelivery } from "../hook_store.ts";
import type { PostgresConnection } from "./postgres_connection.ts";

/** PostgreSQL implementation of {@linkcode HookStore}. */
export class PostgresHookStore implements HookStore {
  #connection: PostgresConnection;

  constructor(connection: PostgresConnection) {
    this.#connection = connection;
  }

  get #sql() {
    return this.#connection.sql;
  }

  async cursor(home: string): Promise<number | undefined> {
    const [row] = await this.#sql`SELECT event_id FROM hook_cursors WHERE home = ${home}`;
    return row ? Number(row.event_id) : undefined;
  }

  async plan(home: string, cursor: number, deliveries: readonly NewHookDelivery[]): Promise<void> {
    await this.#sql.begin(async (tx) => {
      for (const d of deliveries) {
        await tx`
          INSERT INTO hook_deliveries (task_id, event_id, kind, hook, target, home, payload,
            created_at, next_at)
          VALUES (${d.taskId}, ${d.eventId}, ${d.kind}, ${d.hook}, ${d.payload.target}, ${home},
            ${tx.json(d.payload as never)}, now_ms(), now_ms())
          ON CONFLICT (event_id, hook) DO NOTHING`;
      }
      await tx`
        INSERT INTO hook_cursors (home, event_id) VALUES (${home}, ${cursor})
        ON CONFLICT (home) DO UPDATE
          SET event_id = greatest(hook_cursors.event_id, excluded.event_id)`;
    });
  }

  async due(home: string, now: number, limit: number): Promise<HookDelivery[]> {
    const rows = await this.#sql`
      SELECT * FROM hook_deliveries WHERE home = ${home} AND next_at IS NOT NULL
        AND next_at <= ${now} ORDER BY next_at, id LIMIT ${limit}`;
    return rows.map(toHookDelivery);
  }

  async pendingDeliverers(): Promise<string[]> {
    const rows = await this.#sql`
      SELECT DISTINCT home FROM hook_deliveries WHERE next_at IS NOT NULL`;
    return rows.map((row) => row.home);
  }

  async adopt(from: readonly string[], to: string): Promise<number> {
    if (!from.length) return 0;
    const rows = await this.#sql`
      UPDATE hook_deliveries SET home = ${to}
      WHERE next_at IS NOT NULL AND home = ANY (${[...from]}::text[]) RETURNING id`;
    return rows.length;
  }

  async record(id: number, outcome: HookTry): Promise<void> {
    await this.#sql`
      UPDATE hook_deliveries SET tries = tries + 1, ok = ${outcome.ok}, result = ${outcome.result},
        result_at = ${outcome.at}, next_at = ${outcome.nextAt},
        done_at = ${outcome.nextAt === null ? outcome.at : null}
      WHERE id = ${id}`;
  }

  async prune(before: number): Promise<number> {
    const result = await this.#sql`
      DELETE FROM hook_deliveries WHERE done_at IS NOT NULL AND done_at < ${before}`;
    return result.count;
  }

  async ofTask(taskId: number): Promise<HookDelivery[]> {
    const rows = await this
      .#sql`SELECT * FROM hook_deliveries WHERE task_id = ${taskId} ORDER BY id`;
    return rows.map(toHookDelivery);
  }
}
