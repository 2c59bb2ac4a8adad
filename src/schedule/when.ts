/**
 * One-off run times: `--in '10 minutes'` and `--at '2026-12-31 23:59'` (or ISO 8601 with an
 * offset, or a phrase such as 'tomorrow 9am'), read against an injected `now` and time zone.
 *
 * @example
 * ```ts
 * const now = Date.UTC(2026, 5, 15, 8);
 * parseIn("10 minutes", { now }); // now + 600000
 * parseAt("2026-12-31 23:59", { now, timeZone: "Europe/Berlin" }); // Date.UTC(2026, 11, 31, 22, 59)
 * ```
 */
import { quoteInput } from "../task/quote_input.ts";
import { parseDuration } from "../task/duration.ts";
import { ScheduleError } from "../task/errors.ts";
import { DATE_HINT, readNaturalDate } from "./natural_date.ts";
import { checkTimeZone, systemTimeZone } from "./time_zone.ts";
import { _asUtc, type WallClock, wallClockProblem } from "./wall_clock.ts";
import { zonedWallClockToEpoch } from "./zoned_wall_clock_to_epoch.ts";

/** The clock and place a run time is read against. */
export interface WhenOptions {
  /** The current instant, epoch ms (injected, so tests and callers agree on one clock). */
  now: number;
  /**
   * The IANA zone wall-clock times are read in.
   * @default systemTimeZone()
   */
  timeZone?: string;
}

const ISO_DATE_TIME = new RegExp(
  "^(\\d{4})-(\\d{2})-(\\d{2})" + // date
    "(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)?)?" + // optional time
    "\\s*(Z|[+-]\\d{2}(?::?\\d{2})?)?$", // optional offset
  "i",
);

/**
 * The instant a duration after `now`.
 *
 * @throws {ScheduleError} for a bad duration (see {@linkcode parseDuration}).
 *
 * @example
 * ```ts
 * parseIn("1h30m", { now: 0 }); // 5400000
 * ```
 */
export function parseIn(text: string, options: WhenOptions): number {
  return options.now + parseDuration(text);
}

/**
 * Reads a run time as an instant (epoch ms). Past instants are returned as they are (see
 * {@linkcode isPast}); the caller decides what to do with them.
 *
 * - ISO 8601 with an offset or Z ('2026-12-31T23:59:00+01:00') is that exact instant.
 * - Wall-clock forms ('2026-12-31 23:59', '2026-12-31 23:59:59', '2026-12-31T23:59',
 *   '2026-12-31' = midnight) are read in `options.timeZone`; a time skipped by DST moves forward
 *   by the gap, a time that occurs twice is its first occurrence (see
 *   {@linkcode zonedWallClockToEpoch}). Invalid calendar dates ('2026-02-30') are refused.
 * - 'in <duration>' is `now` plus that duration.
 * - Anything else is a phrase for chrono-node ('tomorrow 9am', 'next friday at 5pm'), which must
 *   understand all of it (see {@linkcode readNaturalDate}).
 *
 * @throws {ScheduleError} for an unknown zone, an impossible date, or text not understood.
 *
 * @example
 * ```ts
 * parseAt("2026-12-31T22:59:00Z", { now: 0 }); // Date.UTC(2026, 11, 31, 22, 59)
 * parseAt("2026-12-31 23:59", { now: 0, timeZone: "America/New_York" }); // Date.UTC(2027, 0, 1, 4, 59)
 * ```
 */
export function parseAt(text: string, options: WhenOptions): number {
  const timeZone = checkTimeZone(options.timeZone ?? systemTimeZone());
  const trimmed = text.trim();
  if (trimmed === "") {
    throw new ScheduleError(`Cannot read date ${quoteInput(text)}: it is empty (${DATE_HINT})`);
  }

  const iso = ISO_DATE_TIME.exec(trimmed);
  if (iso) return _readIso(text, iso, timeZone);

  const inDuration = /^in\s+(.+)$/i.exec(trimmed);
  if (inDuration) {
    try {
      return options.now + parseDuration(inDuration[1]);
    } catch {
      // Not a plain duration: let chrono try ('in two weeks').
    }
  }
  return readNaturalDate(trimmed, { now: options.now, timeZone });
}

/**
 * True when `at` is before `now`: a run time that has passed.
 *
 * @example
 * ```ts
 * isPast(1000, 2000); // true
 * isPast(2000, 2000); // false
 * ```
 */
export function isPast(at: number, now: number): boolean {
  return at < now;
}

function _readIso(text: string, match: RegExpExecArray, timeZone: string): number {
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const wall: WallClock = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour ?? 0),
    minute: Number(minute ?? 0),
    second: Number(second ?? 0),
    millisecond: Number((fraction ?? "").slice(0, 3).padEnd(3, "0")),
  };
  const problem = wallClockProblem(wall);
  if (problem) throw new ScheduleError(`Cannot read date ${quoteInput(text)}: ${problem}`);
  if (offset === undefined) return zonedWallClockToEpoch(wall, timeZone);
  return _asUtc(wall) - _offsetMs(text, offset);
}

function _offsetMs(text: string, offset: string): number {
  if (offset.toUpperCase() === "Z") return 0;
  const sign = offset[0] === "-" ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || 0);
  if (hours > 23 || minutes > 59) {
    throw new ScheduleError(
      `Cannot read date ${quoteInput(text)}: offset ${
        quoteInput(offset)
      } is out of range (-23:59 to +23:59)`,
    );
  }
  return sign * (hours * 60 + minutes) * 60_000;
}
