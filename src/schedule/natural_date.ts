/**
 * Natural date phrases ('tomorrow 9am', 'next friday at 5pm', 'December 31st 2026 23:59:59') read
 * by chrono-node (English), relative to an injected `now` and in a named zone, never the
 * process's. The whole text must be understood: leftover words are refused by name.
 *
 * @example
 * ```ts
 * const now = Date.UTC(2026, 5, 15, 8); // 10:00 in Berlin
 * readNaturalDate("tomorrow 9am", { now, timeZone: "Europe/Berlin" }); // Date.UTC(2026, 5, 16, 7)
 * ```
 */
import { parse as chronoParse } from "chrono-node/en";
import { quoteInput } from "../task/quote_input.ts";
import { ScheduleError } from "../task/errors.ts";
import { _asUtc, type WallClock, wallClockOf, wallClockProblem } from "./wall_clock.ts";
import { zonedWallClockToEpoch } from "./zoned_wall_clock_to_epoch.ts";

/** What a date error suggests instead. */
export const DATE_HINT = "try ISO 8601, '2026-12-31 23:59' or 'tomorrow 9am'";

/** Where a phrase is read. */
export interface NaturalDateOptions {
  /** The reference instant (epoch ms): 'tomorrow' is the day after this one. */
  now: number;
  /** A zone Intl knows (already checked): wall-clock phrases are read in it. */
  timeZone: string;
}

/**
 * Reads a phrase as one instant (epoch ms). Relative phrases count from `now`; ambiguous ones
 * are dated forward ('friday' is the coming one). A time phrase without a date takes chrono's
 * implied parts ('friday' is friday noon, 'tomorrow' is tomorrow at this time). A zone named in the
 * text ('9am UTC') wins over `timeZone`; 'in 2 hours' is exactly 2 hours of elapsed time.
 *
 * Chrono computes with the process's Date; the reference handed to it is the zone's wall clock
 * as a process-local date, so the process zone only matters in the hour a DST change of the
 * process zone skips.
 *
 * @throws {ScheduleError} when nothing or only part of the text is understood, when it names more
 * than one time or a range.
 *
 * @example
 * ```ts
 * readNaturalDate("tomorow 9am", { now: 0, timeZone: "UTC" });
 * // throws: Cannot read date 'tomorow 9am': 'tomorow' is not understood (try ISO 8601, …)
 * ```
 */
export function readNaturalDate(text: string, options: NaturalDateOptions): number {
  const fail = (reason: string) =>
    new ScheduleError(`Cannot read date ${quoteInput(text)}: ${reason}`);
  const wallNow = wallClockOf(options.now, options.timeZone);
  const results = chronoParse(text, _processLocalDate(wallNow), { forwardDate: true });
  if (results.length === 0) {
    throw fail(`${quoteInput(text.trim())} is not understood (${DATE_HINT})`);
  }
  if (results.length > 1) {
    const parts = results.map((result) => quoteInput(result.text)).join(", ");
    throw fail(`it names more than one time (${parts}); give one`);
  }
  const [result] = results;
  const leftovers = [
    text.slice(0, result.index),
    text.slice(result.index + result.text.length),
  ].map((part) => part.replace(/^[\s,.;]+|[\s,.;]+$/g, "")).filter((part) => part !== "");
  if (leftovers.length > 0) {
    const verb = leftovers.length === 1 ? "is" : "are";
    throw fail(
      `${
        leftovers.map((part) => quoteInput(part)).join(" and ")
      } ${verb} not understood (${DATE_HINT})`,
    );
  }
  if (result.end) throw fail(`${quoteInput(result.text)} is a range, not one time; give its start`);

  const start = result.start;
  const wall: WallClock = {
    year: start.get("year") ?? wallNow.year,
    month: start.get("month") ?? wallNow.month,
    day: start.get("day") ?? wallNow.day,
    hour: start.get("hour") ?? 0,
    minute: start.get("minute") ?? 0,
    second: start.get("second") ?? 0,
    millisecond: start.get("millisecond") ?? 0,
  };
  const problem = wallClockProblem(wall);
  if (problem) throw fail(problem);
  if (start.tags().has("result/relativeDateAndTime")) {
    return options.now + (_asUtc(wall) - _asUtc(wallNow));
  }
  const offsetMinutes = start.isCertain("timezoneOffset") ? start.get("timezoneOffset") : null;
  if (offsetMinutes !== null) return _asUtc(wall) - offsetMinutes * 60_000;
  return zonedWallClockToEpoch(wall, options.timeZone);
}

/** A Date whose process-local fields show `wall` (chrono reads its reference that way). */
function _processLocalDate(wall: Required<WallClock>): Date {
  const date = new Date(2000, 0, 1);
  date.setFullYear(wall.year, wall.month - 1, wall.day);
  date.setHours(wall.hour, wall.minute, wall.second, wall.millisecond);
  return date;
}
