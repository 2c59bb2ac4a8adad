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
    const reserved = await reserveWatched(connection);
    const { tx } = reserved;
    const sent = [reserved.begin(), ...build(tx as unknown as TransactionSql), tx`COMMIT`].map((
      query,
    ) => Promise.resolve(query));
    try {
      return (await Promise.all(sent)).slice(1, -1);
    } catch (error) {
      await Promise.allSettled(sent);
      await reserved.rollback(error);
      throw error;
    } finally {
      reserved.release();
    }
  });
}

/**
 * Longest a transaction may take before its connection is taken for dead and ended (no bgt
 * transaction comes near: the largest submits take a few seconds).
 */
export const TRANSACTION_STALL_MS = Number(process.env.BGT_PG_STALL_MS) || 60_000;

/** Error codes that say the connection itself is gone (its backend ended, the socket closed). */
const CONNECTION_GONE = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown: pg_terminate_backend, a fast shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "ECONNRESET",
  "EPIPE",
]);

/**
 * A reserved connection, watched: when its backend goes away while it is reserved, it is
 * neither rolled back nor released (postgres.js 3.4.9 would hand the closed connection out
 * again from its open queue, and a statement sent on it throws from a timer — an uncaught
 * exception, porsager/postgres#1208 — or never settles); the pool reconnects it instead.
 */
async function reserveWatched(connection: PostgresConnection) {
  const tx = await connection.sql.reserve();
  // deno-lint-ignore no-explicit-any -- postgres.js's connection object (not in its types)
  let watched: any;
  let gone = false;
  // A connection that closed before its BEGIN went out is not seen closing: its statements
  // would wait forever. After TRANSACTION_STALL_MS the connection is ended, which fails them.
  const stall = setTimeout(() => {
    gone = true;
    watched?.terminate?.();
  }, TRANSACTION_STALL_MS);
  return {
    tx,
    /** BEGIN, noting the connection it runs on so that its close is seen. */
    begin() {
      return tx.unsafe("BEGIN", [], {
        // deno-lint-ignore no-explicit-any
        onexecute: (c: any) => {
          watched = c;
          c.onclose = () => (gone = true);
          return true;
        },
      } as Record<string, unknown>);
    },
    /** Ends a failed transaction, unless the connection is gone (then nothing may be sent). */
    async rollback(error: unknown) {
      if (gone || CONNECTION_GONE.has((error as { code?: string }).code ?? "")) gone = true;
      else await tx`ROLLBACK`.catch(() => {});
    },
    release() {
      clearTimeout(stall);
      if (watched?.onclose) watched.onclose = null;
      if (!gone) tx.release();
    },
  };
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
    const reserved = await reserveWatched(connection);
    const { tx } = reserved;
    const inFlight: Promise<unknown>[] = [];
    /** Sends the statements together (one round trip); resolves to their results in order. */
    const together = <R extends unknown[]>(...queries: { [K in keyof R]: PromiseLike<R[K]> }) => {
      const all = queries.map((query) => Promise.resolve(query));
      inFlight.push(...all);
      return Promise.all(all) as Promise<R>;
    };
    try {
      const [, [{ now }], ...opened] = await together<[unknown, { now: number }[], ...any[]]>(
        reserved.begin(),
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
      await reserved.rollback(error);
      throw error;
    } finally {
      reserved.release();
    }
  });
}
