/**
 * The task writes several PostgreSQL operations share, inside their transaction: inserting
 * submissions (key policy under a per-key advisory lock, dependencies locked FOR SHARE so none
 * can end unseen), ending tasks that have not started, and settling blocked dependants (locked
 * first, so two dependencies ending in two transactions settle them once, seeing both).
 *
 * @example
 * ```ts
 * await writeTransaction(connection, (w) => insertTasks(w, [{ spec }]));
 * ```
 */
import { encode } from "../../task/codec.ts";
import { storableEnv, storableSpec } from "../../task/stored_spec.ts";
import { endData } from "../../task/events.ts";
import { keyDecision, replacedError } from "../../task/keys.ts";
import { DEFAULT_RESTART_DELAY_MS } from "../../task/restart_policy.ts";
import { ACTIVE, NOT_STARTED, sqlSet } from "../../task/statuses.ts";
import { type DependencyState, initialStatus, settle } from "../../task/settle.ts";
import {
  isTerminal,
  type NewTask,
  runsInWorker,
  type SubmitResult,
  type TaskError,
  type TaskStatus,
} from "../../task/types.ts";
import { storedHooks } from "../../task/task_hooks.ts";
import { validateTask } from "../../task/validate_task.ts";
import { SubmitRefusedError } from "../task_rows.ts";
import { type CarriedCode, keepCarriedCodeSql } from "./postgres_carried_code.ts";
import { toHex } from "./postgres_rows.ts";
import type { PostgresConnection, Sql, TransactionSql } from "./postgres_connection.ts";
import { EVENT_CHANNEL, retryOnConflict, WAKE_CHANNEL, type Write } from "./postgres_write.ts";

/** Inserts the tasks in order, applying each one's key policy and recording its dependencies. */
export async function insertTasks(w: Write, tasks: readonly NewTask[]): Promise<SubmitResult[]> {
  const results: SubmitResult[] = [];
  // Runs of plain tasks (no key, no dependencies) go in one statement each; the others one by
  // one, in their place, so the order of ids, events and refusals is the submission's.
  for (let i = 0; i < tasks.length;) {
    let end = i;
    while (end < tasks.length && isPlain(tasks[end])) end++;
    if (end > i) {
      results.push(...await insertPlain(w, tasks.slice(i, end)));
      i = end;
    } else {
      results.push(...await insertEach(w, [tasks[i]]));
      i++;
    }
  }
  return results;
}

/** A task with no key and no dependencies: it needs no lock and no settling. */
export function isPlain(task: NewTask): boolean {
  return !task.key && !task.after?.length && !task.afterAnyOf?.length;
}

/**
 * Plain tasks (validated) as the records of a `jsonb_to_recordset` batch: bytea as hex, and
 * `run_at` null for "now" (the statement's `now_ms()`, which is the transaction's).
 */
function plainRecords(tasks: readonly NewTask[]) {
  return tasks.map((task, ord) => {
    validateTask(task);
    return {
      ord,
      kind: task.spec.kind,
      spec: toHex(encode(storableSpec(task.spec))),
      name: task.name ?? null,
      grp: task.group ?? "default",
      priority: task.priority ?? 0,
      run_at: task.runAt ?? null,
      max_attempts: task.maxAttempts ?? 1,
      backoff_ms: task.backoffMs ?? 1000,
      timeout_ms: task.timeoutMs ?? null,
      after_any: task.afterAny ?? false,
      schedule_id: task.scheduleId ?? null,
      retain: task.retain ?? null,
      stdin: task.stdin ?? false,
      env: storableEnv(task.env ?? {}),
      cwd: task.cwd ?? process.cwd(),
      meta: task.meta ?? {},
      in_worker: runsInWorker(task.spec),
      restart_policy: task.restart ?? null,
      restart_delay_ms: task.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS,
      max_restarts: task.maxRestarts ?? null,
      pin_host: task.onHost ?? null,
      need_labels: task.needLabels ?? [],
      hooks: storedHooks(task.hooks),
      carried_hash: _carriedHash(task),
    };
  });
}

/**
 * The claim's placement condition on candidate `t`: unpinned or pinned to the claimer's host,
 * and needing no label the claimer lacks (a claimer without a supervisor row: no host, no labels).
 */
export function placedFor(tx: Sql | TransactionSql, owner: string) {
  return tx`(t.pin_host IS NULL
      OR t.pin_host = (SELECT s.host FROM supervisors s WHERE s.owner = ${owner}))
    AND t.need_labels <@ coalesce(
      (SELECT s.labels FROM supervisors s WHERE s.owner = ${owner}), '{}'::text[])`;
}

/**
 * The multi-row INSERT of plain tasks, `RETURNING id, grp, name, status`. Identities are drawn
 * in insertion order, which the ORDER BY fixes: ascending ids are the records' order. The
 * status is `initialStatus` of a task that waits for nothing (scheduled when run_at is later).
 */
function insertPlainSql(sql: Sql | TransactionSql, records: ReturnType<typeof plainRecords>) {
  return sql`
    INSERT INTO tasks (kind, spec, name, grp, priority, status, run_at, created_at, max_attempts,
      backoff_ms, timeout_ms, after_any, task_key, schedule_id, retain, stdin, env, cwd, meta,
      in_worker, restart_policy, restart_delay_ms, max_restarts, pin_host, need_labels, hooks,
      carried_hash)
    SELECT t.kind, decode(t.spec, 'hex'), t.name, t.grp, t.priority,
      CASE WHEN coalesce(t.run_at, now_ms()) > now_ms() THEN 'scheduled' ELSE 'queued' END,
      coalesce(t.run_at, now_ms()), now_ms(), t.max_attempts, t.backoff_ms, t.timeout_ms,
      t.after_any, NULL, t.schedule_id, t.retain, t.stdin, t.env, t.cwd, t.meta, t.in_worker,
      t.restart_policy, t.restart_delay_ms, t.max_restarts, t.pin_host,
      ARRAY(SELECT jsonb_array_elements_text(t.need_labels)), t.hooks, t.carried_hash
    FROM jsonb_to_recordset(${sql.json(records as any)}) AS t(ord int, kind text, spec text,
      name text, grp text, priority int, run_at bigint, max_attempts int, backoff_ms bigint,
      timeout_ms bigint, after_any boolean, schedule_id bigint, retain bigint, stdin boolean,
      env jsonb, cwd text, meta jsonb, in_worker boolean, restart_policy text,
      restart_delay_ms bigint, max_restarts int, pin_host text, need_labels jsonb, hooks jsonb,
      carried_hash text)
    ORDER BY t.ord
    RETURNING id, grp, name, status`;
}

/** Inserts plain tasks in one multi-row INSERT (ids in order); events and wake as one by one. */
async function insertPlain(w: Write, tasks: readonly NewTask[]): Promise<SubmitResult[]> {
  const rows = [...await insertPlainSql(w.tx, plainRecords(tasks))].sort((a, b) => a.id - b.id);
  return rows.map((row) => {
    w.emit(row.id, "submitted", { group: row.grp, name: row.name });
    if (row.status === "queued") w.wake();
    return { id: row.id };
  });
}

/**
 * Submits plain tasks (see `isPlain`) in one statement, its own transaction: the tasks, their
 * "submitted" events under the events lock, the events' NOTIFY and the wake-up when one can run
 * now — what `insertTasks` inside `writeTransaction` does for them, in one round trip.
 */
export async function submitPlain(
  connection: PostgresConnection,
  tasks: readonly NewTask[],
  codes: readonly CarriedCode[] = [],
): Promise<SubmitResult[]> {
  const { sql, schema } = connection;
  const records = plainRecords(tasks);
  const rows = await retryOnConflict(() =>
    sql`
    WITH ${codes.length ? sql`code AS (${keepCarriedCodeSql(sql, codes)}),` : sql``}
    ins AS (${insertPlainSql(sql, records)}),
    lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(hashtext(${"bgt.events:" + schema}))),
    ev AS (
      INSERT INTO events (at, task_id, kind, data)
      SELECT now_ms(), i.id, 'submitted', jsonb_build_object('group', i.grp, 'name', i.name)
      FROM lock, ins i
      ORDER BY i.id
      RETURNING id),
    note AS (
      SELECT pg_notify(${EVENT_CHANNEL}, ${schema + ":"} || max(id)) FROM ev
      UNION ALL
      SELECT pg_notify(${WAKE_CHANNEL}, ${schema})
      WHERE EXISTS (SELECT 1 FROM ins WHERE status = 'queued'))
    SELECT i.id, (SELECT count(*) FROM note) AS notes${
      codes.length ? sql`, (SELECT count(*) FROM code) AS codes` : sql``
    } FROM ins i ORDER BY i.id`
  );
  return rows.map((row) => ({ id: row.id as number }));
}

/** Inserts the tasks one by one, applying each one's key policy and recording its dependencies. */
async function insertEach(w: Write, tasks: readonly NewTask[]): Promise<SubmitResult[]> {
  const { tx } = w;
  const results: SubmitResult[] = [];
  for (const task of tasks) {
    validateTask(task);
    const after = [...(task.after ?? [])];
    const afterAnyOf = [...(task.afterAnyOf ?? [])];
    const deps = [...new Set([...after, ...afterAnyOf])];
    if (deps.length) {
      const found = await tx`SELECT id FROM tasks WHERE id = ANY (${deps}::bigint[])
        ORDER BY id FOR SHARE`;
      const have = new Set(found.map((row) => row.id));
      const missing = [...after, ...afterAnyOf].find((dep) => !have.has(dep));
      if (missing !== undefined) {
        throw new SubmitRefusedError(`Cannot wait for task ${missing}: no such id (see 'bgt ls')`);
      }
    }
    let keyAction: SubmitResult["key"];
    if (task.key) {
      await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`bgt.key:${w.schema}:${task.key}`}, 0))`;
      const [holder] = await tx`
        SELECT id, status FROM tasks
        WHERE task_key = ${task.key}
          AND status IN ${tx.unsafe(sqlSet(ACTIVE))}
        ORDER BY id DESC LIMIT 1 FOR SHARE`;
      const decision = keyDecision(task.onKey, holder as { id: number; status: TaskStatus });
      if (decision.action === "skip") {
        results.push(decision.result);
        continue;
      }
      if (decision.action === "replace") {
        keyAction = decision.key;
        await endNotStarted(w, [decision.holder], "canceled", replacedError(task.key));
      } else if (decision.action === "wait") {
        keyAction = decision.key;
        afterAnyOf.push(decision.holder);
      }
    }
    const runAt = task.runAt ?? w.now;
    const waits = after.length + afterAnyOf.length > 0;
    const status = initialStatus({ runAt, waits }, w.now);
    const [{ id }] = await tx`
      INSERT INTO tasks (kind, spec, name, grp, priority, status, run_at, created_at, max_attempts,
        backoff_ms, timeout_ms, after_any, task_key, schedule_id, retain, stdin, env, cwd, meta,
        in_worker, restart_policy, restart_delay_ms, max_restarts, pin_host, need_labels, hooks,
        carried_hash)
      VALUES (${task.spec.kind}, ${encode(storableSpec(task.spec))}, ${task.name ?? null},
        ${task.group ?? "default"}, ${task.priority ?? 0}, ${status}, ${runAt}, ${w.now},
        ${task.maxAttempts ?? 1}, ${task.backoffMs ?? 1000}, ${task.timeoutMs ?? null},
        ${task.afterAny ?? false}, ${task.key ?? null}, ${task.scheduleId ?? null},
        ${task.retain ?? null}, ${task.stdin ?? false}, ${
      tx.json(storableEnv(task.env ?? {}) as Record<string, string>)
    },
        ${task.cwd ?? process.cwd()}, ${tx.json((task.meta ?? {}) as any)},
        ${runsInWorker(task.spec)}, ${task.restart ?? null},
        ${task.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS}, ${task.maxRestarts ?? null},
        ${task.onHost ?? null}, ${task.needLabels ?? []}::text[], ${_hooksJson(tx, task.hooks)},
        ${_carriedHash(task)})
      RETURNING id`;
    if (waits) {
      await tx`
        INSERT INTO dependencies (task_id, dep_id, any_outcome)
        SELECT ${id}, d.dep, bool_and(d.any_outcome)
        FROM jsonb_to_recordset(${
        tx.json([
          ...after.map((dep) => ({ dep, any_outcome: false })),
          ...afterAnyOf.map((dep) => ({ dep, any_outcome: true })),
        ])
      }) AS d(dep bigint, any_outcome boolean)
        GROUP BY d.dep
        ON CONFLICT DO NOTHING`;
    }
    w.emit(id, "submitted", { group: task.group ?? "default", name: task.name ?? null });
    if (status === "queued") w.wake();
    if (waits) await settleTasks(w, [id]);
    results.push(keyAction ? { id, key: keyAction } : { id });
  }
  return results;
}

/**
 * Ends tasks that have not started (queued, scheduled, blocked) as canceled or failed, and
 * settles their dependants; returns the ids that ended (dependants included).
 */
export async function endNotStarted(
  w: Write,
  ids: readonly number[],
  status: "canceled" | "failed",
  error: TaskError | null,
): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await w.tx`
    UPDATE tasks SET status = ${status}, finished_at = ${w.now},
      error = ${error === null ? null : w.tx.json(error as any)}
    WHERE id = ANY (${[...ids]}::bigint[]) AND status IN ${w.tx.unsafe(sqlSet(NOT_STARTED))}
    RETURNING id, attempt`;
  const order = new Map(ids.map((id, i) => [id, i]));
  const ended = [...rows].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  for (const row of ended) {
    w.emit(row.id, status, endData(row.attempt, { error }));
  }
  const endedIds = ended.map((row) => row.id as number);
  return [...endedIds, ...await settleDependants(w, endedIds)];
}

/**
 * Moves on the blocked dependants of tasks that just ended (or were removed): to queued or
 * scheduled once all their dependencies ended as they require, to failed when one they needed
 * did not succeed (and so on down the chain). Returns the dependants that failed.
 */
export async function settleDependants(w: Write, endedIds: readonly number[]): Promise<number[]> {
  const failed: number[] = [];
  let pending = [...endedIds];
  while (pending.length) {
    const rows = await dependantsOf(w, pending);
    pending = await settleTasks(w, rows.map((row) => row.id));
    failed.push(...pending);
  }
  return failed;
}

/**
 * Settles these dependants of tasks that just ended (their ids, as `dependantsOf` finds them),
 * then theirs, down the chain; returns the dependants that failed.
 */
export async function settleFound(w: Write, dependantIds: readonly number[]): Promise<number[]> {
  const failed = await settleTasks(w, dependantIds);
  return failed.length ? [...failed, ...await settleDependants(w, failed)] : failed;
}

/** The statement that lists the blocked-or-not dependants of these tasks (rows of `id`). */
export function dependantsOf(w: Write, ids: readonly number[]) {
  return w.tx`SELECT DISTINCT d.task_id AS id FROM dependencies d
    WHERE d.dep_id = ANY (${[...ids]}::bigint[]) ORDER BY d.task_id`;
}

/** Settles these tasks if blocked (locking them first); returns the ones that failed. */
async function settleTasks(w: Write, ids: readonly number[]): Promise<number[]> {
  if (!ids.length) return [];
  const { tx } = w;
  const tasks = await tx`
    SELECT id, after_any, run_at, attempt FROM tasks
    WHERE id = ANY (${[...ids]}::bigint[]) AND status = 'blocked' ORDER BY id FOR UPDATE`;
  if (!tasks.length) return [];
  const depRows = await tx`
    SELECT d.task_id, d.dep_id, d.any_outcome, s.status,
      (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS clock
    FROM dependencies d
    LEFT JOIN tasks s ON s.id = d.dep_id
    WHERE d.task_id = ANY (${tasks.map((task) => task.id)}::bigint[])
    ORDER BY d.task_id, d.dep_id`;
  // A dependant another transaction submitted after this one began (its run_at later than
  // w.now) is runnable now: settle on the clock as read after its lock, not on w.now.
  const now = Math.max(w.now, depRows[0]?.clock ?? w.now);
  const failed: number[] = [];
  for (const task of tasks) {
    const deps: DependencyState[] = depRows.filter((row) => row.task_id === task.id).map((row) => ({
      id: row.dep_id,
      anyOutcome: row.any_outcome,
      status: row.status ?? null,
    }));
    const decision = settle({ afterAny: task.after_any, runAt: task.run_at }, deps, now);
    if (!decision) continue;
    await tx`
      UPDATE tasks SET status = ${decision.status},
        error = ${decision.error ? tx.json(decision.error as any) : null},
        finished_at = ${isTerminal(decision.status) ? w.now : null}
      WHERE id = ${task.id}`;
    if (decision.status === "failed") {
      failed.push(task.id);
      w.emit(task.id, "failed", endData(task.attempt, decision));
    } else if (decision.status === "queued") w.wake();
  }
  return failed;
}

/** A task's hooks as a jsonb parameter, or null when it has none. */
function _hooksJson(tx: TransactionSql, hooks: NewTask["hooks"]) {
  const stored = storedHooks(hooks);
  // deno-lint-ignore no-explicit-any -- the driver's JSON parameter type
  return stored && tx.json(stored as any);
}

/** The hash of the code a module task carries (its bundle kept once in `carried_code`). */
function _carriedHash(task: NewTask): string | null {
  return task.spec.kind === "module" ? task.spec.carriedHash ?? null : null;
}
