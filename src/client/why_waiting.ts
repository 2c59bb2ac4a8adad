/**
 * Why a task has not started yet, in words a user can act on: the dependencies it waits for,
 * its run time, a full or paused group, or no supervisor running.
 *
 * @example
 * ```ts
 * whyWaiting(store, task); // "waiting on #12 (running)" | "group io full (2/2 running)" | …
 * ```
 */
import type { TaskStore } from "../store/task_store.ts";
import { localTime } from "../schedule/local_time.ts";
import type { Task } from "../task/types.ts";
import { liveSupervisor } from "./wake_supervisor.ts";

/** The reason a waiting task waits; undefined for a task that runs or has ended. */
export function whyWaiting(store: TaskStore, task: Task, now = Date.now()): string | undefined {
  if (task.status === "blocked") {
    const open = task.after
      .map((id) => store.get(id))
      .filter((dep) =>
        dep && dep.status !== "succeeded" && !["failed", "canceled"].includes(dep.status)
      )
      .map((dep) => `#${dep!.id} (${dep!.status})`);
    return `waiting on ${open.join(", ") || "its dependencies"}`;
  }
  if (task.status !== "queued" && task.status !== "scheduled") return undefined;
  const at = localTime(task.runAt, { now });
  if (task.runAt > now) {
    return task.attempt > 0
      ? `retry ${task.attempt + 1} of ${task.maxAttempts} at ${at}`
      : `scheduled for ${at}`;
  }
  if (!liveSupervisor(store)) {
    return "no supervisor is running (it starts with the next bgt run, or: bgt daemon start)";
  }
  const group = store.groups().find((setting) => setting.name === task.group);
  if (group?.paused) return `group ${task.group} is paused (bgt group resume ${task.group})`;
  const running = store.runningByGroup();
  const inGroup = running[task.group] ?? 0;
  if (group?.parallel != null && inGroup >= group.parallel) {
    return `group ${task.group} full (${inGroup}/${group.parallel} running)`;
  }
  const total = Object.values(running).reduce((sum, n) => sum + n, 0);
  return `waiting for a free slot (${total} running)`;
}
