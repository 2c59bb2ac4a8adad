/**
 * The one way bgt prints a time for people: the date and time on the local clock (`TZ`, else
 * the system's zone) with the zone's name and how far away it is —
 * `2026-12-01 11:00 CET, in 15h56m`, `2026-11-30 19:04:07 CET, 3m12s ago`. Seconds are shown
 * unless they are :00, so a time is never rounded: a cron slot reads `11:00`, a task's start
 * `19:04:07`. Scripts get ISO 8601 from `--json` instead.
 *
 * @example
 * ```ts
 * const now = Date.UTC(2026, 10, 30, 19, 4);
 * localTime(Date.UTC(2026, 11, 1, 10), { now, timeZone: "Europe/Berlin" });
 * // "2026-12-01 11:00 CET, in 14h56m"
 * relativeTime(now - 180_000, now); // "3m00s ago"
 * compactDuration(7_500_000); // "2h05m"
 * ```
 */
import { systemTimeZone } from "./time_zone.ts";
import { wallClockOf } from "./wall_clock.ts";

/** Options for {@linkcode localTime}. */
export interface LocalTimeOptions {
  /** The instant the relative part counts from (epoch ms). @default Date.now() */
  now?: number;
  /** The IANA zone to read the clock in. @default the process's zone (`TZ`, else the system's) */
  timeZone?: string;
}

/**
 * A time as people read it: local date and time, the zone's name, and the distance from now.
 *
 * @example
 * ```ts
 * const now = Date.UTC(2026, 5, 1, 12);
 * localTime(now - 42_000, { now, timeZone: "UTC" }); // "2026-06-01 11:59:18 UTC, 42s ago"
 * localTime(Date.UTC(2026, 5, 1, 18), { now, timeZone: "America/New_York" });
 * // "2026-06-01 14:00 EDT, in 6h00m"
 * ```
 */
export function localTime(epochMs: number, options: LocalTimeOptions = {}): string {
  const zone = options.timeZone ?? systemTimeZone();
  return `${clockTime(epochMs, zone)}, ${relativeTime(epochMs, options.now ?? Date.now())}`;
}

/**
 * The absolute part of {@linkcode localTime} alone: `2026-12-01 11:00 CET`.
 *
 * @example
 * ```ts
 * clockTime(Date.UTC(2026, 2, 29, 1, 0, 30), "Europe/Berlin"); // "2026-03-29 03:00:30 CEST"
 * ```
 */
export function clockTime(epochMs: number, timeZone: string = systemTimeZone()): string {
  const wall = wallClockOf(epochMs, timeZone);
  const two = (n: number) => String(n).padStart(2, "0");
  const date = `${String(wall.year).padStart(4, "0")}-${two(wall.month)}-${two(wall.day)}`;
  const time = `${two(wall.hour)}:${two(wall.minute)}${
    wall.second === 0 ? "" : `:${two(wall.second)}`
  }`;
  return `${date} ${time} ${_zoneName(epochMs, timeZone)}`;
}

/**
 * How far a time is from `now`: "12s ago", "3m05s ago", "in 2h00m", or "now" within a second.
 * The distance is rounded to the second.
 *
 * @example
 * ```ts
 * relativeTime(Date.now() + 3_600_000); // "in 1h00m"
 * ```
 */
export function relativeTime(epochMs: number, now: number = Date.now()): string {
  const delta = now - epochMs;
  if (Math.abs(delta) < 1000) return "now";
  const text = compactDuration(Math.round(Math.abs(delta) / 1000) * 1000);
  return delta > 0 ? `${text} ago` : `in ${text}`;
}

/**
 * A compact duration for columns and status lines: "850ms", "12s", "3m05s", "2h05m", "4d03h".
 *
 * @example
 * ```ts
 * compactDuration(185_000); // "3m05s"
 * ```
 */
export function compactDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/**
 * English locales whose short zone names Intl knows: en-US names American zones (EST), en-GB
 * European ones (CET, BST), and so on. The first that gives a name, not a bare offset, wins.
 */
const NAMING_LOCALES = ["en-US", "en-GB", "en-AU", "en-IN", "en-CA", "en-NZ", "en-IE", "en-ZA"];
const BARE_OFFSET = /^GMT[+-]/;
const namers = new Map<string, Intl.DateTimeFormat>();

/** The zone's short name at an instant ("CET" or "CEST"), else its offset ("GMT+9"). */
function _zoneName(epochMs: number, zone: string): string {
  let offset = "";
  for (const locale of NAMING_LOCALES) {
    const key = `${locale} ${zone}`;
    let namer = namers.get(key);
    if (!namer) {
      namer = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: "short" });
      namers.set(key, namer);
    }
    const name = namer.formatToParts(epochMs).find((part) => part.type === "timeZoneName")
      ?.value ?? "";
    if (name && !BARE_OFFSET.test(name)) return name;
    offset ||= name;
  }
  return offset || zone;
}
