// deno-lint-ignore-file require-await -- the contract is asynchronous, SQLite's core is not: an
// async method without an await still turns a throw into a rejection, as the contract says.
/**
 * The SQLite ScheduleStore: recurring schedules in their own table, each firing creating an
 * ordinary task (linked by schedule_id) in the same transaction that moves the schedule on.
 *
 * @example
 * ```ts
 * const store = await SqliteTaskStore.open(home.db);
 * const id = await store.schedules.create({ every: "2s", timeZone: null, template, anchor, nextAt });
 * await store.schedules.fire(id, { slots: [nextAt], skipped: 0, lastSlot: nextAt, nextAt: nextAt + 2000 });
 * ```
 */
import type { SqlValue } from "../runtime/sqlite.ts";
import { encode } from "../task/codec.ts";
import { storableTemplate } from "../task/stored_spec.ts";
import type { FiringRecord, NewSchedule, Schedule } from "../task/schedule.ts";
import type { TaskStatus } from "../task/types.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";
import type { TaskEvent } from "../task/events.ts";
import { FiringPlan, staleFiring, unfiredSlots } from "../task/firing_plan.ts";
import { ACTIVE, ENDED, inSet, NOT_STARTED, sqlSet } from "../task/statuses.ts";
import { SCHEDULE_COLUMNS, SCHEDULE_FROM, toSchedule } from "./store_rows.ts";
import { endTasks, insertTasks, writeEvent } from "./task_rows.ts";
import type { ScheduleFiring, ScheduleRemoval, ScheduleStore } from "./task_store.ts";

/** SQLite implementation of {@linkcode ScheduleStore}. */
export class SqliteScheduleStore implements ScheduleStore {
  #connection: SqliteConnection;

  constructor(connection: SqliteConnection) {
    this.#connection = connection;
  }

  get #db() {
    return this.#connection.db;
  }

  async create(schedule: NewSchedule): Promise<number> {
    return this.#connection.transaction(() =>
      Number(
        this.#db.prepare(
          `INSERT INTO schedules (every, time_zone, template, overlap, catch_up, anchor, start_at,
             stop_at, max_runs, keep, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          schedule.every,
          schedule.timeZone,
          encode(storableTemplate(schedule.template)),
          schedule.overlap ?? "skip",
          schedule.catchUp ?? "once",
          schedule.anchor,
          schedule.startAt ?? null,
          schedule.stopAt ?? null,
          schedule.maxRuns ?? null,
          schedule.keep ?? null,
          schedule.nextAt,
          Date.now(),
        ).lastInsertRowid,
      )
    );
  }

  async get(id: number): Promise<Schedule | undefined> {
    const row = this.#db.prepare(`SELECT ${SCHEDULE_COLUMNS} FROM ${SCHEDULE_FROM} WHERE s.id = ?`)
      .get<Record<string, SqlValue>>(id);
    return row && toSchedule(row);
  }

  async list(): Promise<Schedule[]> {
    return this.#db.prepare(`SELECT ${SCHEDULE_COLUMNS} FROM ${SCHEDULE_FROM} ORDER BY s.id`)
      .all<Record<string, SqlValue>>()
      .map(toSchedule);
  }

  async dueSchedules(): Promise<{ now: number; due: Schedule[] }> {
    const now = Date.now();
    const due = this.#db
      .prepare(
        `SELECT ${SCHEDULE_COLUMNS} FROM ${SCHEDULE_FROM}
         WHERE s.paused = 0 AND s.next_at IS NOT NULL AND s.next_at <= ? ORDER BY s.next_at`,
      )
      .all<Record<string, SqlValue>>(now)
      .map(toSchedule);
    return { now, due };
  }

  async fire(id: number, firing: FiringRecord): Promise<number[]> {
    return await this.fireAll([{ id, firing }]);
  }

  async fireAll(firings: readonly ScheduleFiring[]): Promise<number[]> {
    return this.#connection.transaction(() => {
      const now = Date.now();
      return firings.flatMap(({ id, firing }) => this.#fireIn(now, id, firing));
    });
  }

  /** One schedule's firing, inside the caller's transaction. */
  #fireIn(now: number, id: number, firing: FiringRecord): number[] {
    const events: TaskEvent[] = [];
    const row = this.#db.prepare(
      `SELECT ${SCHEDULE_COLUMNS} FROM ${SCHEDULE_FROM} WHERE s.id = ?`,
    )
      .get<Record<string, SqlValue>>(id);
    const schedule = row && toSchedule(row);
    if (staleFiring(schedule, firing)) return [];
    const plan = new FiringPlan(schedule!, firing);
    for (const slot of unfiredSlots(firing, schedule!.lastSlot)) {
      const task = plan.taskFor(slot);
      if (task) plan.inserted(insertTasks(this.#db, [task], now, events)[0]);
    }
    const fired = plan.row();
    this.#db.prepare(
      `UPDATE schedules SET runs = ?, skipped = ?, last_slot = ?, next_at = ?, last_task_id = ?
       WHERE id = ?`,
    ).run(fired.runs, fired.skipped, fired.lastSlot, fired.nextAt, fired.lastTaskId, id);
    for (const event of plan.events()) {
      writeEvent(this.#db, now, null, event.kind, event.data, id);
    }
    return plan.ids;
  }

  async setPaused(
    id: number,
    paused: boolean,
    resume?: { lastSlot: number; nextAt: number | null },
  ): Promise<boolean> {
    return this.#connection.transaction(() => {
      const changes = paused || !resume
        ? this.#db.prepare("UPDATE schedules SET paused = ? WHERE id = ?").run(paused ? 1 : 0, id)
          .changes
        : this.#db.prepare(
          "UPDATE schedules SET paused = 0, last_slot = ?, next_at = ? WHERE id = ?",
        ).run(resume.lastSlot, resume.nextAt, id).changes;
      return changes > 0;
    });
  }

  async remove(id: number): Promise<ScheduleRemoval | undefined> {
    return this.#connection.transaction(() => {
      const now = Date.now();
      if (this.#db.prepare("DELETE FROM schedules WHERE id = ?").run(id).changes === 0) {
        return undefined;
      }
      const unfinished = this.#db.prepare(
        `SELECT id, status FROM tasks WHERE schedule_id = ?
           AND status IN ${sqlSet(ACTIVE)} ORDER BY id`,
      ).all<{ id: number; status: TaskStatus }>(id);
      const waiting = unfinished.filter((task) => inSet(NOT_STARTED, task.status)).map((task) =>
        task.id
      );
      const ended = endTasks(this.#db, waiting, "canceled", now, {
        name: "Error",
        message: `Schedule ${id} was removed before this run started`,
      });
      return {
        canceled: ended.map((task) => task.id).filter((taskId) => waiting.includes(taskId)),
        running: unfinished.filter((task) => !inSet(NOT_STARTED, task.status)).map((task) =>
          task.id
        ),
      };
    });
  }

  async runsPastKeep(taskIds: readonly number[]): Promise<number[]> {
    if (!taskIds.length) return [];
    const schedules = this.#db.prepare(
      `SELECT id, keep FROM schedules WHERE keep IS NOT NULL AND id IN
         (SELECT schedule_id FROM tasks WHERE id IN (SELECT value FROM json_each(?)))`,
    ).all<{ id: number; keep: number }>(JSON.stringify(taskIds));
    const older = this.#db.prepare(
      `SELECT id FROM tasks WHERE schedule_id = ? AND status IN (SELECT value FROM json_each(?))
       ORDER BY id DESC LIMIT -1 OFFSET ?`,
    );
    const finished = JSON.stringify(ENDED);
    return schedules.flatMap((schedule) =>
      older.all<{ id: number }>(schedule.id, finished, schedule.keep).map((row) => row.id)
    ).sort((a, b) => a - b);
  }
}
