/**
 * Errors raised by the pool. Each has a stable `name` and `code`; check `code` (not
 * `instanceof`), because errors are re-created after crossing a worker.
 *
 * @module
 */

/**
 * The run was cancelled through its `signal` (or `Future.cancel()`).
 *
 * @example
 * ```ts
 * import { AbortError } from "./errors.ts";
 * const e = new AbortError("Cannot finish the task: it was cancelled");
 * console.assert(e.name === "AbortError" && e.code === "ABORTED");
 * ```
 */
export class AbortError extends Error {
  /** Stable code: `"ABORTED"`. */
  readonly code = "ABORTED";
  /** Creates the error. */
  constructor(message = "Cannot finish the task: it was cancelled", options?: ErrorOptions) {
    super(message, options);
    this.name = "AbortError";
  }
}

/**
 * The run took longer than its `timeout`.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "./errors.ts";
 * console.assert(new TimeoutError().code === "TIMEOUT");
 * ```
 */
export class TimeoutError extends Error {
  /** Stable code: `"TIMEOUT"`. */
  readonly code = "TIMEOUT";
  /** Creates the error. */
  constructor(message = "Cannot finish the task: it timed out", options?: ErrorOptions) {
    super(message, options);
    this.name = "TimeoutError";
  }
}

/**
 * The worker running the task crashed (an uncaught error outside the task, or it exited).
 * Only that task fails; the worker is replaced.
 *
 * @example
 * ```ts
 * import { WorkerCrashedError } from "./errors.ts";
 * console.assert(new WorkerCrashedError("boom").code === "WORKER_CRASHED");
 * ```
 */
export class WorkerCrashedError extends Error {
  /** Stable code: `"WORKER_CRASHED"`. */
  readonly code = "WORKER_CRASHED";
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WorkerCrashedError";
  }
}

/**
 * The pool was closed or terminated before the task could run.
 *
 * @example
 * ```ts
 * import { PoolClosedError } from "./errors.ts";
 * console.assert(new PoolClosedError().code === "POOL_CLOSED");
 * ```
 */
export class PoolClosedError extends Error {
  /** Stable code: `"POOL_CLOSED"`. */
  readonly code = "POOL_CLOSED";
  /** Creates the error. */
  constructor(
    message = "Cannot run the task: the pool is closed; create a new Pool",
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "PoolClosedError";
  }
}

/** @internal The plain-data form of an error that crosses a worker boundary. */
export interface _SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  cause?: unknown;
}

/** @internal Turns any thrown value into plain data that survives `postMessage`. */
export function _serializeError(e: unknown): _SerializedError {
  if (e instanceof Error || (typeof e === "object" && e !== null && "message" in e)) {
    const err = e as Error & { code?: unknown };
    const out: _SerializedError = {
      name: String(err.name ?? "Error"),
      message: String(err.message),
      stack: typeof err.stack === "string" ? err.stack : undefined,
    };
    if (err.code !== undefined) out.code = err.code;
    return out;
  }
  return { name: "Error", message: String(e) };
}

/** @internal Re-creates an Error in this realm from its plain-data form. */
export function _deserializeError(s: _SerializedError): Error {
  let e: Error;
  switch (s.code) {
    case "ABORTED":
      e = new AbortError(s.message);
      break;
    case "TIMEOUT":
      e = new TimeoutError(s.message);
      break;
    default:
      e = new Error(s.message);
      e.name = s.name;
      if (s.code !== undefined) (e as Error & { code?: unknown }).code = s.code;
  }
  if (s.stack !== undefined) e.stack = s.stack;
  return e;
}
