/**
 * The dispatcher: fires due schedules, claims due tasks in (priority desc, run_at, id) order up
 * to the global and per-group parallelism limits, runs them (ending those that outlive their
 * timeout), records how they ended, and sleeps until a wake-up (a notify, a task's end, the next
 * run_at or schedule firing) — never polling the table.
 *
 * @example
 * ```ts
 * const dispatcher = new Dispatcher({ store, owner, logsDir, parallel: 2, runModule });
 * dispatcher.wake();
 * ```
 */
import { existsSync } from "node:fs";
import { adoptCommand, startCommand } from "../runner/command_runner.ts";
import { adoptIsolatedModule, startIsolatedModule } from "../runner/isolated_module.ts";
import type { RunningTask } from "../runner/running_task.ts";
import {
  readStatus,
  STREAM_NAMES,
  type StreamName,
  streamSize,
  type TaskFiles,
  taskFiles,
} from "../store/task_files.ts";
import { LEASE_MS, type TaskEnd, type TaskStore } from "../store/task_store.ts";
import { formatDuration } from "../schedule/duration.ts";
import { fireDueSchedules } from "../schedule/fire_schedules.ts";
import { pruneScheduleRuns } from "../schedule/prune_schedule_runs.ts";
import { TaskNotFoundError, TaskStateError } from "../task/errors.ts";
import {
  isTerminal,
  runsInWorker,
  type Task,
  type TaskOutcome,
  type TaskStatus,
} from "../task/types.ts";

/** Starts a module task (given by the supervisor, which owns the worker hosts). */
export type ModuleStarter = (task: Task, files: TaskFiles) => RunningTask;

/** Options for {@linkcode Dispatcher}. */
export interface DispatcherOptions {
  store: TaskStore;
  /** This supervisor's owner id. */
  owner: string;
  logsDir: string;
  /** The home directory (an isolated module task's process opens it). */
  homeDir: string;
  /** Most tasks running at once. */
  parallel: number;
  runModule: ModuleStarter;
  /** Time between a kill's signal and SIGKILL. @default 5000 */
  killGraceMs?: number;
  /** Told about every task that reaches a terminal state. */
  onFinished?: (task: TaskEnd) => void;
  /** Where to report a problem that does not stop the dispatcher. */
  log?: (line: string) => void;
}

interface Entry {
  task: Task;
  files: TaskFiles;
  run: RunningTask;
  /** The signal a user asked for; its effect ends the task as `canceled`. */
  killedWith?: string;
  /** Set when the task outlived its timeout; it ends as `timed_out`. */
  timedOut?: boolean;
  timeout?: ReturnType<typeof setTimeout>;
  /** When the timeout fires (epoch ms), while running. */
  deadline?: number;
  /** The time left of the timeout while paused. */
  remainingMs?: number;
  /** Where each stream ended when this attempt started (its log slice begins there). */
  offsets?: Record<StreamName, number>;
}

/** Claims, runs and records tasks. */
export class Dispatcher {
  #options: DispatcherOptions;
  #running = new Map<number, Entry>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #wakeQueued = false;
  #draining = false;
  /** Run ends and started pids waiting to be stored (see #flush). */
  #ends: { id: number; outcome: TaskOutcome; at: number }[] = [];
  #started: [number, number | null][] = [];
  #flushQueued = false;
  #pidsTimer: ReturnType<typeof setTimeout> | undefined;
  #flushFailures = 0;
  /** Told when the queue of ends has been stored (see stored()). */
  #storedWaiters: (() => void)[] = [];
  /** How many of the running tasks are module tasks in worker hosts. */
  #inWorkers = 0;

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
   * Resolves once the ends known now — a status on disk, a lost task — are stored (so that a
   * client served afterwards reads them), with how many were re-adopted and how many lost.
   */
  async recover(): Promise<{ adopted: number; lost: number }> {
    const { store, owner, logsDir } = this.#options;
    let adopted = 0;
    let lost = 0;
    const ended: Promise<unknown>[] = [];
    for (const task of store.orphans(owner)) {
      store.adopt(task.id, owner);
      const files = taskFiles(logsDir, task.id);
      const run = runsInWorker(task.spec)
        ? undefined
        : task.kind === "module"
        ? adoptIsolatedModule(task, files)
        : adoptCommand(task, files, { onProgress: this.#progress(task.id) });
      if (run) {
        adopted++;
        this.#track({ ...task, owner }, files, run);
        if (readStatus(files.status)?.attempt === task.attempt) ended.push(run.done);
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
    // #track's handlers on these promises run first: their ends are queued by then.
    await Promise.all(ended);
    await this.stored();
    return { adopted, lost };
  }

  /**
   * Resolves once every end queued so far is stored (at once when none waits). While the
   * database refuses writes, it waits for the retry that succeeds.
   */
  stored(): Promise<void> {
    if (!this.#ends.length && !this.#started.length) return Promise.resolve();
    return new Promise((resolve) => this.#storedWaiters.push(resolve));
  }

  /**
   * Sends a signal to a task (SIGKILL follows after a grace); cancels one that has not started.
   * SIGSTOP and SIGCONT pause and resume it instead (seed 002's pause is a kill(SIGSTOP)).
   * Returns `already` when the task was in the asked state (ended, for a kill; paused or
   * running, for a pause or resume) and nothing was sent; throws TaskNotFoundError, or a
   * TaskStateError when the task is in no state to do it (pausing a queued task).
   */
  kill(id: number, signal: NodeJS.Signals): { already?: TaskStatus } {
    const entry = this.#running.get(id);
    if (signal === "SIGSTOP" || signal === "SIGTSTP" || signal === "SIGCONT") {
      return this.#pauseOrResume(id, entry, signal !== "SIGCONT");
    }
    if (!entry) {
      // An end not stored yet may queue a retry: store it first, so that the retry is canceled.
      if (this.#ends.some((end) => end.id === id)) this.#flush();
      const ended = this.#options.store.cancel(id);
      if (ended.length) {
        this.#announce(ended);
        this.wake(); // its dependants may be free to run now (with --after-any)
        return {};
      }
      const status = this.#statusOf(id);
      if (isTerminal(status)) return { already: status };
      throw this.#notRunning("kill", id);
    }
    entry.killedWith = signal;
    this.#signal(entry, signal);
    // A stopped process keeps the signal pending until it continues.
    if (entry.task.status === "paused") entry.run.kill("SIGCONT");
    return {};
  }

  /** The running tasks, in the order they started. */
  get runningTasks(): Task[] {
    return [...this.#running.values()].map((entry) => entry.task);
  }

  /** A task's state, counting an end not stored yet; throws TaskNotFoundError. */
  #statusOf(id: number): TaskStatus {
    const end = this.#ends.find((end) => end.id === id);
    if (end) return end.outcome.status;
    const task = this.#options.store.get(id);
    if (!task) throw new TaskNotFoundError(id);
    return task.status;
  }

  /** The error for a request that needs a running task (an end not stored yet counts as ended). */
  #notRunning(verb: string, id: number): Error {
    const task = this.#options.store.get(id);
    if (!task) return new TaskNotFoundError(id);
    const status = this.#ends.some((end) => end.id === id) ? "just ending" : task.status;
    return new TaskStateError(`Cannot ${verb} task ${id}: it is ${status}, not running`);
  }

  #pauseOrResume(
    id: number,
    entry: Entry | undefined,
    pause: boolean,
  ): { already?: TaskStatus } {
    const verb = pause ? "pause" : "resume";
    if (!entry) {
      throw this.#notRunning(verb, id);
    }
    if ((entry.task.status === "paused") === pause) return { already: entry.task.status };
    entry.run.kill(pause ? "SIGSTOP" : "SIGCONT");
    this.#options.store.setPaused(id, pause);
    entry.task = { ...entry.task, status: pause ? "paused" : "running" };
    // A paused task's timeout stops counting, and goes on from where it was.
    if (pause) {
      clearTimeout(entry.timeout);
      if (entry.deadline !== undefined) entry.remainingMs = entry.deadline - Date.now();
    } else if (entry.remainingMs !== undefined) {
      this.#armTimeout(entry, entry.remainingMs);
    }
    return {};
  }

  #armTimeout(entry: Entry, ms: number): void {
    clearTimeout(entry.timeout);
    entry.deadline = Date.now() + ms;
    entry.remainingMs = undefined;
    entry.timeout = setTimeout(() => {
      if (this.#running.get(entry.task.id) !== entry) return;
      entry.timedOut = true;
      this.#signal(entry, "SIGTERM");
    }, Math.min(Math.max(0, ms), 2 ** 31 - 1));
  }

  /** Sends `signal`, then SIGKILL after the grace if the task is still running. */
  #signal(entry: Entry, signal: NodeJS.Signals): void {
    entry.run.kill(signal);
    if (signal === "SIGKILL") return;
    // After the grace, SIGKILL the whole group even if the task has been recorded meanwhile:
    // its command may have died of the signal while a child that ignores it lives on.
    setTimeout(() => entry.run.kill("SIGKILL"), this.#options.killGraceMs ?? 5000);
  }

  /**
   * Stops claiming; resolves when the tasks in `which` have ended (or at once for none; paused
   * ones are resumed) and every end is stored.
   */
  async drain(which: (task: Task) => boolean): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#timer);
    const awaited = [...this.#running.values()].filter((entry) => which(entry.task));
    for (const entry of awaited) {
      // A paused task cannot end: it goes on, to end within the drain.
      if (entry.task.status === "paused") this.#pauseOrResume(entry.task.id, entry, false);
    }
    await Promise.all(awaited.map((entry) => entry.run.done));
    this.#flush();
  }

  #pump(): void {
    const { store, owner, parallel } = this.#options;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#draining) return;
    this.#fireSchedules();
    // `parallel` bounds processes (commands, shell lines, isolated modules) and, separately,
    // module tasks in up to `parallel` worker hosts; one transaction claims for both.
    const maxProcesses = parallel - this.#processes;
    const maxWorkers = parallel - this.#inWorkers;
    if (maxProcesses > 0 || maxWorkers > 0) {
      const tasks = store.claimBatch(owner, {
        now: Date.now(),
        maxProcesses: Math.max(0, maxProcesses),
        maxWorkers: Math.max(0, maxWorkers),
        ...this.#groupRoom(),
      });
      for (const task of tasks) this.#start(task);
    }
    this.#armTimer();
  }

  /** Running processes: commands, shell lines and isolated module tasks. */
  get #processes(): number {
    return this.#running.size - this.#inWorkers;
  }

  #fireSchedules(): void {
    try {
      fireDueSchedules(this.#options.store, Date.now(), this.#options.log);
    } catch (error) {
      this.#options.log?.(`cannot fire schedules: ${(error as Error).message}`);
    }
  }

  /** The groups with a limit: those that are full, and the room the others have left. */
  #groupRoom(): { fullGroups: string[]; groupRoom: Record<string, number> } {
    const fullGroups: string[] = [];
    const groupRoom: Record<string, number> = {};
    const limited = this.#options.store.groups().filter((group) => group.parallel !== null);
    if (!limited.length) return { fullGroups, groupRoom };
    const running = new Map<string, number>();
    for (const { task } of this.#running.values()) {
      running.set(task.group, (running.get(task.group) ?? 0) + 1);
    }
    for (const group of limited) {
      const room = group.parallel! - (running.get(group.name) ?? 0);
      if (room <= 0) fullGroups.push(group.name);
      else groupRoom[group.name] = room;
    }
    return { fullGroups, groupRoom };
  }

  /** Sleeps until the next run_at or schedule firing (a task's end also wakes the pump). */
  #armTimer(): void {
    const { store } = this.#options;
    const nextFiring = store.schedules.nextAt();
    // Only a run time still ahead: a task already due that the pump did not claim waits for a
    // slot, its group or a resume, and each of those wakes the pump.
    const nextTask = store.nextRunAt(Date.now());
    const next = Math.min(nextFiring ?? Infinity, nextTask ?? Infinity);
    if (next === Infinity) return;
    const delay = Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.wake(), delay);
  }

  #start(task: Task): void {
    const files = taskFiles(this.#options.logsDir, task.id);
    const offsets = _offsets(files);
    let run: RunningTask;
    try {
      run = runsInWorker(task.spec)
        ? this.#options.runModule(task, files)
        : task.kind === "module"
        ? startIsolatedModule(task, files, this.#options.homeDir)
        : startCommand(task, files, { onProgress: this.#progress(task.id) });
    } catch (error) {
      this.#record(task.id, {
        status: "failed",
        error: { name: "Error", message: `Cannot start task: ${(error as Error).message}` },
      });
      return;
    }
    this.#track(task, files, run, offsets);
  }

  #track(
    task: Task,
    files: TaskFiles,
    run: RunningTask,
    offsets?: Record<StreamName, number>,
  ): void {
    const entry: Entry = { task, files, run, offsets };
    this.#running.set(task.id, entry);
    const inWorker = runsInWorker(task.spec);
    if (inWorker) this.#inWorkers++;
    if (task.timeoutMs !== null) {
      const left = task.timeoutMs - (Date.now() - (task.startedAt ?? Date.now()));
      if (task.status === "paused") entry.remainingMs = Math.max(0, left);
      else this.#armTimeout(entry, left);
    }
    // Renew the leases of running tasks while there are any (a third of the lease, to spare).
    this.#heartbeat ??= setInterval(() => {
      this.#options.store.heartbeat(this.#options.owner, Date.now() + LEASE_MS);
    }, LEASE_MS / 3);
    void run.started.then((pid) => {
      if (pid !== null && this.#running.get(task.id) === entry) {
        this.#started.push([task.id, pid]);
        this.#scheduleFlush(false);
      }
    });
    void run.done.then((outcome) => {
      this.#running.delete(task.id);
      if (inWorker) this.#inWorkers--;
      clearTimeout(entry.timeout);
      if (this.#running.size === 0) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
      }
      if (entry.killedWith && outcome.status !== "succeeded") {
        outcome = { ...outcome, status: "canceled", signal: outcome.signal ?? entry.killedWith };
      } else if (entry.timedOut && outcome.status !== "succeeded") {
        outcome = {
          ...outcome,
          status: "timed_out",
          signal: outcome.signal ?? "SIGTERM",
          error: {
            name: "TimeoutError",
            message: `Timed out after ${formatDuration(task.timeoutMs!)}`,
          },
        };
      }
      if (entry.offsets) {
        const end = _offsets(entry.files);
        const slices = Object.fromEntries(
          STREAM_NAMES.map((stream) => [stream, [entry.offsets![stream], end[stream]]]),
        );
        outcome = { ...outcome, slices };
      }
      this.#record(task.id, outcome);
    });
  }

  /** Queues how a run ended; the queue is stored in one transaction per turn of the loop. */
  #record(id: number, outcome: TaskOutcome): void {
    this.#ends.push({ id, outcome, at: Date.now() });
    this.#scheduleFlush();
  }

  /**
   * Stores the queue on the next turn of the loop; a started pid alone waits up to 20 ms, to go
   * with the next end in the same transaction (it is there for `show`: recovery reads the
   * waiter's own record).
   */
  #scheduleFlush(soon = true): void {
    if (this.#flushQueued) return;
    if (!soon) {
      this.#pidsTimer ??= setTimeout(() => {
        this.#pidsTimer = undefined;
        this.#scheduleFlush();
      }, 20);
      return;
    }
    this.#flushQueued = true;
    setImmediate(() => this.#flush());
  }

  /**
   * Stores the queued starts and ends in one transaction, then claims the next tasks. When the
   * database refuses (a full disk, say), the queue is kept and stored again later — with a
   * growing delay, up to a minute — until it is stored.
   */
  #flush(): void {
    this.#flushQueued = false;
    if (!this.#ends.length && !this.#started.length) return this.#tellStored();
    const ends = this.#ends;
    const started = this.#started;
    this.#ends = [];
    this.#started = [];
    let changed: TaskEnd[];
    try {
      changed = this.#options.store.finishMany(this.#options.owner, ends, started);
      this.#announce(changed);
      this.#flushFailures = 0;
    } catch (error) {
      this.#ends.unshift(...ends);
      this.#started.unshift(...started);
      const delay = Math.min(1000 * 2 ** this.#flushFailures++, 60_000);
      this.#options.log?.(
        `cannot record ${ends.length} task end(s) (${
          (error as Error).message
        }); retrying in ${delay} ms`,
      );
      this.#flushQueued = true;
      setTimeout(() => this.#flush(), delay);
      return;
    }
    this.#pruneScheduleRuns(changed);
    this.#tellStored();
    if (ends.length) this.wake();
  }

  /** Removes the finished runs that schedules with `--keep` no longer keep. */
  #pruneScheduleRuns(changed: readonly TaskEnd[]): void {
    const ended = changed.filter((end) => isTerminal(end.status)).map((end) => end.id);
    if (!ended.length) return;
    try {
      pruneScheduleRuns(this.#options.store, this.#options.logsDir, ended);
    } catch (error) {
      // The next run's end prunes them: no run is lost by waiting.
      this.#options.log?.(`cannot remove old schedule runs: ${(error as Error).message}`);
    }
  }

  #tellStored(): void {
    if (this.#ends.length || this.#started.length) return;
    const waiters = this.#storedWaiters;
    this.#storedWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Stores a command's progress reports (from its fd 3). */
  #progress(id: number) {
    return (fraction: number, message: string | null) =>
      this.#options.store.setProgress(id, fraction, message);
  }

  /** Tells onFinished about the tasks that ended. */
  #announce(tasks: readonly TaskEnd[]): void {
    for (const task of tasks) {
      if (isTerminal(task.status)) this.#options.onFinished?.(task);
    }
  }
}

/** The current end of each of a task's streams (one look when it has no files yet). */
function _offsets(files: TaskFiles): Record<StreamName, number> {
  if (!existsSync(files.dir)) return { stdout: 0, stderr: 0, data: 0 };
  return Object.fromEntries(
    STREAM_NAMES.map((stream) => [stream, streamSize(files[stream])]),
  ) as Record<
    StreamName,
    number
  >;
}
