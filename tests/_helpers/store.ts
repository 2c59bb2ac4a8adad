/**
 * Single-task helpers over the store's batch methods, for tests: the store has `submit`,
 * `claim`, `finish` and `cancel` of many; a test usually means one.
 *
 * @example
 * ```ts
 * const [id] = await submitIds(store, [{ spec: { kind: "command", argv: ["true"] } }]);
 * const task = await claimOne(store, "me");
 * await finishOne(store, id, "me", { status: "succeeded", exitCode: 0 });
 * ```
 */
import type { TaskStore } from "../../src/store/task_store.ts";
import type { TaskEvent } from "../../src/task/events.ts";
import type { NewTask, Task, TaskOutcome } from "../../src/task/types.ts";

/** Submits the tasks; their ids (or their key holders'), in order. */
export async function submitIds(store: TaskStore, tasks: readonly NewTask[]): Promise<number[]> {
  return (await store.submit(tasks)).map((result) => result.id);
}

/** Claims the next due task (of either kind), or undefined when none is due. */
export async function claimOne(store: TaskStore, owner: string): Promise<Task | undefined> {
  return (await store.claim(owner, { maxProcesses: 1, maxWorkers: 1, limit: 1 }))[0];
}

/**
 * Records how the current attempt of task `id` ended (fenced by `owner`); returns the tasks it
 * changed as they now are: the task (queued again for a retry), then the dependants that ended.
 * Empty when `owner` does not run it.
 */
export async function finishOne(
  store: TaskStore,
  id: number,
  owner: string,
  outcome: TaskOutcome,
): Promise<Task[]> {
  const attempt = (await store.get(id))?.attempt ?? 0;
  return await tasksOf(store, await store.finish(owner, [{ id, attempt, outcome }]));
}

/** Cancels one task that has not started; the tasks that ended, as they now are. */
export async function cancelOne(store: TaskStore, id: number): Promise<Task[]> {
  return await tasksOf(store, await store.cancel([id]));
}

/** The tasks the events are about (once each, in event order), as they now are. */
export async function tasksOf(store: TaskStore, events: readonly TaskEvent[]): Promise<Task[]> {
  const ids = [...new Set(events.flatMap((event) => event.taskId ?? []))];
  const tasks = await Promise.all(ids.map((id) => store.get(id)));
  return tasks.filter((task): task is Task => task !== undefined);
}
