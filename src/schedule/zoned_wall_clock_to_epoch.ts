/**
 * Turns a wall clock in a named zone into an instant, right across DST changes.
 *
 * @example
 * ```ts
 * zonedWallClockToEpoch({ year: 2026, month: 7, day: 1, hour: 12, minute: 0, second: 0 }, "Europe/Berlin");
 * // Date.UTC(2026, 6, 1, 10, 0, 0)
 * ```
 */
import { _asUtc, type WallClock, wallClockProblem, zoneOffsetMs } from "./wall_clock.ts";

const DAY_MS = 86_400_000;

/**
 * The instant (epoch ms) at which `zone`'s clocks show `wall`.
 *
 * Around a DST change:
 * - a time that does not exist (in the spring-forward gap) moves forward by the length of the
 *   gap: 02:30 on 2026-03-29 in Europe/Berlin is read as 03:30 CEST (01:30Z);
 * - a time that occurs twice (in the fall-back overlap) is the first, earlier occurrence: 02:30 on
 *   2026-10-25 in Europe/Berlin is 02:30 CEST (00:30Z), not 02:30 CET.
 *
 * @throws {RangeError} when the fields are not a real calendar day and time (check first with
 * {@linkcode wallClockProblem}); the zone must be one Intl knows.
 *
 * @example
 * ```ts
 * const wall = { year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 };
 * zonedWallClockToEpoch(wall, "Europe/Berlin"); // Date.UTC(2026, 2, 29, 1, 30): 03:30 CEST
 * ```
 */
export function zonedWallClockToEpoch(wall: WallClock, zone: string): number {
  const problem = wallClockProblem(wall);
  if (problem) throw new RangeError(`Cannot convert wall clock: ${problem}`);
  const local = _asUtc(wall);
  const offsetBefore = zoneOffsetMs(local - DAY_MS, zone);
  const offsetAfter = zoneOffsetMs(local + DAY_MS, zone);
  const candidates = [local - offsetBefore, local - offsetAfter]
    .filter((instant) => zoneOffsetMs(instant, zone) === local - instant)
    .sort((a, b) => a - b);
  // No candidate shows this wall clock: it falls in a gap; the offset from before the change
  // moves it forward by the gap.
  return candidates[0] ?? local - offsetBefore;
}
