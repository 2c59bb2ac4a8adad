/**
 * Control of a task that another supervisor (another home, usually another host) runs, through
 * the shared store (DESIGN §11): a request row addressed to the task's owner plus a NOTIFY; the
 * owner acts and records the outcome, which this reads. A supervisor that is gone, or that does
 * not answer within a few seconds, is one line naming it.
 *
 * @example
 * ```ts
 * if (runsElsewhere(store, home, task)) await controlElsewhere(store, task, { kind: "signal", signal: "SIGTERM" }, "kill");
 * ```
 */
import type { BgtHome } from "../store/home.ts";
import type { ControlAction } from "../store/shared_io.ts";
import type { TaskStore } from "../store/task_store.ts";
import { SupervisorUnavailableError } from "../task/errors.ts";
import { fromErrorData } from "../task/errors.ts";
import type { Task, TaskStatus } from "../task/types.ts";

/** How long a signal's owner has to answer; a send's bytes wait up to the owner's own limit too. */
export const ANSWER_MS = { signal: 5_000, send: 15_000, forget: 5_000 } as const;

/** Whether the task's output and control live with a supervisor of another home (shared store). */
export function ranElsewhere(store: TaskStore, home: BgtHome, task: Task): boolean {
  return store.output !== undefined && !!task.home && task.home !== home.dir;
}

/** Whether the task runs now under a supervisor of another home. */
export function runsElsewhere(store: TaskStore, home: BgtHome, task: Task): boolean {
  return store.control !== undefined && ranElsewhere(store, home, task) && !!task.owner &&
    (task.status === "running" || task.status === "paused");
}

/**
 * Asks the task's owner to do `action`; resolves with `already` when the task was in the asked
 * state. Throws the owner's error (a TaskStateError's message and code), or a
 * SupervisorUnavailableError naming the supervisor when it is gone or does not answer in time.
 */
export async function controlElsewhere(
  store: TaskStore,
  task: Task,
  action: ControlAction,
  verb: string,
): Promise<{ already?: TaskStatus }> {
  const control = store.control!;
  const owner = task.owner!;
  const holder = task.home ? await store.supervisorOf(task.home) : undefined;
  const where = `the supervisor of ${task.home} (${owner.split("/")[0]})`;
  if (!holder || holder.owner !== owner) {
    throw new SupervisorUnavailableError(
      `Cannot ${verb} task ${task.id}: ${where} that runs it is gone (its tasks are rescued when a supervisor takes them over)`,
    );
  }
  const id = await control.request(owner, task.id, action);
  const deadline = Date.now() + ANSWER_MS[action.kind];
  for (let delay = 2;; delay = Math.min(delay * 2, 100)) {
    const outcome = await control.outcome(id);
    if (outcome?.ok) return outcome.already ? { already: outcome.already as TaskStatus } : {};
    if (outcome) {
      throw fromErrorData({
        name: outcome.name ?? "Error",
        message: outcome.message,
        code: outcome.code,
      });
    }
    if (Date.now() > deadline) {
      await control.withdraw(id).catch(() => {});
      const now = await store.supervisorOf(task.home!).catch(() => undefined) ?? holder;
      const age = Math.round(((await store.now()) - now.heartbeatAt) / 1000);
      throw new SupervisorUnavailableError(
        `Cannot ${verb} task ${task.id}: ${where} did not answer within ${
          ANSWER_MS[action.kind] / 1000
        } s (pid ${holder.pid}, last heartbeat ${age} s ago)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/**
 * Of these tasks, those whose files another home's supervisor holds (a shared store): id → home.
 * Empty on a store of one host.
 */
export async function homesElsewhere(
  store: TaskStore,
  home: BgtHome,
  ids: readonly number[],
): Promise<Map<number, string>> {
  const homes = new Map<number, string>();
  if (!store.control || !ids.length) return homes;
  for (const task of await store.list({ ids, limit: ids.length })) {
    if (task.home && task.home !== home.dir) homes.set(task.id, task.home);
  }
  return homes;
}

/**
 * Asks the supervisors of other homes to delete the local files of removed tasks (their output
 * in the store went with the rows). Best effort, no answer awaited: a home whose supervisor does
 * not run keeps them.
 */
export async function forgetElsewhere(
  store: TaskStore,
  homes: ReadonlyMap<number, string>,
  removed: readonly number[],
): Promise<void> {
  const owners = new Map<string, string | undefined>();
  for (const id of removed) {
    const home = homes.get(id);
    if (home === undefined) continue;
    if (!owners.has(home)) owners.set(home, (await store.supervisorOf(home))?.owner);
    const owner = owners.get(home);
    if (owner) await store.control!.request(owner, id, { kind: "forget" });
  }
}
