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
import { decode, encode } from "../task/codec.ts";
import type {
  CatchUpPolicy,
  FiringRecord,
  NewSchedule,
  OverlapPolicy,
  Schedule,
} from "../task/schedule.ts";
import { type NewTask, type TaskStatus, TERMINAL_STATUSES } from "../task/types.ts";
import type { SqliteConnection } from "./sqlite_connection.ts";
import type { TaskEvent } from "../task/events.ts";
import { ACTIVE_STATUSES, endTasks, insertTasks, writeEvent } from "./task_rows.ts";
import type { ScheduleRemoval, ScheduleStore } from "./task_store.ts";

const COLUMNS = `s.id, s.every, s.time_zone, s.template, s.overlap, s.catch_up, s.anchor,
  s.start_at, s.stop_at, s.max_runs, s.keep, s.runs, s.skipped, s.last_slot, s.next_at, s.paused,
  s.created_at, s.last_task_id, t.status AS last_status`;
const FROM = "schedules s LEFT JOIN tasks t ON t.id = s.last_task_id";

interface ScheduleRow {
  id: number;
  every: string;
  time_zone: string | null;
  template: Uint8Array;
  overlap: string;
  catch_up: string;
  anchor: number;
  start_at: number | null;
  stop_at: number | null;
  max_runs: number | null;
  keep: number | null;
  runs: number;
  skipped: number;
  last_slot: number | null;
  next_at: number | null;
  paused: number;
  created_at: number;
  last_task_id: number | null;
  last_status: string | null;
}

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
          encode(schedule.template),
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
    const row = this.#db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.id = ?`)
      .get<ScheduleRow>(id);
    return row && _toSchedule(row);
  }

  async list(): Promise<Schedule[]> {
    return this.#db.prepare(`SELECT ${COLUMNS} FROM ${FROM} ORDER BY s.id`)
      .all<ScheduleRow>()
      .map(_toSchedule);
  }

  async dueSchedules(): Promise<{ now: number; due: Schedule[] }> {
    const now = Date.now();
    const due = this.#db
      .prepare(
        `SELECT ${COLUMNS} FROM ${FROM}
         WHERE s.paused = 0 AND s.next_at IS NOT NULL AND s.next_at <= ? ORDER BY s.next_at`,
      )
      .all<ScheduleRow>(now)
      .map(_toSchedule);
    return { now, due };
  }

  async fire(id: number, firing: FiringRecord): Promise<number[]> {
    return this.#connection.transaction(() => {
      const now = Date.now();
      const events: TaskEvent[] = [];
      const row = this.#db.prepare(`SELECT ${COLUMNS} FROM ${FROM} WHERE s.id = ?`)
        .get<ScheduleRow>(id);
      if (!row || row.paused || (row.last_slot !== null && firing.lastSlot <= row.last_slot)) {
        return [];
      }
      const schedule = _toSchedule(row);
      let lastTaskId = schedule.lastTaskId;
      let lastActive = _isActive(schedule.lastStatus);
      // queue: while a run already waits, a firing is passed over, so runs never pile up (the
      // missed slots one catch-up firing makes under --catch-up all still run one after another).
      const oneWaits = schedule.overlap === "queue" && _isWaiting(schedule.lastStatus);
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
        const [result] = insertTasks(this.#db, [task], now, events);
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
      this.#db.prepare(
        `UPDATE schedules SET runs = ?, skipped = ?, last_slot = ?, next_at = ?, last_task_id = ?
         WHERE id = ?`,
      ).run(
        runs,
        schedule.skipped + skipped,
        firing.lastSlot,
        exhausted ? null : firing.nextAt,
        lastTaskId,
        id,
      );
      if (ids.length) {
        writeEvent(this.#db, now, null, "schedule_fired", {
          scheduleId: id,
          slot: firing.lastSlot,
          taskIds: ids,
        }, id);
      }
      if (skipped) {
        writeEvent(this.#db, now, null, "schedule_skipped", { scheduleId: id, count: skipped }, id);
      }
      return ids;
    });
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
           AND status IN ('scheduled', 'queued', 'blocked', 'running', 'paused') ORDER BY id`,
      ).all<{ id: number; status: TaskStatus }>(id);
      const waiting = unfinished.filter((task) => _isWaiting(task.status)).map((task) => task.id);
      const ended = endTasks(this.#db, waiting, "canceled", now, {
        name: "Error",
        message: `Schedule ${id} was removed before this run started`,
      });
      return {
        canceled: ended.map((task) => task.id).filter((taskId) => waiting.includes(taskId)),
        running: unfinished.filter((task) => !_isWaiting(task.status)).map((task) => task.id),
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
    const finished = JSON.stringify(TERMINAL_STATUSES);
    return schedules.flatMap((schedule) =>
      older.all<{ id: number }>(schedule.id, finished, schedule.keep).map((row) => row.id)
    ).sort((a, b) => a - b);
  }
}

/** Not started yet: a run that waits for its time, a slot or the run before it. */
function _isWaiting(status: TaskStatus | null): boolean {
  return status === "scheduled" || status === "queued" || status === "blocked";
}

function _isActive(status: TaskStatus | null): boolean {
  return status !== null && (ACTIVE_STATUSES as readonly string[]).includes(status);
}

function _toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    every: row.every,
    timeZone: row.time_zone,
    template: decode(row.template) as NewTask,
    overlap: row.overlap as OverlapPolicy,
    catchUp: row.catch_up as CatchUpPolicy,
    anchor: row.anchor,
    startAt: row.start_at,
    stopAt: row.stop_at,
    maxRuns: row.max_runs,
    keep: row.keep,
    runs: row.runs,
    skipped: row.skipped,
    lastSlot: row.last_slot,
    nextAt: row.next_at,
    paused: row.paused === 1,
    createdAt: row.created_at,
    lastTaskId: row.last_task_id,
    lastStatus: row.last_status as TaskStatus | null,
  };
}
