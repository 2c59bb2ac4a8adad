/**
 * Why a task has not started yet, in words a user can act on: the dependencies it waits for,
 * its run time, a full or paused group, or no supervisor running.
 *
 * @example
 * ```ts
 * await whyWaiting(store, home, task); // "waiting on #12 (running)" | "group io full (2/2 running)" | …
 * ```
 */
import type { TaskStore } from "../store/task_store.ts";
import { localTime } from "../schedule/local_time.ts";
import { isTerminal, type Task } from "../task/types.ts";
import type { BgtHome } from "../store/home.ts";
import { liveSupervisor } from "./wake_supervisor.ts";

/** The reason a waiting task waits; undefined for a task that runs or has ended. */
export async function whyWaiting(
  store: TaskStore,
  home: Pick<BgtHome, "dir">,
  task: Task,
  now = Date.now(),
): Promise<string | undefined> {
  if (task.status === "blocked") {
    // Open: a dependency that has not ended (settlement's own judgement: any end settles it).
    const deps = await store.list({
      ids: task.after,
      limit: task.after.length,
      newestFirst: false,
    });
    const open = deps.filter((dep) => !isTerminal(dep.status))
      .map((dep) => `#${dep.id} (${dep.status})`);
    return `waiting on ${open.join(", ") || "its dependencies"}`;
  }
  if (task.status !== "queued" && task.status !== "scheduled") return undefined;
  const at = localTime(task.runAt, { now });
  if (task.runAt > now) {
    if (task.attempt === 0) return `scheduled for ${at}`;
    // Past its retries, a --restart task waits for its restart (no "retry 2 of 1").
    return task.attempt < task.maxAttempts
      ? `retry ${task.attempt + 1} of ${task.maxAttempts} at ${at}`
      : `restarting at ${at} (--restart ${task.restart ?? "always"})`;
  }
  if (!await liveSupervisor(home, store)) {
    return "no supervisor is running (it starts with the next bgt run, or: bgt daemon start)";
  }
  const group = (await store.groups()).find((setting) => setting.name === task.group);
  if (group?.paused) return `group ${task.group} is paused (bgt group resume ${task.group})`;
  const running = await store.runningByGroup();
  const inGroup = running[task.group] ?? 0;
  if (group?.parallel != null && inGroup >= group.parallel) {
    return `group ${task.group} full (${inGroup}/${group.parallel} running)`;
  }
  const total = Object.values(running).reduce((sum, n) => sum + n, 0);
  return `waiting for a free slot (${total} running)`;
}
