/**
 * Builds a schedule from what a user typed: validates the spec, the zone and the window, and
 * computes the anchor and the first firing — so that nothing invalid is ever stored.
 *
 * @example
 * ```ts
 * const schedule = newSchedule({ every: "day", template }, Date.now());
 * new Date(schedule.nextAt!); // the next midnight
 * ```
 */
import type { CatchUpPolicy, NewSchedule, OverlapPolicy } from "../task/schedule.ts";
import type { NewTask } from "../task/types.ts";
import { validateTask } from "../task/validate_task.ts";
import { ScheduleError } from "../task/errors.ts";
import { nextFiring, parseRecurrence, type Recurrence } from "./recurrence.ts";

/** What a user asks for with `bgt every`. */
export interface ScheduleRequest {
  every: string;
  template: NewTask;
  timeZone?: string;
  overlap?: OverlapPolicy;
  catchUp?: CatchUpPolicy;
  startAt?: number;
  stopAt?: number;
  maxRuns?: number;
  /** Keep only the last n finished runs (and their logs); older ones are removed. @default all */
  keep?: number;
}

/** Validates the request and returns the schedule to store; throws ScheduleError. */
export function newSchedule(request: ScheduleRequest, now: number): NewSchedule {
  validateTask(request.template); // what each firing will submit, refused now rather than then
  const recurrence = parseRecurrence(request.every, { timeZone: request.timeZone });
  if (request.maxRuns !== undefined && request.maxRuns < 1) {
    throw new ScheduleError(`Invalid --max-runs ${request.maxRuns}: it must be at least 1`);
  }
  if (request.keep !== undefined && !(Number.isSafeInteger(request.keep) && request.keep >= 1)) {
    throw new ScheduleError(`Invalid --keep ${request.keep}: it must be a whole number ≥ 1`);
  }
  const anchor = request.startAt ?? now;
  const window = { startAt: request.startAt ?? null, stopAt: request.stopAt ?? null };
  const nextAt = firstFiring(recurrence, anchor, window, now);
  if (nextAt === null) {
    throw new ScheduleError(
      `Invalid --stop-at: it comes before the first firing of '${request.every}'`,
    );
  }
  return {
    every: request.every,
    timeZone: recurrence.kind === "cron" ? recurrence.timeZone : null,
    template: request.template,
    overlap: request.overlap ?? "skip",
    catchUp: request.catchUp ?? "once",
    anchor,
    startAt: window.startAt,
    stopAt: window.stopAt,
    maxRuns: request.maxRuns ?? null,
    keep: request.keep ?? null,
    nextAt,
  };
}

/**
 * The first firing at or after the window's start (an interval schedule with --start-at fires
 * at the start itself), after `now`, and not after its stop; null if there is none.
 */
export function firstFiring(
  recurrence: Recurrence,
  anchor: number,
  window: { startAt: number | null; stopAt: number | null },
  now: number,
): number | null {
  const after = window.startAt !== null && window.startAt > now ? window.startAt - 1 : now;
  const next = nextFiring(recurrence, after, anchor);
  return window.stopAt !== null && next > window.stopAt ? null : next;
}
