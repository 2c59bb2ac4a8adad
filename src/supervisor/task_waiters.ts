/**
 * Clients waiting for tasks to end: `wait` requests park here until every task they name is
 * terminal (a retried task is not: it waits through its retries).
 *
 * @example
 * ```ts
 * const waiters = new TaskWaiters(store);
 * await waiters.waitFor([41, 42], signal);
 * waiters.finished(task); // called by the dispatcher
 * ```
 */
import type { TaskStore } from "../store/task_store.ts";
import { TaskNotFoundError } from "../task/errors.ts";
import { isTerminal, type Task } from "../task/types.ts";

/** The set of parked waits. */
export class TaskWaiters {
  #store: TaskStore;
  #byId = new Map<number, Set<() => void>>();

  constructor(store: TaskStore) {
    this.#store = store;
  }

  /** Resolves when all the tasks are terminal; rejects with TaskNotFoundError for an unknown id. */
  async waitFor(ids: readonly number[], signal?: AbortSignal): Promise<void> {
    for (const id of ids) {
      const task = this.#store.get(id);
      if (!task) throw new TaskNotFoundError(id);
      if (isTerminal(task.status)) continue;
      await new Promise<void>((resolve, reject) => {
        const listeners = this.#byId.get(id) ?? new Set();
        this.#byId.set(id, listeners);
        const done = () => {
          listeners.delete(done);
          if (listeners.size === 0) this.#byId.delete(id);
          signal?.removeEventListener("abort", abort);
          resolve();
        };
        const abort = () => {
          listeners.delete(done);
          reject(signal!.reason);
        };
        signal?.addEventListener("abort", abort, { once: true });
        listeners.add(done);
      });
    }
  }

  /**
   * Wakes the waits on tasks that ended outside this supervisor's sight (a client's `rm` that
   * failed the dependants of the removed task, say); called on a `notify`.
   */
  recheck(): void {
    for (const id of [...this.#byId.keys()]) {
      const task = this.#store.get(id);
      if (!task || isTerminal(task.status)) {
        for (const listener of [...(this.#byId.get(id) ?? [])]) listener();
      }
    }
  }

  /** Wakes the waits on a task that reached a terminal state. */
  finished(task: Pick<Task, "id">): void {
    for (const listener of [...(this.#byId.get(task.id) ?? [])]) listener();
  }
}
