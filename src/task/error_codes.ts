/**
 * The one registry of bgt's error codes: every error bgt throws on purpose carries one of these
 * as its `code` (a string that survives a worker, the socket and the store, where `instanceof`
 * does not), and the CLI exits with the code's exit status. Check an error with
 * {@linkcode isBgtError}.
 *
 * @example
 * ```ts
 * import { connect, isBgtError } from "bgt";
 *
 * const bgt = await connect();
 * try {
 *   await bgt.get(999_999);
 * } catch (error) {
 *   if (!isBgtError(error, "TASK_NOT_FOUND")) throw error;
 * }
 * await bgt.close();
 * ```
 */

/** Every code, what it means and the CLI's exit status for it (2: bad input; 1: the rest). */
export const ERROR_CODES = {
  USAGE: { exit: 2, meaning: "bad command-line input" },
  INVALID_TASK: {
    exit: 2,
    meaning:
      "a task that cannot run: a missing module, export, command or directory, or a value that cannot be stored",
  },
  SUBMIT_REFUSED: { exit: 2, meaning: "a submission the store refuses (a dependency on no task)" },
  SCHEDULE_INVALID: { exit: 2, meaning: "a bad duration, date, time zone or cron pattern" },
  CONFIG_INVALID: { exit: 2, meaning: "a config file (or its [[hooks]]) that cannot be read" },
  STORE_CONFIG: { exit: 2, meaning: "a store address (BGT_STORE) that cannot be used" },
  TASK_NOT_FOUND: { exit: 1, meaning: "no task has this id" },
  SCHEDULE_NOT_FOUND: { exit: 1, meaning: "no schedule has this id" },
  TASK_STATE: { exit: 1, meaning: "not possible in the task's state (rm of a running task, …)" },
  SUPERVISOR_UNAVAILABLE: { exit: 1, meaning: "no supervisor can be reached or started" },
  SUPERVISOR_RUNNING: { exit: 1, meaning: "another supervisor already serves this home" },
  STORE_UNAVAILABLE: { exit: 1, meaning: "the store (PostgreSQL) cannot be reached" },
  FOREIGN_PATH: { exit: 1, meaning: "a file or directory of the home that another user controls" },
  PROTOCOL: { exit: 1, meaning: "a frame or request that breaks the protocol (versions differ)" },
  ABORTED: { exit: 1, meaning: "a pool run canceled through its signal" },
  TIMEOUT: { exit: 1, meaning: "a pool run that outlasted its timeout" },
  WORKER_CRASHED: { exit: 1, meaning: "a pool worker that died while running" },
  POOL_CLOSED: { exit: 1, meaning: "a pool used after close()" },
  MODULE_LOAD: { exit: 1, meaning: "a task module or export that cannot be loaded" },
  FREE_VARIABLE: { exit: 1, meaning: "a pool function that uses a variable it did not capture" },
} as const satisfies Record<string, { exit: number; meaning: string }>;

/** A code of the registry. */
export type BgtErrorCode = keyof typeof ERROR_CODES;

/** An error bgt threw on purpose: its `code` is in the registry. */
export type BgtError = Error & { code: BgtErrorCode };

/**
 * True when `error` carries a code of the registry (this `code`, when given). Works on errors
 * re-created from plain data (after a worker or the socket), where `instanceof` does not.
 *
 * @example
 * ```ts
 * import { isBgtError, TaskNotFoundError } from "bgt";
 * isBgtError(new TaskNotFoundError(4), "TASK_NOT_FOUND"); // true
 * isBgtError(new Error("x")); // false
 * ```
 */
export function isBgtError(error: unknown, code?: BgtErrorCode): error is BgtError {
  if (typeof error !== "object" || error === null) return false;
  const actual = (error as { code?: unknown }).code;
  if (typeof actual !== "string" || !Object.hasOwn(ERROR_CODES, actual)) return false;
  return code === undefined || actual === code;
}

/** The CLI's exit status for an error: its code's, else 1. */
export function exitStatusOf(error: unknown): number {
  return isBgtError(error) ? ERROR_CODES[error.code].exit : 1;
}
