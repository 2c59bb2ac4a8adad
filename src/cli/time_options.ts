/**
 * Options that name a time or a length of time: `--at`, `--start-at`, `--stop-at`, `--since`,
 * `--until`; `--in`, `--backoff`, `--timeout`, `--older-than`, `--kill-grace`. A time is an ISO
 * 8601 instant, a wall-clock time or a phrase (see `parseAt`); where `ago` is allowed, a bare
 * duration ('2h') means that long before now. A bare number as a duration is seconds.
 *
 * @example
 * ```ts
 * await parseTimeOption("--since", "2h", { now: Date.now(), ago: true }); // 2 hours ago
 * ```
 */
import { parseDuration, parseDurationOrSeconds } from "../task/duration.ts";
import { UsageError } from "./cli_error.ts";

/**
 * A duration option in milliseconds; a bare number is seconds, as in timeout(1) (`--timeout 5`,
 * `--in 1.5`). A bad value is a UsageError that quotes it.
 *
 * @example
 * ```ts
 * parseDurationOption("--timeout", "5"); // 5000
 * parseDurationOption("--timeout", "2m"); // 120000
 * ```
 */
export function parseDurationOption(option: string, text: string): number {
  try {
    return parseDurationOrSeconds(text);
  } catch (error) {
    throw new UsageError(`Cannot use ${option}: ${(error as Error).message}`);
  }
}

/** The instant an option names (epoch ms); a bad value is a UsageError quoting it. */
export async function parseTimeOption(
  option: string,
  text: string,
  context: { now: number; timeZone?: string; ago?: boolean },
): Promise<number> {
  if (context.ago) {
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
