/**
 * The PostgreSQL side of {@linkcode OutputStore} and {@linkcode ControlStore}: the `output`
 * table (chunks keyed by task, stream, offset and attempt; a re-sent chunk is a no-op unless it
 * is longer, then it replaces the shorter one) and the `controls` table (a request row per control,
 * NOTIFY `bgt_control` with `schema:owner`, answered in place).
 *
 * @example
 * ```ts
 * const output = new PostgresOutputStore(connection);
 * await output.ship([{ taskId: 7, attempt: 1, stream: "stdout", offset: 0, data }]);
 * ```
 */
import type {
  ControlAction,
  ControlOutcome,
  ControlRequest,
  ControlStore,
  OutputChunk,
  OutputStore,
  OutputTrim,
} from "../shared_io.ts";
import { STREAM_NAMES, type StreamName } from "../task_files.ts";
import type { PostgresConnection, Sql, TransactionSql } from "./postgres_connection.ts";
import { listenWithPolling } from "./postgres_listener.ts";

/** The channel control requests are announced on; payload: `schema:owner`. */
export const CONTROL_CHANNEL = "bgt_control";

/** Answered requests nobody collected are deleted after this long. */
const ANSWERED_KEEP_MS = 3600_000;

const STREAM_NUMBER: Record<StreamName, number> = { stdout: 0, stderr: 1, data: 2 };

/** The shipped output in PostgreSQL. */
export class PostgresOutputStore implements OutputStore {
  #connection: PostgresConnection;

  constructor(connection: PostgresConnection) {
    this.#connection = connection;
  }

  async ship(chunks: readonly OutputChunk[], trims: readonly OutputTrim[] = []): Promise<void> {
    if (!trims.length) return await this.#insert(this.#connection.sql, chunks);
    await this.#connection.sql.begin(async (tx) => {
      for (const trim of trims) await _trim(tx, trim.taskId, trim.stream, trim.before);
      await this.#insert(tx, chunks);
    });
  }

  async #insert(sql: Sql | TransactionSql, chunks: readonly OutputChunk[]): Promise<void> {
    if (!chunks.length) return;
    // One statement of fixed text (one prepared statement), the bytes as one bytea cut in SQL.
    const blob = Buffer.concat(chunks.map((c) => c.data));
    const positions: number[] = [];
    let at = 0;
    for (const chunk of chunks) {
      positions.push(at);
      at += chunk.data.length;
    }
    await sql`
      INSERT INTO output (task_id, attempt, stream, off, data)
      SELECT u.task_id, u.attempt, u.stream, u.off, substring(${blob}::bytea FROM u.at + 1 FOR u.len)
      FROM unnest(${chunks.map((c) => c.taskId)}::bigint[], ${
      chunks.map((c) => c.attempt)
    }::int[], ${chunks.map((c) => STREAM_NUMBER[c.stream])}::int[], ${
      chunks.map((c) => c.offset)
    }::bigint[], ${positions}::int[], ${
      chunks.map((c) => c.data.length)
    }::int[]) AS u(task_id, attempt, stream, off, at, len)
      ON CONFLICT (task_id, stream, off, attempt) DO UPDATE SET data = EXCLUDED.data
        WHERE octet_length(EXCLUDED.data) > octet_length(output.data)`;
  }

  async trim(taskId: number, stream: StreamName, before: number): Promise<void> {
    await _trim(this.#connection.sql, taskId, stream, before);
  }

  async shippedEnds(taskId: number): Promise<Record<StreamName, number>> {
    const rows = await this.#connection.sql`
      SELECT stream, max(off + octet_length(data)) AS "end" FROM output
      WHERE task_id = ${taskId} GROUP BY stream`;
    const ends: Record<StreamName, number> = { stdout: 0, stderr: 0, data: 0 };
    for (const row of rows) ends[STREAM_NAMES[row.stream]] = Number(row.end);
    return ends;
  }

  async read(
    taskId: number,
    from: Record<StreamName, number>,
    limit = 16 << 20,
  ): Promise<OutputChunk[]> {
    const { sql } = this.#connection;
    const rows = await sql`
      WITH wanted AS (
        SELECT attempt, stream, off, data,
          sum(octet_length(data)) OVER (ORDER BY stream, off, attempt) AS total
        FROM output
        WHERE task_id = ${taskId} AND off + octet_length(data) > (ARRAY[${from.stdout}::bigint,
          ${from.stderr}::bigint, ${from.data}::bigint])[stream + 1])
      SELECT attempt, stream, off, data FROM wanted
      WHERE total - octet_length(data) < ${limit} ORDER BY stream, off, attempt`;
    return rows.map((row) => ({
      taskId,
      attempt: row.attempt,
      stream: STREAM_NAMES[row.stream],
      offset: Number(row.off),
      data: new Uint8Array(row.data),
    }));
  }

  async starts(taskId: number): Promise<Partial<Record<StreamName, number>>> {
    const rows = await this.#connection.sql`
      SELECT stream, min(off) AS start FROM output WHERE task_id = ${taskId} GROUP BY stream`;
    return Object.fromEntries(rows.map((row) => [STREAM_NAMES[row.stream], Number(row.start)]));
  }
}

async function _trim(
  sql: Sql | TransactionSql,
  taskId: number,
  stream: StreamName,
  before: number,
): Promise<void> {
  await sql`DELETE FROM output WHERE task_id = ${taskId}
    AND stream = ${STREAM_NUMBER[stream]} AND off + octet_length(data) <= ${before}`;
}

/** Control requests between supervisors in PostgreSQL. */
export class PostgresControlStore implements ControlStore {
  #connection: PostgresConnection;

  constructor(connection: PostgresConnection) {
    this.#connection = connection;
  }

  async request(owner: string, taskId: number, action: ControlAction): Promise<number> {
    const { sql, schema } = this.#connection;
    const signal = action.kind === "signal" ? action.signal : null;
    const data = action.kind === "send"
      ? Buffer.from(action.data.buffer, action.data.byteOffset, action.data.length)
      : null;
    const eof = action.kind === "send" && action.eof;
    const [row] = await sql`
      WITH ins AS (INSERT INTO controls (task_id, owner, action, signal, data, eof)
        VALUES (${taskId}, ${owner}, ${action.kind}, ${signal}, ${data}, ${eof}) RETURNING id)
      SELECT id, pg_notify(${CONTROL_CHANNEL}, ${schema + ":" + owner}) FROM ins`;
    return Number(row.id);
  }

  async outcome(id: number): Promise<ControlOutcome | undefined> {
    const rows = await this.#connection.sql`
      DELETE FROM controls WHERE id = ${id} AND answered_at IS NOT NULL RETURNING outcome`;
    return rows[0]?.outcome as ControlOutcome | undefined;
  }

  async withdraw(id: number): Promise<void> {
    await this.#connection.sql`DELETE FROM controls WHERE id = ${id}`;
  }

  async pending(owner: string): Promise<ControlRequest[]> {
    const { sql } = this.#connection;
    await sql`DELETE FROM controls WHERE answered_at < now_ms() - ${ANSWERED_KEEP_MS}`;
    const rows = await sql`
      SELECT id, task_id, action, signal, data, eof FROM controls
      WHERE owner = ${owner} AND answered_at IS NULL ORDER BY id`;
    return rows.map((row) => ({
      id: Number(row.id),
      taskId: Number(row.task_id),
      action: row.action === "send"
        ? { kind: "send", data: new Uint8Array(row.data ?? []), eof: row.eof }
        : row.action === "forget"
        ? { kind: "forget" }
        : { kind: "signal", signal: row.signal },
    }));
  }

  async answer(id: number, outcome: ControlOutcome): Promise<void> {
    const { sql } = this.#connection;
    await sql`UPDATE controls SET answered_at = now_ms(), outcome = ${sql.json(outcome as any)},
      data = NULL WHERE id = ${id}`;
  }

  listen(owner: string, onRequest: () => void): Promise<() => Promise<void>> {
    return listenWithPolling(this.#connection, CONTROL_CHANNEL, onRequest, owner);
  }
}
