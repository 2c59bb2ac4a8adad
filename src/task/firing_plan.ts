/**
 * The overlap rule of a schedule's firing: which of its slots become tasks (and what each task
 * waits for), which are skipped, and how the schedule's row moves on. The store inserts each
 * task it is given, tells the plan the result, then writes the plan's row and events.
 *
 * @example
 * ```ts
 * const plan = new FiringPlan(schedule, firing);
 * for (const slot of firing.slots) {
 *   const task = plan.taskFor(slot);
 *   if (task) plan.inserted(insertOne(task));
 * }
 * plan.row(); // { runs, skipped, lastSlot, nextAt, lastTaskId }
 * ```
 */
import type { TaskEventKind } from "./events.ts";
import type { FiringRecord, Schedule } from "./schedule.ts";
import { ACTIVE, inSet, NOT_STARTED } from "./statuses.ts";
import type { NewTask, SubmitResult } from "./types.ts";

/** The schedule's columns after a firing. */
export interface FiredRow {
  runs: number;
  skipped: number;
  lastSlot: number;
  nextAt: number | null;
  lastTaskId: number | null;
}

/**
 * True when a firing must do nothing: its schedule is gone or paused, or a firing of this slot
 * or a later one already happened (another supervisor's, or this one's retried). A firing's
 * `lastSlot` is the time it was planned at, so two supervisors that planned the same slot at
 * different times differ there: every slot it would fire being handled already makes it stale.
 */
export function staleFiring(
  schedule: { paused: boolean; lastSlot: number | null } | undefined,
  firing: FiringRecord,
): boolean {
  if (!schedule || schedule.paused) return true;
  const handled = schedule.lastSlot;
  if (handled === null) return false;
  return firing.lastSlot <= handled ||
    (firing.slots.length > 0 && firing.slots.every((slot) => slot <= handled));
}

/**
 * The slots of a firing not handled yet (after `lastSlot`, the schedule's handled mark as read
 * under its lock): another supervisor may have fired the first of them already.
 *
 * @example
 * ```ts
 * unfiredSlots({ slots: [1000, 2000], skipped: 0, lastSlot: 2500, nextAt: 3000 }, 1500); // [2000]
 * ```
 */
export function unfiredSlots(firing: FiringRecord, lastSlot: number | null): number[] {
  return lastSlot === null ? firing.slots : firing.slots.filter((slot) => slot > lastSlot);
}

/** One firing of one schedule, slot by slot. */
export class FiringPlan {
  /** The ids of the tasks created, in slot order. */
  readonly ids: number[] = [];
  #schedule: Schedule;
  #firing: FiringRecord;
  #lastTaskId: number | null;
  #lastActive: boolean;
  #oneWaits: boolean;
  #skipped: number;

  constructor(schedule: Schedule, firing: FiringRecord) {
    this.#schedule = schedule;
    this.#firing = firing;
    this.#lastTaskId = schedule.lastTaskId;
    this.#lastActive = inSet(ACTIVE, schedule.lastStatus);
    // queue: while a run already waits, a firing is passed over, so runs never pile up (the
    // missed slots one catch-up firing makes under --catch-up all still run one after another).
    this.#oneWaits = schedule.overlap === "queue" && inSet(NOT_STARTED, schedule.lastStatus);
    this.#skipped = firing.skipped;
  }

  /** The task to insert for `slot`, or undefined when the overlap rule skips it. */
  taskFor(slot: number): NewTask | undefined {
    const schedule = this.#schedule;
    if (this.#oneWaits || (this.#lastActive && schedule.overlap === "skip")) {
      this.#skipped++;
      return undefined;
    }
    const waitForLast = this.#lastActive && schedule.overlap === "queue" &&
      this.#lastTaskId !== null;
    return {
      ...schedule.template,
      runAt: slot,
      scheduleId: schedule.id,
      afterAnyOf: [
        ...(schedule.template.afterAnyOf ?? []),
        ...(waitForLast ? [this.#lastTaskId!] : []),
      ],
    };
  }

  /** Records the submission of `taskFor`'s task (a key's holder may have skipped it). */
  inserted(result: SubmitResult): void {
    if (result.key?.action === "skipped") {
      this.#skipped++;
      return;
    }
    this.ids.push(result.id);
    this.#lastTaskId = result.id;
    this.#lastActive = true;
  }

  /** The schedule's row after the firing (no next firing once `maxRuns` is reached). */
  row(): FiredRow {
    const schedule = this.#schedule;
    const runs = schedule.runs + this.ids.length;
    const exhausted = schedule.maxRuns !== null && runs >= schedule.maxRuns;
    return {
      runs,
      skipped: schedule.skipped + this.#skipped,
      lastSlot: this.#firing.lastSlot,
      nextAt: exhausted ? null : this.#firing.nextAt,
      lastTaskId: this.#lastTaskId,
    };
  }

  /** The firing's schedule events (taskId null), in order. */
  events(): { kind: TaskEventKind; data: Record<string, unknown> }[] {
    const id = this.#schedule.id;
    const events: { kind: TaskEventKind; data: Record<string, unknown> }[] = [];
    if (this.ids.length) {
      events.push({
        kind: "schedule_fired",
        data: { scheduleId: id, slot: this.#firing.lastSlot, taskIds: this.ids },
      });
    }
    if (this.#skipped) {
      events.push({ kind: "schedule_skipped", data: { scheduleId: id, count: this.#skipped } });
    }
    return events;
  }
}
