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
import type { FiringRecord, NewSchedule, Schedule } from "../../task/schedule.ts";
import { type NewTask, type TaskStatus, TERMINAL_STATUSES } from "../../task/types.ts";
import type { ScheduleRemoval, ScheduleStore } from "../task_store.ts";
import type { PostgresConnection } from "./postgres_connection.ts";
import { SCHEDULE_COLUMNS, SCHEDULE_FROM, toSchedule } from "./postgres_rows.ts";
import { endNotStarted, insertTasks } from "./postgres_task_writes.ts";
import { writeTransaction } from "./postgres_write.ts";

const ACTIVE: readonly (TaskStatus | null)[] = [
  "scheduled",
  "queued",
  "blocked",
  "running",
  "paused",
];
const WAITING: readonly (TaskStatus | null)[] = ["scheduled", "queued", "blocked"];

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
      VALUES (${schedule.every}, ${schedule.timeZone}, ${encode(schedule.template)},
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
    return await this.#sql.begin(async (tx) => {
      const [{ now }] = await tx`SELECT now_ms() AS now`;
      const rows = await tx`SELECT ${tx.unsafe(SCHEDULE_COLUMNS)} FROM ${tx.unsafe(SCHEDULE_FROM)}
        WHERE NOT s.paused AND s.next_at IS NOT NULL AND s.next_at <= ${now}
        ORDER BY s.next_at, s.id`;
      return { now, due: rows.map(toSchedule) };
    }) as { now: number; due: Schedule[] };
  }

  async fire(id: number, firing: FiringRecord): Promise<number[]> {
    const { value } = await writeTransaction(this.#connection, async (w) => {
      const { tx } = w;
      const [locked] = await tx`SELECT last_slot, paused FROM schedules WHERE id = ${id}
        FOR UPDATE`;
      if (
        !locked || locked.paused ||
        (locked.last_slot !== null && firing.lastSlot <= locked.last_slot)
      ) {
        return [];
      }
      const [row] = await tx`SELECT ${tx.unsafe(SCHEDULE_COLUMNS)} FROM ${tx.unsafe(SCHEDULE_FROM)}
        WHERE s.id = ${id}`;
      if (row.last_task_id !== null) {
        // A last run that is ending now: wait for its end, then read its state.
        const [last] = await tx`SELECT status FROM tasks WHERE id = ${row.last_task_id} FOR SHARE`;
        row.last_status = last?.status ?? null;
      }
      const schedule = toSchedule(row);
      let lastTaskId = schedule.lastTaskId;
      let lastActive = ACTIVE.includes(schedule.lastStatus);
      // queue: while a run already waits, a firing is passed over, so runs never pile up.
      const oneWaits = schedule.overlap === "queue" && WAITING.includes(schedule.lastStatus);
      let skipped = firing.skipped;
      const ids: number[] = [];
      for (const slot of firing.slots) {
        if (oneWaits || (lastActive && schedule.overlap === "skip")) {
          skipped++;
          continue;
        }
        const waitForLast = lastActive && schedule.overlap === "queue" && lastTaskId !== null;
        const task: NewTask = {
          ...schedule.template,
          runAt: slot,
          scheduleId: id,
          afterAnyOf: [
            ...(schedule.template.afterAnyOf ?? []),
            ...(waitForLast ? [lastTaskId!] : []),
          ],
        };
        const [result] = await insertTasks(w, [task]);
        if (result.key?.action === "skipped") {
          skipped++;
          continue;
        }
        ids.push(result.id);
        lastTaskId = result.id;
        lastActive = true;
      }
      const runs = schedule.runs + ids.length;
      const exhausted = schedule.maxRuns !== null && runs >= schedule.maxRuns;
      await tx`UPDATE schedules SET runs = ${runs}, skipped = ${schedule.skipped + skipped},
          last_slot = ${firing.lastSlot}, next_at = ${exhausted ? null : firing.nextAt},
          last_task_id = ${lastTaskId}
        WHERE id = ${id}`;
      if (ids.length) {
        w.emit(null, "schedule_fired", { scheduleId: id, slot: firing.lastSlot, taskIds: ids }, id);
      }
      if (skipped) w.emit(null, "schedule_skipped", { scheduleId: id, count: skipped }, id);
      return ids;
    });
    return value;
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
          AND status IN ('scheduled', 'queued', 'blocked', 'running', 'paused')
        ORDER BY id FOR UPDATE`;
      const waiting = unfinished.filter((task) => WAITING.includes(task.status)).map((task) =>
        task.id as number
      );
      const ended = await endNotStarted(w, waiting, "canceled", {
        name: "Error",
        message: `Schedule ${id} was removed before this run started`,
      });
      return {
        canceled: ended.filter((taskId) => waiting.includes(taskId)),
        running: unfinished.filter((task) => !WAITING.includes(task.status)).map((task) =>
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
        WHERE t.schedule_id = s.id AND t.status = ANY (${[...TERMINAL_STATUSES]}::text[])
        ORDER BY t.id DESC OFFSET s.keep) r
      WHERE s.keep IS NOT NULL
        AND s.id IN (SELECT schedule_id FROM tasks WHERE id = ANY (${[...taskIds]}::bigint[]))
      ORDER BY r.id`;
    return rows.map((row) => row.id);
  }
}
