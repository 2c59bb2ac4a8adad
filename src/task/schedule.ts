/**
 * The schedule model: a recurring spec plus the task it creates at each firing (DESIGN §1,
 * `bgt every`). The spec's meaning (nicknames, durations, cron) belongs to src/schedule; here it
 * is data.
 *
 * @example
 * ```ts
 * const schedule: NewSchedule = {
 *   every: "2s", timeZone: null, template: { spec: { kind: "command", argv: ["date"] } },
 *   anchor: Date.now(), nextAt: Date.now() + 2000,
 * };
 * ```
 */
import type { NewTask, TaskStatus } from "./types.ts";

/**
 * What a firing does while the schedule's previous task has not ended: `skip` passes it over,
 * `queue` makes it wait for that task (a firing while a run already waits is passed over, so
 * runs never pile up), `allow` runs it beside.
 */
export type OverlapPolicy = "skip" | "queue" | "allow";

/** What a supervisor does with firings missed while none ran. */
export type CatchUpPolicy = "once" | "all" | "none";

/** A schedule to create. */
export interface NewSchedule {
  /** The user's spec: a nickname, a duration or a cron pattern. */
  every: string;
  /** The IANA zone a cron pattern is read in; null = the system's. */
  timeZone: string | null;
  /** The task each firing creates. */
  template: NewTask;
  /** @default "skip" */
  overlap?: OverlapPolicy;
  /** @default "once" */
  catchUp?: CatchUpPolicy;
  /** Interval slots are anchor + k·interval. */
  anchor: number;
  startAt?: number | null;
  stopAt?: number | null;
  maxRuns?: number | null;
  /** Keep only this many finished runs (older ones and their logs are removed); null = all. */
  keep?: number | null;
  /** The first firing (null: none will come). */
  nextAt: number | null;
}

/** A schedule as stored and shown. */
export interface Schedule {
  id: number;
  every: string;
  timeZone: string | null;
  template: NewTask;
  overlap: OverlapPolicy;
  catchUp: CatchUpPolicy;
  anchor: number;
  startAt: number | null;
  stopAt: number | null;
  maxRuns: number | null;
  /** How many finished runs are kept (older ones are removed as new ones finish); null = all. */
  keep: number | null;
  /** Firings that created a task. */
  runs: number;
  /** Firings passed over (overlap or catch-up policy). */
  skipped: number;
  /** The newest slot handled (fired or skipped). */
  lastSlot: number | null;
  nextAt: number | null;
  paused: boolean;
  createdAt: number;
  lastTaskId: number | null;
  /** The status of the last task it created (joined in), if that task still exists. */
  lastStatus: TaskStatus | null;
}

/** The firings a supervisor decided on for one schedule. */
export interface FiringRecord {
  /** Slots to create a task for (epoch ms, oldest first). */
  slots: number[];
  /** Slots passed over by the catch-up policy. */
  skipped: number;
  /** The newest slot handled. */
  lastSlot: number;
  /** The next firing, or null when the schedule has ended. */
  nextAt: number | null;
}
