/**
 * Which bytes of a stream each attempt of a task wrote. Attempts append to the same files, so a
 * stream is cut into consecutive segments, one per attempt: attempt n's segment runs from where
 * it started to where attempt n + 1 started (the last one to the stream's end). A start that was
 * not recorded (an attempt re-adopted after a supervisor crash) is taken from the end of the
 * attempt before.
 *
 * @example
 * ```ts
 * attemptSegments(client.attempts(7), 2, "stdout");
 * // [{ attempt: 1, from: 0, to: 40 }, { attempt: 2, from: 40, to: Infinity }]
 * ```
 */
import type { StreamName } from "../store/task_files.ts";
import type { Attempt } from "../task/types.ts";

/** The bytes [from, to) of a stream that one attempt wrote (`to` is Infinity for the last). */
export interface AttemptSegment {
  attempt: number;
  from: number;
  to: number;
}

/**
 * The segments of `stream`, one per attempt from 1 to `current` (the task's attempt number; at
 * least 1), in order; they tile the stream from 0 without gaps.
 */
export function attemptSegments(
  attempts: readonly Attempt[],
  current: number,
  stream: StreamName,
): AttemptSegment[] {
  const byNumber = new Map(attempts.map((attempt) => [attempt.attempt, attempt]));
  const last = Math.max(1, current, ...attempts.map((attempt) => attempt.attempt));
  const starts = [0];
  for (let n = 2; n <= last; n++) {
    const own = byNumber.get(n)?.slices[stream]?.[0];
    const before = byNumber.get(n - 1)?.slices[stream]?.[1];
    starts.push(Math.max(starts[starts.length - 1], own ?? before ?? 0));
  }
  return starts.map((from, i) => ({
    attempt: i + 1,
    from,
    to: i + 1 < starts.length ? starts[i + 1] : Infinity,
  }));
}
