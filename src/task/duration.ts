/**
 * Durations as people type them ('30s', '10 minutes', '1h30m', '1.5h', '2 weeks'), read strictly:
 * every part of the text must be a number followed by a unit, so junk is refused instead of
 * silently dropped. Units come from parse-duration's English table (ms, s/sec/second, m/min/minute,
 * h/hr/hour, d/day, w/wk/week, any case, plural or not); months and years are refused because
 * their length varies (use `--at` for a calendar date).
 *
 * @example
 * ```ts
 * parseDuration("1h30m"); // 5400000
 * formatDuration(5400000); // "1h30m"
 * ```
 */
import parseDurationPackage from "parse-duration";
import { quoteInput } from "./quote_input.ts";
import { ScheduleError } from "./errors.ts";

const UNIT_HINT = "use s, m, h, d, w; e.g. '30s', '4 hours'";
const UNITS: Record<string, number> = parseDurationPackage.unit;
const VARIABLE_LENGTH = new Set([UNITS.y, UNITS.mo]);
const NUMBER_AND_UNIT = /(\d+(?:\.\d+)?|\.\d+)\s*(\p{L}+)?/uy;
const SEPARATOR = /(?:\s|,|\band\b)+/uy;

/**
 * Reads a duration and returns it in whole milliseconds (> 0).
 *
 * @throws {ScheduleError} on empty text, a negative or zero total, a missing or unknown unit, or
 * any word that is not part of a number-and-unit pair ('5 minutes ago').
 *
 * @example
 * ```ts
 * parseDuration("30s"); // 30000
 * parseDuration("4 hours"); // 14400000
 * parseDuration("10 parsecs"); // throws: Invalid duration '10 parsecs': unknown unit 'parsecs' (…)
 * ```
 */
export function parseDuration(text: string): number {
  const fail = (reason: string) =>
    new ScheduleError(`Invalid duration ${quoteInput(text)}: ${reason}`);
  const trimmed = text.trim();
  if (trimmed === "") throw fail(`it is empty (${UNIT_HINT})`);
  if (trimmed.startsWith("-")) throw fail("a duration cannot be negative");

  let total = 0;
  let position = 0;
  while (position < trimmed.length) {
    NUMBER_AND_UNIT.lastIndex = position;
    const pair = NUMBER_AND_UNIT.exec(trimmed);
    if (!pair) {
      const word = trimmed.slice(position).split(/[\s,]/)[0];
      throw fail(`${quoteInput(word)} is not understood (${UNIT_HINT})`);
    }
    const [whole, number, unitName] = pair;
    if (unitName === undefined) throw fail(`${quoteInput(number)} has no unit (${UNIT_HINT})`);
    total += Number(number) * _unitMs(unitName, fail);
    position += whole.length;
    SEPARATOR.lastIndex = position;
    const separator = SEPARATOR.exec(trimmed);
    if (separator) position += separator[0].length;
    else if (position < trimmed.length && !/\d|\./.test(trimmed[position])) {
      const rest = trimmed.slice(position).split(/\s/)[0];
      throw fail(`${quoteInput(rest)} is not understood (${UNIT_HINT})`);
    }
  }
  const ms = Math.round(total);
  if (ms <= 0) throw fail("a duration must be longer than zero");
  if (!Number.isSafeInteger(ms)) throw fail("it is too long");
  return ms;
}

function _unitMs(name: string, fail: (reason: string) => ScheduleError): number {
  const lower = name.toLowerCase();
  const ms = UNITS[lower] ?? (lower.endsWith("s") ? UNITS[lower.slice(0, -1)] : undefined);
  if (typeof ms !== "number") throw fail(`unknown unit ${quoteInput(name)} (${UNIT_HINT})`);
  if (VARIABLE_LENGTH.has(ms)) {
    throw fail(`unit ${quoteInput(name)} has no fixed length (use d or w, or a date with --at)`);
  }
  if (ms < 1) throw fail(`unit ${quoteInput(name)} is finer than a millisecond`);
  return ms;
}

/**
 * {@linkcode parseDuration}, where a bare number is seconds as in timeout(1) (`--timeout 5`,
 * `kill_grace = "1.5"`): what the CLI's duration options and the config file's durations read.
 *
 * @example
 * ```ts
 * parseDurationOrSeconds("5"); // 5000
 * parseDurationOrSeconds("2m"); // 120000
 * ```
 */
export function parseDurationOrSeconds(text: string): number {
  return parseDuration(/^\s*(\d+(\.\d+)?|\.\d+)\s*$/.test(text) ? `${text.trim()}s` : text);
}

const FORMAT_UNITS: [string, number][] = [
  ["w", 604_800_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];

/**
 * Writes milliseconds in the compact form {@linkcode parseDuration} reads back.
 *
 * @example
 * ```ts
 * formatDuration(2000); // "2s"
 * formatDuration(5400000); // "1h30m"
 * formatDuration(1500); // "1s500ms"
 * ```
 */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  let rest = Math.round(ms);
  let text = "";
  for (const [unit, size] of FORMAT_UNITS) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
