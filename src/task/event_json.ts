/**
 * The JSON line of an event, as `bgt events --json` prints it: `{"id", "at", "taskId",
 * "kind", …}` with the event's data beside them and the time in ISO 8601.
 *
 * @example
 * ```ts
 * eventJson({ id: 3, at: 0, taskId: 1, kind: "failed", data: { attempt: 1, exitCode: 4 } });
 * // { id: 3, at: "1970-01-01T00:00:00.000Z", taskId: 1, kind: "failed", attempt: 1, exitCode: 4 }
 * ```
 */
import type { TaskEvent } from "./events.ts";

/** The event as one flat JSON object. */
export function eventJson(event: TaskEvent): Record<string, unknown> {
  return {
    id: event.id,
    at: new Date(event.at).toISOString(),
    taskId: event.taskId,
    kind: event.kind,
    ...event.data,
  };
}
