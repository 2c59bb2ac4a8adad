/**
 * Turns due schedules into tasks: for each schedule whose next firing has come, plans the
 * firings (catch-up policy, window, run limit) and records them all in one transaction (one by
 * one when one of them is refused).
 *
 * @example
 * ```ts
 * await fireDueSchedules(store); // ids of the tasks created
 * ```
 */
import type { ScheduleFiring, TaskStore } from "../store/task_store.ts";
import type { FiringRecord, Schedule } from "../task/schedule.ts";
import { planFirings } from "./firings.ts";
import { parseRecurrence } from "./recurrence.ts";

/** Fires every due schedule; returns the ids of the tasks created. */
export async function fireDueSchedules(
  store: TaskStore,
  log?: (line: string) => void,
): Promise<number[]> {
  // Planned with the store's clock, as every supervisor of a shared store plans.
  const { now, due } = await store.schedules.dueSchedules();
  if (!due.length) return [];
  const firings = due.map((schedule): ScheduleFiring => {
    try {
      return { id: schedule.id, firing: planSchedule(schedule, now) };
    } catch (error) {
      log?.(`schedule ${schedule.id} stopped: ${(error as Error).message}`);
      return { id: schedule.id, firing: { slots: [], skipped: 0, lastSlot: now, nextAt: null } };
    }
  });
  // All in one transaction, so that the last schedule's task is not later than the first's.
  try {
    return await store.schedules.fireAll(firings);
  } catch {
    // One firing was refused (a dependency removed since, say): each alone, passing over the
    // refused one's slots so that it goes on, and the others with it.
  }
  const ids: number[] = [];
  for (const { id, firing } of firings) {
    try {
      ids.push(...await store.schedules.fire(id, firing));
    } catch (error) {
      log?.(`schedule ${id} skipped a firing: ${(error as Error).message}`);
      const passedOver = { ...firing, slots: [], skipped: firing.skipped + firing.slots.length };
      ids.push(...await store.schedules.fire(id, passedOver));
    }
  }
  return ids;
}

/**
 * What a schedule must fire at `now`. Every slot up to now is handled by this plan, so the
 * handled mark moves to `now` itself (the next slot is later).
 */
export function planSchedule(schedule: Schedule, now: number): FiringRecord {
  const recurrence = parseRecurrence(schedule.every, {
    timeZone: schedule.timeZone ?? undefined,
  });
  const plan = planFirings(recurrence, {
    anchor: schedule.anchor,
    lastSlot: schedule.lastSlot,
    now,
    catchUp: schedule.catchUp,
    window: {
      startAt: schedule.startAt,
      stopAt: schedule.stopAt,
      remainingRuns: schedule.maxRuns === null ? null : schedule.maxRuns - schedule.runs,
    },
  });
  return { slots: plan.fire, skipped: plan.skipped, lastSlot: now, nextAt: plan.next };
}
