/**
 * One writing transaction of the PostgreSQL store: its time (the database's, read once), the
 * events it will write, and the wake-ups it will send. At the end, the events go in under a
 * per-schema advisory lock held to the commit, so event ids increase in commit order (a reader
 * of `id > cursor` never skips a late commit); NOTIFYs carry the schema and ids only.
 * Deadlocks and serialization failures rerun the whole transaction. Statements that do not
 * wait for each other's results go out together (pipelined on one reserved connection), so a
 * transaction costs few round trips; `pipelinedTransaction` is one of fixed statements, in one.
 *
 * @example
 * ```ts
 * const { value, events } = await writeTransaction(connection, async (w) => {
 *   w.emit(7, "paused", {});
 *   return true;
 * });
 * ```
 */
import type { TaskEvent, TaskEventKind } from "../../task/events.ts";
import type { PostgresConnection, TransactionSql } from "./postgres_connection.ts";
import { toEvent } from "./postgres_rows.ts";

/** The channel a "work" wake-up (a task became runnable now) is sent on; payload: the schema. */
export const WAKE_CHANNEL = "bgt_wake";
/** The channel new events are announced on; payload: `schema:lastEventId`. */
export const EVENT_CHANNEL = "bgt_event";

/** What a writing transaction's body gets. */
export interface Write {
  tx: TransactionSql;
  schema: string;
  /** The database's now (epoch ms), as `now_ms()` returns it in this transaction. */
  now: number;
  /** Queues an event (written at the end, in call order). */
  emit(
    taskId: number | null,
    kind: TaskEventKind,
    data: Record<string, unknown>,
    scheduleId?: number,
  ): void;
  /** Says that a task became runnable now (a "work" NOTIFY at commit). */
  wake(): void;
}

const RETRY_CODES = new Set(["40P01", "40001"]);

/** Runs `run` again (up to 5 times in all) when it ends in a deadlock or serialization failure. */
export async function retryOnConflict<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt < 5 && code !== undefined && RETRY_CODES.has(code)) continue;
      throw error;
    }
  }
}

/**
 * Runs the statements `build` makes as one transaction in one round trip (BEGIN, they, COMMIT,
 * pipelined on a reserved connection); returns their results. A statement that fails makes
 * the COMMIT a rollback, and its error is thrown.
 */
export function pipelinedTransaction(
  connection: PostgresConnection,
  build: (tx: TransactionSql) => PromiseLike<unknown>[],
): Promise<any[]> {
  return retryOnConflict(async () => {
    const tx = await connection.sql.reserve();
    const sent = [tx`BEGIN`, ...build(tx as unknown as TransactionSql), tx`COMMIT`].map((query) =>
      Promise.resolve(query)
    );
    try {
      return (await Promise.all(sent)).slice(1, -1);
    } catch (error) {
      await Promise.allSettled(sent);
      await tx`ROLLBACK`.catch(() => {});
      throw error;
    } finally {
      tx.release();
    }
  });
}

/**
 * Runs `body` in one transaction, then writes its events; returns its value and the events.
 * The transaction runs on a reserved connection so that its first and last round trips carry
 * several statements: BEGIN with the clock read and the `opening` statements (which need not
 * the clock; their results are `body`'s `opened`), and the events' statement with COMMIT (a
 * statement that fails makes the pipelined COMMIT a rollback, and its error is thrown).
 */
export function writeTransaction<T>(
  connection: PostgresConnection,
  body: (w: Write, opened: any[]) => Promise<T>,
  opening?: (tx: TransactionSql) => PromiseLike<unknown>[],
): Promise<{ value: T; events: TaskEvent[] }> {
  return retryOnConflict(async () => {
    const tx = await connection.sql.reserve();
    const inFlight: Promise<unknown>[] = [];
    /** Sends the statements together (one round trip); resolves to their results in order. */
    const together = <R extends unknown[]>(...queries: { [K in keyof R]: PromiseLike<R[K]> }) => {
      const all = queries.map((query) => Promise.resolve(query));
      inFlight.push(...all);
      return Promise.all(all) as Promise<R>;
    };
    try {
      const [, [{ now }], ...opened] = await together<[unknown, { now: number }[], ...any[]]>(
        tx`BEGIN`,
        tx`SELECT now_ms() AS now`,
        ...(opening?.(tx as unknown as TransactionSql) ?? []),
      );
      const pending: {
        task_id: number | null;
        schedule_id: number | null;
        kind: TaskEventKind;
        data: Record<string, unknown>;
        ord: number;
      }[] = [];
      let wake = false;
      const w: Write = {
        tx: tx as unknown as TransactionSql,
        schema: connection.schema,
        now,
        emit: (taskId, kind, data, scheduleId) =>
          pending.push({
            task_id: taskId,
            schedule_id: scheduleId ?? null,
            kind,
            data,
            ord: pending.length,
          }),
        wake: () => {
          wake = true;
        },
      };
      const value = await body(w, opened);
      let events: TaskEvent[] = [];
      if (pending.length) {
        // One statement: the lock (taken before any id is drawn: the sort reads every row
        // first), the events, their NOTIFY and the wake-up; then COMMIT, in the same trip.
        const [rows] = await together<[Record<string, any>[], unknown]>(
          tx`
            WITH lock AS MATERIALIZED (
              SELECT pg_advisory_xact_lock(hashtext(${"bgt.events:" + connection.schema}))),
            ins AS (
              INSERT INTO events (at, task_id, schedule_id, kind, data)
              SELECT now_ms(), e.task_id, e.schedule_id, e.kind, e.data
              FROM lock, jsonb_to_recordset(${tx.json(pending as any)}) AS e(task_id bigint,
                schedule_id bigint, kind text, data jsonb, ord int)
              ORDER BY e.ord
              RETURNING id, at, task_id, kind, data),
            note AS (
              SELECT pg_notify(${EVENT_CHANNEL}, ${connection.schema + ":"} || max(id)) AS n
              FROM ins UNION ALL
              SELECT pg_notify(${WAKE_CHANNEL}, ${connection.schema}) WHERE ${wake})
            SELECT ins.*, (SELECT count(*) FROM note) AS notes FROM ins ORDER BY id`,
          tx`COMMIT`,
        );
        events = rows.map(toEvent);
      } else if (wake) {
        await together(tx`SELECT pg_notify(${WAKE_CHANNEL}, ${connection.schema})`, tx`COMMIT`);
      } else await together(tx`COMMIT`);
      return { value, events };
    } catch (error) {
      // Let every statement sent settle, then end the transaction (only a warning when there
      // is none: BEGIN failed, or COMMIT ran).
      await Promise.allSettled(inFlight);
      await tx`ROLLBACK`.catch(() => {});
      throw error;
    } finally {
      tx.release();
    }
  });
}
