/**
 * The PostgreSQL ScheduleStore: each firing creates ordinary tasks in the transaction that moves
 * the schedule on. The schedule's row is locked FOR UPDATE and its `last_slot` checked under
 * the lock, so two supervisors firing one slot create its tasks once.
 *
 * @example
 * ```ts
 * const id = await store.schedules.create({ every: "2s", timeZone: null, template, anchor, nextAt });
 * const { now, due } = await store.schedules.dueSchedules();
 * ```
 */
import { encode } from "../../task/codec.ts";
import { storableTemplate } from "../../task/stored_spec.ts";
import type { FiringRecord, NewSchedule, Schedule } from "../../task/schedule.ts";
import { FiringPlan, staleFiring, unfiredSlots } from "../../task/firing_plan.ts";
import { ACTIVE, ENDED, inSet, NOT_STARTED, sqlSet } from "../../task/statuses.ts";
import type { ScheduleFiring, ScheduleRemoval, ScheduleStore } from "../task_store.ts";
import type { PostgresConnection } from "./postgres_connection.ts";
import { SCHEDULE_COLUMNS, SCHEDULE_FROM, toSchedule } from "./postgres_rows.ts";
import { endNotStarted, insertTasks } from "./postgres_task_writes.ts";
import { type Write, writeTransaction } from "./postgres_write.ts";

/** PostgreSQL implementation of {@linkcode ScheduleStore}. */
export class PostgresScheduleStore implements ScheduleStore {
  #connection: PostgresConnection;

  constructor(connection: PostgresConnection) {
    this.#connection = connection;
  }

  get #sql() {
    return this.#connection.sql;
  }

  async create(schedule: NewSchedule): Promise<number> {
    const [{ id }] = await this.#sql`
      INSERT INTO schedules (every, time_zone, template, overlap, catch_up, anchor, start_at,
        stop_at, max_runs, keep, next_at, created_at)
      VALUES (${schedule.every}, ${schedule.timeZone}, ${
      encode(storableTemplate(schedule.template))
    },
        ${schedule.overlap ?? "skip"}, ${schedule.catchUp ?? "once"}, ${schedule.anchor},
        ${schedule.startAt ?? null}, ${schedule.stopAt ?? null}, ${schedule.maxRuns ?? null},
        ${schedule.keep ?? null}, ${schedule.nextAt}, now_ms())
      RETURNING id`;
    return id;
  }

  async get(id: number): Promise<Schedule | undefined> {
    const sql = this.#sql;
    const [row] = await sql`SELECT ${sql.unsafe(SCHEDULE_COLUMNS)} FROM ${sql.unsafe(SCHEDULE_FROM)}
      WHERE s.id = ${id}`;
    return row && toSchedule(row);
  }

  async list(): Promise<Schedule[]> {
    const sql = this.#sql;
    const rows = await sql`SELECT ${sql.unsafe(SCHEDULE_COLUMNS)} FROM ${sql.unsafe(SCHEDULE_FROM)}
      ORDER BY s.id`;
    return rows.map(toSchedule);
  }

  async dueSchedules(): Promise<{ now: number; due: Schedule[] }> {
    // (writeTransaction, not sql.begin: its connection is watched; see postgres_write.ts.)
    const { value } = await writeTransaction(this.#connection, async ({ tx, now }) => {
      const rows = await tx`SELECT ${tx.unsafe(SCHEDULE_COLUMNS)} FROM ${tx.unsafe(SCHEDULE_FROM)}
        WHERE NOT s.paused AND s.next_at IS NOT NULL AND s.next_at <= ${now}
        ORDER BY s.next_at, s.id`;
      return { now, due: rows.map(toSchedule) };
    });
    return value;
  }

  async fire(id: number, firing: FiringRecord): Promise<number[]> {
    return await this.fireAll([{ id, firing }]);
  }

  async fireAll(firings: readonly ScheduleFiring[]): Promise<number[]> {
    // Schedules locked in id order: two supervisors firing the same ones never deadlock.
    const inOrder = [...firings].sort((a, b) => a.id - b.id);
    const { value } = await writeTransaction(this.#connection, async (w) => {
      const ids: number[] = [];
      for (const { id, firing } of inOrder) ids.push(...await this.#fireIn(w, id, firing));
      return ids;
    });
    return value;
  }

  /** One schedule's firing, inside the caller's transaction. */
  async #fireIn(w: Write, id: number, firing: FiringRecord): Promise<number[]> {
    const { tx } = w;
    const [locked] = await tx`SELECT last_slot, paused FROM schedules WHERE id = ${id}
      FOR UPDATE`;
    if (staleFiring(locked && { paused: locked.paused, lastSlot: locked.last_slot }, firing)) {
      return [];
    }
    const [row] = await tx`SELECT ${tx.unsafe(SCHEDULE_COLUMNS)} FROM ${tx.unsafe(SCHEDULE_FROM)}
      WHERE s.id = ${id}`;
    if (row.last_task_id !== null) {
      // A last run that is ending now: wait for its end, then read its state.
      const [last] = await tx`SELECT status FROM tasks WHERE id = ${row.last_task_id} FOR SHARE`;
      row.last_status = last?.status ?? null;
    }
    const plan = new FiringPlan(toSchedule(row), firing);
    for (const slot of unfiredSlots(firing, locked.last_slot)) {
      const task = plan.taskFor(slot);
      if (task) plan.inserted((await insertTasks(w, [task]))[0]);
    }
    const fired = plan.row();
    await tx`UPDATE schedules SET runs = ${fired.runs}, skipped = ${fired.skipped},
        last_slot = ${fired.lastSlot}, next_at = ${fired.nextAt}, last_task_id = ${fired.lastTaskId}
      WHERE id = ${id}`;
    for (const event of plan.events()) w.emit(null, event.kind, event.data, id);
    return plan.ids;
  }

  async setPaused(
    id: number,
    paused: boolean,
    resume?: { lastSlot: number; nextAt: number | null },
  ): Promise<boolean> {
    const rows = paused || !resume
      ? await this.#sql`UPDATE schedules SET paused = ${paused} WHERE id = ${id} RETURNING id`
      : await this.#sql`UPDATE schedules SET paused = false, last_slot = ${resume.lastSlot},
          next_at = ${resume.nextAt} WHERE id = ${id} RETURNING id`;
    return rows.length > 0;
  }

  async remove(id: number): Promise<ScheduleRemoval | undefined> {
    const { value } = await writeTransaction(this.#connection, async (w) => {
      const deleted = await w.tx`DELETE FROM schedules WHERE id = ${id} RETURNING id`;
      if (!deleted.length) return undefined;
      const unfinished = await w.tx`
        SELECT id, status FROM tasks WHERE schedule_id = ${id}
          AND status IN ${w.tx.unsafe(sqlSet(ACTIVE))}
        ORDER BY id FOR UPDATE`;
      const waiting = unfinished.filter((task) => inSet(NOT_STARTED, task.status)).map((task) =>
        task.id as number
      );
      const ended = await endNotStarted(w, waiting, "canceled", {
        name: "Error",
        message: `Schedule ${id} was removed before this run started`,
      });
      return {
        canceled: ended.filter((taskId) => waiting.includes(taskId)),
        running: unfinished.filter((task) => !inSet(NOT_STARTED, task.status)).map((task) =>
          task.id as number
        ),
      };
    });
    return value;
  }

  async runsPastKeep(taskIds: readonly number[]): Promise<number[]> {
    if (!taskIds.length) return [];
    const rows = await this.#sql`
      SELECT r.id FROM schedules s
      CROSS JOIN LATERAL (
        SELECT t.id FROM tasks t
        WHERE t.schedule_id = s.id AND t.status = ANY (${[...ENDED]}::text[])
        ORDER BY t.id DESC OFFSET s.keep) r
      WHERE s.keep IS NOT NULL
        AND s.id IN (SELECT schedule_id FROM tasks WHERE id = ANY (${[...taskIds]}::bigint[]))
      ORDER BY r.id`;
    return rows.map((row) => row.id);
  }
}
