/**
 * The retention of finished tasks the config file asks for (`[retention] days = 7, count = 1000`):
 * the supervisor removes, with their logs, the finished tasks that ended longer ago than `days`
 * and those past the newest `count` — at start and with its housekeeping, every minute.
 *
 * @example
 * ```ts
 * await pruneFinished(store, home.logs, { days: 7 }); // the ids removed
 * ```
 */
import { removeTaskFiles, taskFiles } from "../store/task_files.ts";
import type { TaskStore } from "../store/task_store.ts";

/** How many finished tasks to keep: those of the last `days`, at most the newest `count`. */
export interface Retention {
  days?: number;
  count?: number;
}

/** Removes the finished tasks (and their logs) the retention does not keep; returns their ids. */
export async function pruneFinished(
  store: TaskStore,
  logsDir: string,
  retention: Retention,
  now = Date.now(),
): Promise<number[]> {
  const doomed = new Set<number>();
  if (retention.days !== undefined) {
    const before = now - retention.days * 86_400_000;
    for (const id of await store.finishedIds({ before })) doomed.add(id);
  }
  if (retention.count !== undefined) {
    const finished = await store.finishedIds({});
    const past = finished.length - retention.count;
    // Ids grow with submission: the oldest ones go first.
    for (const id of finished.sort((a, b) => a - b).slice(0, Math.max(0, past))) doomed.add(id);
  }
  const ids = [...doomed];
  const removed: number[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    for (const id of (await store.remove(ids.slice(i, i + 500))).removed) {
      removeTaskFiles(taskFiles(logsDir, id));
      removed.push(id);
    }
  }
  return removed;
}
