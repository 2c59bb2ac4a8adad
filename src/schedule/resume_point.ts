/**
 * Where a resumed schedule picks up: every slot up to now counts as handled (missed while
 * paused, not caught up), and the next firing is the first slot after now within its window.
 *
 * @example
 * ```ts
 * store.schedules.setPaused(id, false, resumePoint(schedule, Date.now()));
 * ```
 */
import type { Schedule } from "../task/schedule.ts";
import { firstFiring } from "./new_schedule.ts";
import { parseRecurrence } from "./recurrence.ts";

/** The handled mark and next firing of a schedule resumed at `now`. */
export function resumePoint(
  schedule: Schedule,
  now: number,
): { lastSlot: number; nextAt: number | null } {
  const recurrence = parseRecurrence(schedule.every, { timeZone: schedule.timeZone ?? undefined });
  const exhausted = schedule.maxRuns !== null && schedule.runs >= schedule.maxRuns;
  return {
    lastSlot: now,
    nextAt: exhausted ? null : firstFiring(recurrence, schedule.anchor, schedule, now),
  };
}
