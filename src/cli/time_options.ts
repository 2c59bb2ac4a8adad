/**
 * Options that name a point in time: `--start-at`, `--stop-at`, `--since`, `--until`. A time is
 * an ISO 8601 instant, a wall-clock time or a phrase (see `parseAt`); where `ago` is allowed, a
 * bare duration ('2h') means that long before now.
 *
 * @example
 * ```ts
 * await parseTimeOption("--since", "2h", { now: Date.now(), ago: true }); // 2 hours ago
 * ```
 */
import { UsageError } from "./cli_error.ts";

/** The instant an option names (epoch ms); a bad value is a UsageError quoting it. */
export async function parseTimeOption(
  option: string,
  text: string,
  context: { now: number; timeZone?: string; ago?: boolean },
): Promise<number> {
  if (context.ago) {
    const { parseDuration } = await import("../schedule/duration.ts");
    try {
      return context.now - parseDuration(text);
    } catch { /* not a duration: read it as a time */ }
  }
  // Loaded only when needed: the date parser costs ~17 ms of start-up.
  const { parseAt } = await import("../schedule/when.ts");
  try {
    return parseAt(text, { now: context.now, timeZone: context.timeZone });
  } catch (error) {
    throw new UsageError(`Cannot use ${option}: ${(error as Error).message}`);
  }
}
