/**
 * What a supervisor must create when it wakes for a schedule: the due slots to fire under the
 * catch-up policy, how many it passes over, and when to wake next. Pure: the clock is `now`.
 *
 * @example
 * ```ts
 * const rec = parseRecurrence("1h");
 * const plan = planFirings(rec, { anchor: 0, lastSlot: 0, now: 5 * 3_600_000 + 10, catchUp: "once" });
 * // { fire: [18000000], skipped: 4, next: 21600000, lastSlot: 18000000 }
 * ```
 */
import { _slotSeries } from "./_slot_series.ts";
import type { Recurrence } from "./recurrence.ts";

/**
 * What to do with slots missed while no supervisor ran: `once` fires one run for all of them,
 * `all` fires each, `none` fires none (an on-time slot fires under every policy).
 *
 * @example
 * ```ts
 * const policy: CatchUp = "once";
 * ```
 */
export type CatchUp = "once" | "all" | "none";

/**
 * Limits on a schedule's firings. Every field defaults to null: no limit.
 *
 * @example
 * ```ts
 * const window: ScheduleWindow = { startAt: Date.UTC(2026, 0, 1), stopAt: null, remainingRuns: 3 };
 * ```
 */
export interface ScheduleWindow {
  /** No slot before this instant (inclusive bound). */
  startAt?: number | null;
  /** No slot after this instant (inclusive bound). */
  stopAt?: number | null;
  /** Firings left (`--max-runs` minus runs so far); 0 ends the schedule. */
  remainingRuns?: number | null;
}

/**
 * A supervisor's decision for one schedule.
 *
 * @example
 * ```ts
 * const plan: FiringPlan = { fire: [1000], skipped: 0, next: 2000, lastSlot: 1000 };
 * ```
 */
export interface FiringPlan {
  /** Slots to create a task for, epoch ms, oldest first. */
  fire: number[];
  /**
   * Due slots not fired. Exact for intervals; for cron, counting stops at
   * {@linkcode CRON_WALK_CAP} due slots, so past that it is a lower bound.
   */
  skipped: number;
  /** The first slot after now inside the window, or null when the schedule has ended. */
  next: number | null;
  /** The newest slot now handled (fired or skipped): store it as the next call's `lastSlot`. */
  lastSlot: number | null;
}

/** The schedule's state as the supervisor passes it to {@linkcode planFirings}. */
export interface FiringState {
  /** Interval slots are anchor + k·every (k ≥ 0); with no `lastSlot`, no slot before it is due. */
  anchor: number;
  /** The newest slot already handled (fired or skipped); null: none yet. */
  lastSlot: number | null;
  /** The current instant, epoch ms. */
  now: number;
  catchUp: CatchUp;
  /** @default {} (no window, no run limit) */
  window?: ScheduleWindow;
  /**
   * A due slot at most this far behind `now` is on time, not missed.
   * @default 1000
   */
  onTimeMs?: number;
  /**
   * The most slots `all` fires in one plan (the newest ones).
   * @default 1000
   */
  limit?: number;
}

export { CRON_WALK_CAP } from "./_slot_series.ts";

/**
 * Decides which slots to fire now.
 *
 * Due slots are those in ((lastSlot ?? anchor − 1), now] and inside [startAt, stopAt]. The newest
 * due slot, when at most `onTimeMs` behind `now`, is on time and always fires; the others were
 * missed:
 * - `all` fires each due slot, oldest first; when `limit` or `remainingRuns` caps it, the newest
 *   ones (so the on-time slot is among them);
 * - `once` fires one run for all of them: the newest due slot (one firing in all);
 * - `none` fires only an on-time slot.
 *
 * `remainingRuns` caps the firings; at 0 nothing fires and `next` is null. `next` is the first
 * slot after `now` (and after `lastSlot`, should the clock have gone back) inside the window, or
 * null past `stopAt` or when no runs remain. Intervals are planned by arithmetic whatever the
 * gap; cron plans search backwards for the newest slots and count at most
 * {@linkcode CRON_WALK_CAP} due slots, so a year of missed seconds stays fast.
 *
 * @throws {RangeError} for a negative or fractional `remainingRuns`, a `limit` under 1 or a
 * negative `onTimeMs`.
 *
 * @example
 * ```ts
 * const rec = parseRecurrence("1s");
 * const yearLater = 365 * 86_400_000;
 * planFirings(rec, { anchor: 0, lastSlot: 0, now: yearLater + 500, catchUp: "all", limit: 2 });
 * // { fire: [yearLater - 1000, yearLater], skipped: 31535998, next: yearLater + 1000, lastSlot: yearLater }
 * ```
 */
export function planFirings(rec: Recurrence, state: FiringState): FiringPlan {
  const { anchor, now, catchUp } = state;
  const startAt = state.window?.startAt ?? null;
  const stopAt = state.window?.stopAt ?? null;
  const remainingRuns = state.window?.remainingRuns ?? null;
  const onTimeMs = state.onTimeMs ?? 1000;
  const limit = state.limit ?? 1000;
  _checkState(remainingRuns, limit, onTimeMs);

  const series = _slotSeries(rec, anchor);
  const handledUpTo = state.lastSlot ?? anchor - 1;
  const after = Math.max(handledUpTo, startAt === null ? -Infinity : startAt - 1);
  const upTo = Math.min(now, stopAt ?? Infinity);
  const [newest = null] = series.newest(after, upTo, 1);
  const due = newest === null ? 0 : series.count(after, upTo).count;
  const lastSlot = newest ?? state.lastSlot;

  if (remainingRuns === 0) return { fire: [], skipped: due, next: null, lastSlot };

  const runCap = remainingRuns ?? Infinity;
  let fire: number[] = [];
  if (newest !== null) {
    const onTime = now - newest <= onTimeMs;
    if (catchUp === "all") fire = series.newest(after, upTo, Math.min(limit, runCap, due));
    else if (catchUp === "once" || onTime) fire = [newest];
  }

  const runsLeft = remainingRuns === null ? null : remainingRuns - fire.length;
  let next: number | null = null;
  if (runsLeft !== 0) {
    const from = Math.max(now, lastSlot ?? -Infinity, startAt === null ? -Infinity : startAt - 1);
    next = series.firstAfter(from);
    if (next !== null && stopAt !== null && next > stopAt) next = null;
  }
  return { fire, skipped: due - fire.length, next, lastSlot };
}

function _checkState(remainingRuns: number | null, limit: number, onTimeMs: number): void {
  if (remainingRuns !== null && !(Number.isInteger(remainingRuns) && remainingRuns >= 0)) {
    throw new RangeError(
      `Cannot plan firings: remainingRuns ${remainingRuns} is not a whole number ≥ 0`,
    );
  }
  if (!(limit >= 1)) throw new RangeError(`Cannot plan firings: limit ${limit} is under 1`);
  if (!(onTimeMs >= 0)) {
    throw new RangeError(`Cannot plan firings: onTimeMs ${onTimeMs} is negative`);
  }
}
