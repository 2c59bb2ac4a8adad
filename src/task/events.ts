/**
 * The outbox's events: every state change of a task or schedule, written in the transaction that
 * made it, with ids that increase in commit order (so a reader's `id > cursor` misses nothing).
 *
 * @example
 * ```ts
 * const events = await store.events(cursor);
 * const ended = events.filter((event) => END_EVENT_KINDS.includes(event.kind));
 * ```
 */

/** Every kind of event the outbox holds. */
export type TaskEventKind =
  | "submitted"
  | "started"
  | "retrying"
  | "succeeded"
  | "failed"
  | "canceled"
  | "timed_out"
  | "lost"
  | "paused"
  | "resumed"
  | "removed"
  | "schedule_fired"
  | "schedule_skipped";

/** The kinds that end a task (no retry follows). */
export const END_EVENT_KINDS: readonly TaskEventKind[] = [
  "succeeded",
  "failed",
  "canceled",
  "timed_out",
  "lost",
];

/**
 * One row of the outbox: `{ id, at, taskId, kind, data }`. `data` by kind:
 * - submitted: `{ group, name, restart?: true }`
 * - started: `{ attempt, owner }`
 * - retrying: `{ attempt, runAt, exitCode, signal, error }` (the attempt that ended)
 * - succeeded | failed | canceled | timed_out | lost: `{ attempt, exitCode, signal, error }`
 * - paused | resumed | removed: `{}`
 * - schedule_fired: `{ scheduleId, slot, taskIds }`; schedule_skipped: `{ scheduleId, count }`
 *   (taskId null for schedule events)
 */
export interface TaskEvent {
  id: number;
  /** Epoch ms, the store's clock. */
  at: number;
  taskId: number | null;
  kind: TaskEventKind;
  data: Record<string, unknown>;
}

/**
 * The data of an end event, and of `retrying` (to which the store adds its `runAt`).
 *
 * @example
 * ```ts
 * endData(2, { exitCode: 1 }); // { attempt: 2, exitCode: 1, signal: null, error: null }
 * ```
 */
export function endData(
  attempt: number,
  run: { exitCode?: number | null; signal?: string | null; error?: unknown },
): Record<string, unknown> {
  return {
    attempt,
    exitCode: run.exitCode ?? null,
    signal: run.signal ?? null,
    error: run.error ?? null,
  };
}
