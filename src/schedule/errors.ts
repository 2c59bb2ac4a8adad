/**
 * The one error of the scheduling room: a duration, date, time zone, cron pattern or schedule
 * spec that cannot be used. Its message is one line that quotes the bad part and says what would
 * work. Check `code`, not `instanceof`: it survives the socket.
 *
 * @example
 * ```ts
 * try {
 *   parseDuration("10 parsecs");
 * } catch (e) {
 *   if ((e as { code?: string }).code === "SCHEDULE_INVALID") console.error((e as Error).message);
 *   // Invalid duration '10 parsecs': unknown unit 'parsecs' (use ms, s, m, h, d, w; e.g. '30s', '4 hours')
 * }
 * ```
 */
export class ScheduleError extends Error {
  override name = "ScheduleError";
  readonly code = "SCHEDULE_INVALID";
}
