/**
 * Cron patterns: 5 fields (minute hour day month weekday) or 6 (second first), checked with
 * croner, with errors that name the bad field. Also the one place that builds croner jobs (never
 * scheduled: they only compute run times), cached per pattern and zone.
 *
 * @example
 * ```ts
 * checkCronPattern("0  9 * * 1-5"); // "0 9 * * 1-5"
 * checkCronPattern("61 * * * *");
 * // throws: Invalid cron pattern '61 * * * *': minute field '61' is out of range 0-59
 * ```
 */
import { Cron } from "croner";
import { quoteInput } from "../task/quote_input.ts";
import { ScheduleError } from "../task/errors.ts";

interface _Field {
  name: string;
  min: number;
  max: number;
}

const SECOND: _Field = { name: "second", min: 0, max: 59 };
const FIVE_FIELDS: _Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "weekday", min: 0, max: 7 },
];
const FIELD_COUNT_HINT = "use 5 (minute hour day month weekday) or 6 (second first)";
const FIELD_HINT = "use *, n, a-b, a,b or */n";
const CACHE_SIZE = 256;
const jobs = new Map<string, Cron>();
/**
 * Patterns checked already, with their normal form: a check builds a croner job per field (~1 ms),
 * and a stored schedule's pattern is read again at every firing.
 */
const checked = new Map<string, string>();

/**
 * Checks a 5- or 6-field cron pattern and returns it with single spaces between fields.
 * Day-of-month and weekday combine with OR when both are restricted (Vixie cron); `L` (last day
 * of the month), `W`, `#` and month/day names work as in croner.
 *
 * @throws {ScheduleError} for a wrong number of fields, a field croner refuses (named, with the
 * out-of-range value when that is the problem), or a pattern that matches no date ('0 0 30 2 *').
 *
 * @example
 * ```ts
 * checkCronPattern("0 0 L * *"); // "0 0 L * *"
 * checkCronPattern("* * * * * * *"); // throws: … has 7 fields; use 5 (…) or 6 (second first)
 * ```
 */
export function checkCronPattern(pattern: string): string {
  let normalized = checked.get(pattern);
  if (normalized === undefined) {
    normalized = _checkedPattern(pattern);
    if (checked.size >= CACHE_SIZE) checked.delete(checked.keys().next().value!);
    checked.set(pattern, normalized);
  }
  return normalized;
}

function _checkedPattern(pattern: string): string {
  const fail = (reason: string) =>
    new ScheduleError(`Invalid cron pattern ${quoteInput(pattern)}: ${reason}`);
  const fields = pattern.trim().split(/\s+/).filter((field) => field !== "");
  if (fields.length !== 5 && fields.length !== 6) {
    throw fail(
      `it has ${fields.length} field${fields.length === 1 ? "" : "s"}; ${FIELD_COUNT_HINT}`,
    );
  }
  const layout = fields.length === 6 ? [SECOND, ...FIVE_FIELDS] : FIVE_FIELDS;
  const normalized = fields.join(" ");
  fields.forEach((field, index) => {
    const problem = _fieldProblem(field, index, layout);
    if (problem) throw fail(problem);
  });
  let job: Cron;
  try {
    job = new Cron(normalized, { mode: "5-or-6-parts" });
  } catch (error) {
    throw fail(_cronerReason(error));
  }
  if (job.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    throw fail("it matches no date (check day-of-month and month)");
  }
  return normalized;
}

/**
 * A croner job for a checked pattern, reading it in `timeZone` (null: the process's zone). Jobs
 * are only asked for run times (`nextRun`, `previousRuns`), never scheduled; they are cached.
 *
 * @example
 * ```ts
 * cronJob("0 0 * * *", "Europe/Berlin").nextRun(new Date(Date.UTC(2026, 5, 15)));
 * // 2026-06-15T22:00:00.000Z
 * ```
 */
export function cronJob(pattern: string, timeZone: string | null): Cron {
  const key = `${timeZone ?? ""} ${pattern}`;
  let job = jobs.get(key);
  if (!job) {
    job = new Cron(pattern, { mode: "5-or-6-parts", timezone: timeZone ?? undefined });
    if (jobs.size >= CACHE_SIZE) jobs.delete(jobs.keys().next().value!);
    jobs.set(key, job);
  }
  return job;
}

/** Why croner refuses this field alone (all others '*'), or null when it takes it. */
function _fieldProblem(field: string, index: number, layout: _Field[]): string | null {
  const { name, min, max } = layout[index];
  const outOfRange = _outOfRangeValue(field, min, max);
  if (outOfRange !== null) {
    return field === outOfRange
      ? `${name} field ${quoteInput(field)} is out of range ${min}-${max}`
      : `${name} field ${quoteInput(field)}: ${outOfRange} is out of range ${min}-${max}`;
  }
  const alone = layout.map((_, i) => i === index ? field : "*").join(" ");
  try {
    new Cron(alone, { mode: "5-or-6-parts" });
    return null;
  } catch (error) {
    return `${name} field ${quoteInput(field)} is not valid (${
      _cronerReason(error)
    }; ${FIELD_HINT})`;
  }
}

/** The first plain number of a field (not a step or an nth) outside min-max, as written. */
function _outOfRangeValue(field: string, min: number, max: number): string | null {
  for (const item of field.split(",")) {
    const values = item.split("/")[0].split("#")[0].split("-");
    for (const value of values) {
      const number = /^(\d+)[LW]?$/i.exec(value);
      if (number && (Number(number[1]) < min || Number(number[1]) > max)) return number[1];
    }
  }
  return null;
}

function _cronerReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/^CronPattern:\s*/, "")
    .replace(/^configuration entry \d+ \(.*?\) contains/, "it contains")
    .replace(/\.$/, "")
    .replace(/\s+/g, " ");
}
