/**
 * Recurring specs (`bgt every <spec>`): a nickname ('day', '@hourly'), a duration ('30s',
 * '4 hours') or a cron pattern ('0 9 * * 1-5'), and the firings they produce.
 *
 * @example
 * ```ts
 * const rec = parseRecurrence("day", { timeZone: "Europe/Berlin" });
 * // { kind: "cron", pattern: "0 0 * * *", timeZone: "Europe/Berlin", text: "day" }
 * nextFiring(rec, Date.UTC(2026, 5, 15, 12), 0); // Date.UTC(2026, 5, 15, 22): Berlin midnight
 * describeRecurrence(rec); // "cron '0 0 * * *' (Europe/Berlin)"
 * ```
 */
import { quoteInput } from "../task/quote_input.ts";
import { checkCronPattern, cronJob } from "./cron_pattern.ts";
import { formatDuration, parseDuration } from "../task/duration.ts";
import { ScheduleError } from "../task/errors.ts";
import { checkTimeZone } from "./time_zone.ts";

/**
 * A parsed recurring spec. `text` is the user's spec as given.
 *
 * - `interval`: slots at anchor + k·everyMs (k ≥ 0), whatever the zone: a time zone given with
 *   it is checked, then not kept (elapsed time has no zone).
 * - `cron`: a checked 5- or 6-field pattern (nicknames resolved), read in `timeZone`, or in the
 *   zone of the process computing the firings when null.
 *
 * @example
 * ```ts
 * const every2s: Recurrence = { kind: "interval", everyMs: 2000, text: "2s" };
 * const daily: Recurrence = { kind: "cron", pattern: "0 0 * * *", timeZone: null, text: "@daily" };
 * ```
 */
export type Recurrence =
  | { kind: "interval"; everyMs: number; text: string }
  | { kind: "cron"; pattern: string; timeZone: string | null; text: string };

/** Options of {@linkcode parseRecurrence}. */
export interface RecurrenceOptions {
  /**
   * The IANA zone a cron pattern is read in (checked; ignored by intervals).
   * @default null (the zone of the process computing firings)
   */
  timeZone?: string;
}

/**
 * The cron pattern of each nickname (case-insensitive, with or without '@' for the classic
 * ones).
 *
 * @example
 * ```ts
 * CRON_NICKNAMES["@daily"]; // "0 0 * * *"
 * ```
 */
export const CRON_NICKNAMES: Readonly<Record<string, string>> = {
  minute: "* * * * *",
  hour: "0 * * * *",
  hourly: "0 * * * *",
  "@hourly": "0 * * * *",
  day: "0 0 * * *",
  daily: "0 0 * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  week: "0 0 * * 0",
  weekly: "0 0 * * 0",
  "@weekly": "0 0 * * 0",
  month: "0 0 1 * *",
  monthly: "0 0 1 * *",
  "@monthly": "0 0 1 * *",
  year: "0 0 1 1 *",
  yearly: "0 0 1 1 *",
  annually: "0 0 1 1 *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

const MIN_INTERVAL_MS = 1000;
const SPEC_HINT =
  "use a nickname (minute, hour, day, week, month, year, @daily…), a duration ('30s', '4 hours') or a cron pattern ('0 */4 * * *')";

/**
 * Reads a recurring spec: a nickname becomes its cron pattern, a duration an interval (at least
 * 1 s), anything with 5 or 6 fields or a `*` a cron pattern.
 *
 * @throws {ScheduleError} for an unknown zone, an interval under 1 s, a bad duration or cron
 * pattern (naming the bad part), or text that is none of these.
 *
 * @example
 * ```ts
 * parseRecurrence("4 hours"); // { kind: "interval", everyMs: 14400000, text: "4 hours" }
 * parseRecurrence("0 9 * * 1-5", { timeZone: "Europe/Berlin" }).kind; // "cron"
 * parseRecurrence("500ms"); // throws: Invalid schedule '500ms': an interval must be at least 1s
 * ```
 */
export function parseRecurrence(spec: string, options: RecurrenceOptions = {}): Recurrence {
  const timeZone = options.timeZone === undefined ? null : checkTimeZone(options.timeZone);
  const trimmed = spec.trim();
  if (trimmed === "") {
    throw new ScheduleError(`Invalid schedule ${quoteInput(spec)}: it is empty; ${SPEC_HINT}`);
  }

  const nickname = CRON_NICKNAMES[trimmed.toLowerCase()];
  if (nickname) return { kind: "cron", pattern: nickname, timeZone, text: spec };

  const fieldCount = trimmed.split(/\s+/).length;
  if (!/[*?/#]/.test(trimmed)) {
    const duration = _readDuration(trimmed);
    if (typeof duration === "number") {
      if (duration < MIN_INTERVAL_MS) {
        throw new ScheduleError(
          `Invalid schedule ${quoteInput(spec)}: an interval must be at least ${
            formatDuration(MIN_INTERVAL_MS)
          }`,
        );
      }
      return { kind: "interval", everyMs: duration, text: spec };
    }
    // Fewer than 5 fields and no cron character: a duration gone wrong, or nothing known.
    if (fieldCount < 5 && /^[-+.\d]/.test(trimmed)) throw duration;
    if (fieldCount < 3) {
      throw new ScheduleError(`Invalid schedule ${quoteInput(spec)}: not understood; ${SPEC_HINT}`);
    }
  }
  return { kind: "cron", pattern: checkCronPattern(trimmed), timeZone, text: spec };
}

/**
 * The first firing strictly after `after` (epoch ms).
 *
 * - interval: the smallest slot anchor + k·everyMs (k ≥ 0) greater than `after`;
 * - cron: croner's next run after `after` in the recurrence's zone (`anchor` is not used).
 *   Cron runs fall on whole seconds. Across DST, croner runs a fixed-time pattern (second,
 *   minute and hour each one value: '30 2 * * *') at most once a day: in the spring-forward gap
 *   at the first valid time after it (03:00, not 03:30), at a repeated time only the first time.
 *   Patterns with a wildcard or a step in second, minute or hour ('0 * * * *', every 30 minutes)
 *   skip the times in the gap and run at both occurrences of a repeated time.
 *
 * @throws {ScheduleError} if a cron pattern has no later run (only past the year 9999 for
 * patterns {@linkcode parseRecurrence} accepts).
 *
 * @example
 * ```ts
 * const rec = parseRecurrence("2s");
 * nextFiring(rec, 5000, 1000); // 7000
 * nextFiring(rec, 0, 1000); // 1000: the anchor is the first slot
 * ```
 */
export function nextFiring(rec: Recurrence, after: number, anchor: number): number {
  if (rec.kind === "interval") return _nextIntervalSlot(anchor, rec.everyMs, after);
  const next = _nextCronRun(rec, after);
  if (next === null) {
    throw new ScheduleError(
      `Cron pattern ${quoteInput(rec.pattern)} has no run after ${new Date(after).toISOString()}`,
    );
  }
  return next;
}

/**
 * How a recurrence reads in listings.
 *
 * @example
 * ```ts
 * describeRecurrence(parseRecurrence("2s")); // "every 2s"
 * describeRecurrence(parseRecurrence("4 hours")); // "every 4h"
 * describeRecurrence(parseRecurrence("day", { timeZone: "Europe/Berlin" }));
 * // "cron '0 0 * * *' (Europe/Berlin)"
 * ```
 */
export function describeRecurrence(rec: Recurrence): string {
  if (rec.kind === "interval") return `every ${formatDuration(rec.everyMs)}`;
  return `cron '${rec.pattern}'${rec.timeZone ? ` (${rec.timeZone})` : ""}`;
}

/** The duration in ms, or the error that says why the text is not one. */
function _readDuration(text: string): number | ScheduleError {
  try {
    return parseDuration(text);
  } catch (error) {
    if (error instanceof ScheduleError) return error;
    throw error;
  }
}

/** The smallest anchor + k·everyMs (k ≥ 0) greater than `after`. */
export function _nextIntervalSlot(anchor: number, everyMs: number, after: number): number {
  if (after < anchor) return anchor;
  return anchor + (Math.floor((after - anchor) / everyMs) + 1) * everyMs;
}

/** croner's next run strictly after `after`, or null when there is none. */
export function _nextCronRun(
  rec: Extract<Recurrence, { kind: "cron" }>,
  after: number,
): number | null {
  return cronJob(rec.pattern, rec.timeZone).nextRun(new Date(after))?.getTime() ?? null;
}
