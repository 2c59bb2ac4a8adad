/**
 * The retention of finished tasks the config file asks for (`[retention] days = 7, count = 1000`):
 * the supervisor removes, with their logs, the finished tasks that ended longer ago than `days`
 * and those past the newest `count` — at start and with its housekeeping, every minute. A finished
 * task that an unfinished one depends on (`--after`) stays until that one has ended.
 *
 * @example
 * ```ts
 * const { removed, events } = await pruneFinished(store, home.logs, { days: 7 });
 * ```
 */
import type { TaskEvent } from "../task/events.ts";
import { removeTaskFiles, taskFiles } from "../store/task_files.ts";
import type { TaskStore } from "../store/task_store.ts";

/** How many finished tasks to keep: those of the last `days`, at most the newest `count`. */
export interface Retention {
  days?: number;
  count?: number;
}

/**
 * Removes the finished tasks (and their logs) the retention does not keep; returns their ids and
 * the events written (for the waiters).
 */
export async function pruneFinished(
  store: TaskStore,
  logsDir: string,
  retention: Retention,
  now = Date.now(),
): Promise<{ removed: number[]; events: TaskEvent[] }> {
  const doomed = new Set<number>();
  if (retention.days !== undefined) {
    const before = now - retention.days * 86_400_000;
    for (const id of await store.finishedIds({ before, unneeded: true })) doomed.add(id);
  }
  if (retention.count !== undefined) {
    const finished = await store.finishedIds({});
    const past = finished.length - retention.count;
    const unneeded = new Set(await store.finishedIds({ unneeded: true }));
    // Ids grow with submission: the oldest ones go first.
    for (const id of finished.sort((a, b) => a - b).slice(0, Math.max(0, past))) {
      if (unneeded.has(id)) doomed.add(id);
    }
  }
  const ids = [...doomed];
  const removed: number[] = [];
  const events: TaskEvent[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const result = await store.remove(ids.slice(i, i + 500));
    events.push(...result.events);
    for (const id of result.removed) {
      removeTaskFiles(taskFiles(logsDir, id));
      removed.push(id);
    }
  }
  return { removed, events };
}
