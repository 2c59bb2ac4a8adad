/**
 * Wall-clock readings (what a clock on the wall of a time zone shows) and their checks: the
 * calendar fields of an instant in a zone, and which fields name a real day and time.
 *
 * @example
 * ```ts
 * wallClockOf(Date.UTC(2026, 5, 15, 8), "Europe/Berlin");
 * // { year: 2026, month: 6, day: 15, hour: 10, minute: 0, second: 0, millisecond: 0 }
 * ```
 */

/** Calendar fields as a clock shows them; month 1-12, day 1-31, hour 0-23. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** @default 0 */
  millisecond?: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function _formatter(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/**
 * The wall clock of `zone` at an instant (epoch ms). The zone must be one Intl knows.
 *
 * @example
 * ```ts
 * wallClockOf(Date.UTC(2026, 0, 1, 0, 0), "Asia/Kolkata").hour; // 5 (and minute 30)
 * ```
 */
export function wallClockOf(epochMs: number, zone: string): Required<WallClock> {
  const fields: Record<string, number> = {};
  for (const part of _formatter(zone).formatToParts(epochMs)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  return {
    year: fields.year,
    month: fields.month,
    day: fields.day,
    hour: fields.hour === 24 ? 0 : fields.hour,
    minute: fields.minute,
    second: fields.second,
    millisecond: ((epochMs % 1000) + 1000) % 1000,
  };
}

/**
 * How far `zone` is ahead of UTC at an instant, in milliseconds (Berlin in summer: 7200000).
 *
 * @example
 * ```ts
 * zoneOffsetMs(Date.UTC(2026, 6, 1), "America/New_York"); // -14400000
 * ```
 */
export function zoneOffsetMs(epochMs: number, zone: string): number {
  const wall = wallClockOf(epochMs, zone);
  return _asUtc({ ...wall, millisecond: 0 }) - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The number of days in a month (1-12) of a proleptic Gregorian year.
 *
 * @example
 * ```ts
 * daysInMonth(2028, 2); // 29
 * ```
 */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Says what is wrong with wall-clock fields ("day 30 is out of range 1-28 for February 2026"),
 * or returns null when they name a real calendar day and time of day. A calendar check only: a
 * time skipped by a DST change is still a valid wall clock.
 *
 * @example
 * ```ts
 * wallClockProblem({ year: 2026, month: 13, day: 1, hour: 0, minute: 0, second: 0 });
 * // "month 13 is out of range 1-12"
 * ```
 */
export function wallClockProblem(wall: WallClock): string | null {
  const { year, month, day, hour, minute, second } = wall;
  if (!Number.isInteger(year) || year < 1 || year > 9999) {
    return `year ${year} is out of range 1-9999`;
  }
  if (month < 1 || month > 12) return `month ${month} is out of range 1-12`;
  const lastDay = daysInMonth(year, month);
  if (day < 1 || day > lastDay) {
    return `day ${day} is out of range 1-${lastDay} for ${MONTH_NAMES[month - 1]} ${year}`;
  }
  if (hour < 0 || hour > 23) return `hour ${hour} is out of range 0-23`;
  if (minute < 0 || minute > 59) return `minute ${minute} is out of range 0-59`;
  if (second < 0 || second > 59) return `second ${second} is out of range 0-59`;
  return null;
}

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** The fields read as if they were UTC (no zone): the "local epoch" of a wall clock. */
export function _asUtc(wall: WallClock): number {
  const date = new Date(0);
  date.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  date.setUTCHours(wall.hour, wall.minute, wall.second, wall.millisecond ?? 0);
  return date.getTime();
}
