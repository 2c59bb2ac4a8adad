/**
 * The wait before a failed task's next attempt: exponential backoff with jitter, so that tasks
 * failing together do not retry in lockstep.
 *
 * @example
 * ```ts
 * retryDelay(5000, 1); // ≈ 5 s (4 s – 6 s)
 * retryDelay(5000, 3); // ≈ 20 s (16 s – 24 s)
 * ```
 */

/** The longest wait between two attempts. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

/**
 * Delay before the attempt after `attempt` (1-based): `baseMs · 2^(attempt-1)`, capped at an
 * hour, times a random factor in [0.8, 1.2).
 */
export function retryDelay(baseMs: number, attempt: number, random = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (0.8 + 0.4 * random()));
}
