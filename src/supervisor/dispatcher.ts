/**
 * The dispatcher: claims due tasks in (priority desc, run_at, id) order up to the parallelism
 * limit, runs them, records how they ended, and sleeps until a wake-up (a notify, a task's end,
 * or the next run_at) — never polling the table.
 *
 * @example
 * ```ts
 * const dispatcher = new Dispatcher({ store, owner, logsDir, parallel: 2, runModule });
 * dispatcher.wake();
 * ```
 */
import { adoptCommand, startCommand } from "../runner/command_runner.ts";
import type { RunningTask } from "../runner/running_task.ts";
import { type TaskFiles, taskFiles } from "../store/task_files.ts";
import { LEASE_MS, type TaskStore } from "../store/task_store.ts";
import { TaskNotFoundError, TaskStateError } from "../task/errors.ts";
import { isTerminal, type Task, type TaskOutcome } from "../task/types.ts";

/** Starts a module task (given by the supervisor, which owns the worker pool). */
export type ModuleStarter = (task: Task, files: TaskFiles) => RunningTask;

/** Options for {@linkcode Dispatcher}. */
export interface DispatcherOptions {
  store: TaskStore;
  /** This supervisor's owner id. */
  owner: string;
  logsDir: string;
  /** Most tasks running at once. */
  parallel: number;
  runModule: ModuleStarter;
  /** Time between a kill's signal and SIGKILL. @default 5000 */
  killGraceMs?: number;
  /** Told about every task that reaches a terminal state. */
  onFinished?: (task: Task) => void;
}

interface Entry {
  task: Task;
  run: RunningTask;
  /** The signal a user asked for; its effect ends the task as `canceled`. */
  killedWith?: string;
}

/** Claims, runs and records tasks. */
export class Dispatcher {
  #options: DispatcherOptions;
  #running = new Map<number, Entry>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #wakeQueued = false;
  #draining = false;

  constructor(options: DispatcherOptions) {
    this.#options = options;
  }

  /** How many tasks run now. */
  get running(): number {
    return this.#running.size;
  }

  /** Asks for a claim pass soon (coalesced: many wakes, one pass). */
  wake(): void {
    if (this.#wakeQueued || this.#draining) return;
    this.#wakeQueued = true;
    queueMicrotask(() => {
      this.#wakeQueued = false;
      this.#pump();
    });
  }

  /**
   * Takes over running tasks of a dead supervisor: command tasks whose waiter lives (or whose
   * status is on disk) are re-adopted; the others are recorded as `lost` (and retried per policy).
   * Returns how many were re-adopted and how many lost.
   */
  recover(): { adopted: number; lost: number } {
    const { store, owner, logsDir } = this.#options;
    let adopted = 0;
    let lost = 0;
    for (const task of store.orphans(owner)) {
      store.adopt(task.id, owner);
      const run = task.kind === "module"
        ? undefined
        : adoptCommand(task, taskFiles(logsDir, task.id));
      if (run) {
        adopted++;
        this.#track({ ...task, owner }, run);
      } else {
        lost++;
        this.#record(task.id, {
          status: "lost",
          error: {
            name: "Error",
            message: "The supervisor that ran this task died, and the task's process is gone",
          },
        });
      }
    }
    return { adopted, lost };
  }

  /** Sends a signal to a task (SIGKILL follows after a grace); cancels one that has not started. */
  kill(id: number, signal: NodeJS.Signals): void {
    const entry = this.#running.get(id);
    if (!entry) {
      if (this.#options.store.cancel(id)) {
        const task = this.#options.store.get(id);
        if (task) this.#options.onFinished?.(task);
        return;
      }
      const task = this.#options.store.get(id);
      if (!task) throw new TaskNotFoundError(id);
      throw new TaskStateError(`Cannot kill task ${id}: it is ${task.status}, not running`);
    }
    entry.killedWith = signal;
    entry.run.kill(signal);
    if (signal !== "SIGKILL") {
      const grace = setTimeout(() => {
        if (this.#running.get(id) === entry) entry.run.kill("SIGKILL");
      }, this.#options.killGraceMs ?? 5000);
      void entry.run.done.finally(() => clearTimeout(grace));
    }
  }

  /** Stops claiming; resolves when the tasks in `which` have ended (or at once for none). */
  async drain(which: (task: Task) => boolean): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#timer);
    await Promise.all(
      [...this.#running.values()].filter((entry) => which(entry.task)).map((entry) =>
        entry.run.done
      ),
    );
  }

  #pump(): void {
    const { store, owner, parallel } = this.#options;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (!this.#draining && this.#running.size < parallel) {
      const task = store.claimNext(owner, { now: Date.now(), fullGroups: [] });
      if (!task) break;
      this.#start(task);
    }
    this.#armTimer();
  }

  #armTimer(): void {
    if (this.#draining || this.#running.size >= this.#options.parallel) return;
    const next = this.#options.store.nextRunAt();
    if (next === undefined) return;
    const delay = Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.wake(), delay);
  }

  #start(task: Task): void {
    const files = taskFiles(this.#options.logsDir, task.id);
    let run: RunningTask;
    try {
      run = task.kind === "module"
        ? this.#options.runModule(task, files)
        : startCommand(task, files);
    } catch (error) {
      this.#record(task.id, {
        status: "failed",
        error: { name: "Error", message: `Cannot start task: ${(error as Error).message}` },
      });
      return;
    }
    this.#track(task, run);
  }

  #track(task: Task, run: RunningTask): void {
    const entry: Entry = { task, run };
    this.#running.set(task.id, entry);
    // Renew the leases of running tasks while there are any (a third of the lease, to spare).
    this.#heartbeat ??= setInterval(() => {
      this.#options.store.heartbeat(this.#options.owner, Date.now() + LEASE_MS);
    }, LEASE_MS / 3);
    void run.started.then((pid) => {
      if (pid !== null && this.#running.get(task.id) === entry) {
        this.#options.store.markStarted(task.id, pid);
      }
    });
    void run.done.then((outcome) => {
      this.#running.delete(task.id);
      if (this.#running.size === 0) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
      }
      if (entry.killedWith && outcome.status !== "succeeded") {
        outcome = { ...outcome, status: "canceled", signal: outcome.signal ?? entry.killedWith };
      }
      this.#record(task.id, outcome);
      this.wake();
    });
  }

  #record(id: number, outcome: TaskOutcome): void {
    const task = this.#options.store.finish(id, this.#options.owner, outcome);
    if (task && isTerminal(task.status)) this.#options.onFinished?.(task);
  }
}
