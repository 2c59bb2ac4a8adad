/**
 * The few domain errors callers catch. Each has a stable `name` and `code` that survive a worker
 * or the socket; check `code`, not `instanceof`.
 *
 * @example
 * ```ts
 * try { await client.get(42); } catch (e) { if (e.code === "TASK_NOT_FOUND") … }
 * ```
 */

/** No task has this id. */
export class TaskNotFoundError extends Error {
  override name = "TaskNotFoundError";
  readonly code = "TASK_NOT_FOUND";
  constructor(readonly id: number, options?: ErrorOptions) {
    super(`Cannot find task ${id}: no such id (see 'bgt ls')`, options);
  }
}

/** The supervisor cannot be reached or started. */
export class SupervisorUnavailableError extends Error {
  override name = "SupervisorUnavailableError";
  readonly code = "SUPERVISOR_UNAVAILABLE";
}

/**
 * The supervisor's socket accepts connections but no answer comes in time (the supervisor is
 * stopped, e.g. by SIGSTOP or Ctrl-Z). Its `code` is that of SupervisorUnavailableError.
 */
export class SupervisorUnresponsiveError extends SupervisorUnavailableError {
  override name = "SupervisorUnresponsiveError";
}

/** A frame or message that breaks the protocol. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
  readonly code = "PROTOCOL";
}

/** A request that cannot be done in the task's current state (e.g. rm of a running task). */
export class TaskStateError extends Error {
  override name = "TaskStateError";
  readonly code = "TASK_STATE";
}

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

/** A plain-data error for the wire: name, message, code and stack. */
export interface ErrorData {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** Turns any thrown value into plain data. */
export function toErrorData(error: unknown): ErrorData {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      code: typeof code === "string" ? code : undefined,
      stack: error.stack,
    };
  }
  return { name: "Error", message: String(error) };
}

/** Re-creates an Error (with its name and code) from plain data. */
export function fromErrorData(data: ErrorData): Error {
  const error = new Error(data.message) as Error & { code?: string };
  error.name = data.name;
  if (data.code) error.code = data.code;
  if (data.stack) error.stack = data.stack;
  return error;
}
