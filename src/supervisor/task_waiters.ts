/**
 * Clients waiting for tasks to end: `wait` requests park here until every task they name has
 * ended (a retried task has not: it waits through its retries). They learn it from the outbox:
 * the events of the supervisor's own writes as it makes them, and the events of everyone else's
 * (a client's `rm` that failed the dependants of the removed task, say) read on each notify.
 *
 * @example
 * ```ts
 * const waiters = await TaskWaiters.open(store);
 * await waiters.waitFor([41, 42], signal);
 * waiters.seen(events); // the dispatcher, after its writes
 * ```
 */
import type { TaskStore } from "../store/task_store.ts";
import { TaskNotFoundError } from "../task/errors.ts";
import { END_EVENT_KINDS, type TaskEvent } from "../task/events.ts";
import { isTerminal } from "../task/types.ts";

/** The kinds after which a task can end no more: its ends, and its removal. */
const FINAL_KINDS = new Set([...END_EVENT_KINDS, "removed"]);

/** The set of parked waits. */
export class TaskWaiters {
  #store: TaskStore;
  #byId = new Map<number, Set<() => void>>();
  /** The newest event read from the store (see catchUp). */
  #cursor: number;
  #reading: Promise<void> | undefined;
  #again = false;

  private constructor(store: TaskStore, cursor: number) {
    this.#store = store;
    this.#cursor = cursor;
  }

  /** Waits that read the store's events from now on. */
  static async open(store: TaskStore): Promise<TaskWaiters> {
    return new TaskWaiters(store, await store.lastEventId());
  }

  /**
   * Resolves when all the tasks have ended (or were removed meanwhile); rejects with
   * TaskNotFoundError for an id of no task.
   */
  async waitFor(ids: readonly number[], signal?: AbortSignal): Promise<void> {
    // Listen first, then look: an end between the look and the listening is not missed.
    const ends = [...new Set(ids)].map((id) => {
      let resolve!: () => void;
      const ended = new Promise<void>((done) => (resolve = done));
      const listeners = this.#byId.get(id) ?? new Set();
      this.#byId.set(id, listeners);
      listeners.add(resolve);
      const forget = () => {
        listeners.delete(resolve);
        if (listeners.size === 0 && this.#byId.get(id) === listeners) this.#byId.delete(id);
      };
      return { id, ended, forget };
    });
    try {
      const open: Promise<void>[] = [];
      for (const { id, ended } of ends) {
        const task = await this.#store.get(id);
        if (!task) throw new TaskNotFoundError(id);
        if (!isTerminal(task.status)) open.push(ended);
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const abort = () => reject(signal!.reason);
        signal?.addEventListener("abort", abort, { once: true });
        void Promise.all(open).then(() => {
          signal?.removeEventListener("abort", abort);
          resolve();
        });
      });
    } finally {
      for (const { forget } of ends) forget();
    }
  }

  /** Wakes the waits on the tasks these events ended (or removed). */
  seen(events: readonly TaskEvent[]): void {
    for (const event of events) {
      if (event.taskId === null || !FINAL_KINDS.has(event.kind)) continue;
      for (const listener of [...(this.#byId.get(event.taskId) ?? [])]) listener();
    }
  }

  /**
   * Reads the waited tasks' events written since the last read (by anyone) and wakes the waits
   * they end; called on a notify. One read at a time; a call during one reads once more after.
   */
  catchUp(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#again = false;
          // The newest id first, then the waited tasks: a wait that starts after this look
          // reads its task after it too, so it misses no end up to `last`.
          const last = await this.#store.lastEventId();
          const taskIds = [...this.#byId.keys()];
          for (let after = this.#cursor; taskIds.length;) {
            const events = await this.#store.events(after, { taskIds, limit: 1000 });
            this.seen(events);
            if (events.length < 1000) break;
            after = events[events.length - 1].id;
          }
          this.#cursor = Math.max(this.#cursor, last);
        } while (this.#again);
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }
}
