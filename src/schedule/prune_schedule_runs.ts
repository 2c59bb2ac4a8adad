/**
 * `bgt every … --keep N`: once runs have ended, removes the finished runs their schedules no
 * longer keep (all but the newest N of each), rows and logs alike.
 *
 * @example
 * ```ts
 * const ended = (await store.finish(owner, ends)).map((event) => event.taskId!);
 * await pruneScheduleRuns(store, home.logs, ended); // ids of the older runs removed
 * ```
 */
import { removeTaskFiles, taskFiles } from "../store/task_files.ts";
import type { TaskStore } from "../store/task_store.ts";

/**
 * Removes the finished runs past their schedule's `keep`, for the schedules of `endedIds`, and
 * their log directories; returns the ids removed (oldest first). Tasks of schedules without a
 * keep, and tasks of no schedule, are left alone.
 *
 * @example
 * ```ts
 * await pruneScheduleRuns(store, "/home/ana/.local/state/bgt/logs", [41]); // [37]
 * ```
 */
export async function pruneScheduleRuns(
  store: TaskStore,
  logsDir: string,
  endedIds: readonly number[],
): Promise<number[]> {
  const past = await store.schedules.runsPastKeep(endedIds);
  if (!past.length) return [];
  const { removed } = await store.remove(past);
  for (const id of removed) removeTaskFiles(taskFiles(logsDir, id));
  return removed;
}
