/**
 * The dispatcher: claims due tasks in (priority desc, run_at, id) order up to the global and
 * per-group parallelism limits, starts them, kills, pauses and resumes them, takes over the runs
 * of a dead supervisor, and drains. Its parts: the {@linkcode ClaimLoop} (when to claim), the
 * {@linkcode RunTimers} (timeouts and the kill grace) and the {@linkcode EndRecorder} (storing
 * how runs ended, in batches).
 *
 * @example
 * ```ts
 * const dispatcher = new Dispatcher({ store, owner, logsDir, parallel: 2, runModule });
 * dispatcher.wake();
 * ```
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
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
import type { TaskStore } from "../store/task_store.ts";
import { coalescedProgress } from "../runner/module_runner.ts";
import { formatDuration } from "../task/duration.ts";
import { pruneScheduleRuns } from "../schedule/prune_schedule_runs.ts";
import { TaskNotFoundError, TaskStateError } from "../task/errors.ts";
import { END_EVENT_KINDS, type TaskEvent } from "../task/events.ts";
import { ClaimLoop } from "./claim_loop.ts";
import { EndRecorder } from "./end_recorder.ts";
import type { OutputShipper } from "./output_shipper.ts";
import { RunTimers } from "./run_timers.ts";
import {
  isTerminal,
  runsInWorker,
  type Task,
  type TaskOutcome,
  type TaskStatus,
} from "../task/types.ts";

/** How long a kill waits for a task claimed by a pass in flight to start: 50 × 20 ms. */
const CLAIM_SETTLE_TRIES = 50;
const CLAIM_SETTLE_STEP_MS = 20;

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
  /** Told the events of every change the dispatcher stored (ends, retries, cancels). */
  onEvents?: (events: readonly TaskEvent[]) => void;
  /** Where to report a problem that does not stop the dispatcher. */
  log?: (line: string) => void;
  /** This supervisor's host name (named when a task cannot start here). @default "this host" */
  host?: string;
  /** Ships the runs' output into a shared store (PostgreSQL), when there is one. */
  shipper?: OutputShipper;
}

interface Entry {
  task: Task;
  files: TaskFiles;
  run: RunningTask;
  /** The signal a user asked for; its effect ends the task as `canceled`. */
  killedWith?: string;
  /** Where each stream ended when this attempt started (its log slice begins there). */
  offsets?: Record<StreamName, number>;
  /** Ended because this supervisor was cut off from the store: recorded `lost`, with this. */
  fencedWith?: string;
}

/** Claims, runs and records tasks. */
export class Dispatcher {
  #options: DispatcherOptions;
  #running = new Map<number, Entry>();
  /** When to claim: on wakes, one pass at a time, and at the next run time. */
  #loop: ClaimLoop;
  /** The running tasks' timeouts, and the grace before SIGKILL. */
  #timers: RunTimers;
  /** Run ends and started pids, stored in batches (then the next tasks are claimed). */
  #recorder: EndRecorder;
  /** Ends waiting for their last output to be shipped before they are queued. */
  #shipping = new Map<number, Promise<void>>();
  /** How many of the running tasks are module tasks in worker hosts. */
  #inWorkers = 0;
  /** Why it claims nothing now (cut off from the store), if it is fenced. */
  #fenced: string | undefined;

  constructor(options: DispatcherOptions) {
    this.#options = { ...options };
    this.#loop = new ClaimLoop({
      store: options.store,
      claim: () => this.#claim(),
      log: options.log,
    });
    this.#timers = new RunTimers({
      store: options.store,
      killGraceMs: options.killGraceMs,
      log: options.log,
    });
    this.#recorder = new EndRecorder({
      store: options.store,
      owner: options.owner,
      log: options.log,
      onStored: (events, ends) => {
        this.#options.onEvents?.(events);
        this.#pruneScheduleRuns(events);
        if (ends.length) this.wake();
      },
    });
  }

  /** How many tasks run now. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Asks for a claim pass soon (coalesced: many wakes, one pass). One pass is in flight at a
   * time (two would both see the same free slots); a wake during one runs one more after it.
   */
  wake(): void {
    this.#loop.wake();
  }

  /**
   * Takes over running tasks of a dead supervisor: command tasks whose waiter lives (or whose
   * status is on disk) are re-adopted; the others are recorded as `lost` (and retried per policy).
   * Resolves once the ends known now — a status on disk, a lost task — are stored (so that a
   * client served afterwards reads them), with how many were re-adopted and how many lost. A
   * stop asked before the crash (stored before its signal) still decides how the run ends.
   */
  async recover(home: string): Promise<{ adopted: number; lost: number }> {
    const { store, owner, logsDir } = this.#options;
    let adopted = 0;
    let lost = 0;
    const ended: Promise<unknown>[] = [];
    for (const task of await store.adoptOrphans(owner, home)) {
      const files = taskFiles(logsDir, task.id);
      const run = runsInWorker(task.spec)
        ? undefined
        : task.kind === "module"
        ? adoptIsolatedModule(task, files)
        : adoptCommand(task, files, { onProgress: this.#progress(task) });
      if (run) {
        adopted++;
        const entry = this.#track({ ...task, owner }, files, run, {
          timedOut: task.stopReason === "timeout",
        });
        if (task.stopReason === "kill") entry.killedWith = task.stopSignal ?? "SIGTERM";
        if (readStatus(files.status)?.attempt === task.attempt) ended.push(run.done);
      } else if (this.#options.shipper) {
        // What it wrote before its end and was not shipped yet goes to the store first.
        this.#options.shipper.track(task, files);
      }
      if (run) continue;
      if (task.stopReason === "kill") {
        // Killed just before the crash: the kill's effect, not a loss.
        this.#recordShipped(task, {
          status: "canceled",
          signal: task.stopSignal,
          error: null,
        });
      } else {
        lost++;
        this.#recordShipped(task, {
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
  async stored(): Promise<void> {
    await Promise.all(this.#shipping.values());
    await this.#recorder.stored();
  }

  /**
   * Sends a signal to a task (SIGKILL follows after a grace); cancels one that has not started.
   * SIGSTOP and SIGCONT pause and resume it instead (seed 002's pause is a kill(SIGSTOP)).
   * Returns `already` when the task was in the asked state (ended, for a kill; paused or
   * running, for a pause or resume) and nothing was sent; throws TaskNotFoundError, or a
   * TaskStateError when the task is in no state to do it (pausing a queued task).
   */
  async kill(id: number, signal: NodeJS.Signals): Promise<{ already?: TaskStatus }> {
    const entry = this.#running.get(id);
    // Ended, its last output being shipped: its end is queued next, then read as usual.
    if (!entry) await this.#shipping.get(id);
    if (signal === "SIGSTOP" || signal === "SIGTSTP" || signal === "SIGCONT") {
      return await this.#pauseOrResume(id, entry, signal !== "SIGCONT");
    }
    if (!entry) return await this.#cancelNotRunning(id, signal);
    entry.killedWith = signal;
    // The intent first: a crash between the two still ends the task canceled, not lost.
    if (!(await this.#timers.stop(id, { reason: "kill", signal }))) {
      // The run ended meanwhile: the retry or restart it queued (or already started) goes too.
      if (this.#running.get(id) !== entry) await this.kill(id, signal);
      return {};
    }
    // A stopped process keeps the signal pending until it continues.
    if (entry.task.status === "paused") entry.run.kill("SIGCONT");
    return {};
  }

  /**
   * Cancels a task that is not running (queued, blocked, or a retry or restart waiting out its
   * delay); `already` when it has ended; throws TaskStateError otherwise.
   */
  async #cancelNotRunning(id: number, signal: NodeJS.Signals): Promise<{ already?: TaskStatus }> {
    // An end not stored yet may queue a retry: store it first, so that the retry is canceled.
    if (this.#recorder.pending(id)) await this.#recorder.flush();
    const events = await this.#options.store.cancel([id]);
    if (events.length) {
      this.#options.onEvents?.(events);
      this.wake(); // its dependants may be free to run now (with --after-any)
      return {};
    }
    const status = await this.#statusOf(id);
    if (isTerminal(status)) return { already: status };
    if (status === "running" || status === "paused") {
      // Claimed by a pass still in flight (a restart queued a moment ago): started here soon.
      for (let i = 0; i < CLAIM_SETTLE_TRIES && !this.#running.has(id); i++) {
        await sleep(CLAIM_SETTLE_STEP_MS);
      }
      if (this.#running.has(id)) return await this.kill(id, signal);
    }
    throw await this.#notRunning("kill", id);
  }

  /** The running tasks, in the order they started. */
  get runningTasks(): Task[] {
    return [...this.#running.values()].map((entry) => entry.task);
  }

  /** A task's state, counting an end not stored yet; throws TaskNotFoundError. */
  async #statusOf(id: number): Promise<TaskStatus> {
    const end = this.#recorder.pending(id);
    if (end) return end.outcome.status;
    const task = await this.#options.store.get(id);
    if (!task) throw new TaskNotFoundError(id);
    return task.status;
  }

  /** The error for a request that needs a running task (an end not stored yet counts as ended). */
  async #notRunning(verb: string, id: number): Promise<Error> {
    const task = await this.#options.store.get(id);
    if (!task) return new TaskNotFoundError(id);
    const status = this.#recorder.pending(id) ? "just ending" : task.status;
    return new TaskStateError(`Cannot ${verb} task ${id}: it is ${status}, not running`);
  }

  async #pauseOrResume(
    id: number,
    entry: Entry | undefined,
    pause: boolean,
  ): Promise<{ already?: TaskStatus }> {
    const verb = pause ? "pause" : "resume";
    if (!entry) {
      throw await this.#notRunning(verb, id);
    }
    if ((entry.task.status === "paused") === pause) return { already: entry.task.status };
    // The signal first (it is what pauses); the row says so right after.
    entry.task = { ...entry.task, status: pause ? "paused" : "running" };
    if (pause && _writesTheStore(entry.task)) {
      // An --isolate'd module task writes its reports into the store itself: stopped inside
      // one of those writes, it would hold the store's lock until resumed (SQLite: every
      // writer, this supervisor too, would wait on it).
      try {
        await this.#options.store.betweenWrites(id, () => {
          if (this.#running.get(id) === entry && entry.task.status === "paused") {
            entry.run.kill("SIGSTOP");
          }
        });
      } catch (error) {
        // Not stopped: it still runs, and says so.
        if (entry.task.status === "paused") entry.task = { ...entry.task, status: "running" };
        throw error;
      }
      // Resumed (or ended) while it waited for a moment between writes: nothing to record.
      if (entry.task.status !== "paused" || this.#running.get(id) !== entry) return {};
    } else entry.run.kill(pause ? "SIGSTOP" : "SIGCONT");
    const fence = { owner: this.#options.owner, attempt: entry.task.attempt };
    void this.#options.store.setPaused(id, pause, fence).catch((error) =>
      this.#options.log?.(`cannot store the ${verb} of task ${id}: ${(error as Error).message}`)
    );
    // A paused task's timeout stops counting, and goes on from where it was.
    if (pause) this.#timers.pause(id);
    else this.#timers.resume(id);
    return {};
  }

  /**
   * Stops claiming; resolves when the tasks in `which` have ended (or at once for none; paused
   * ones are resumed) and every end is stored.
   */
  async drain(which: (task: Task) => boolean): Promise<void> {
    this.#loop.stop();
    const awaited = [...this.#running.values()].filter((entry) => which(entry.task));
    for (const entry of awaited) {
      // A paused task cannot end: it goes on, to end within the drain.
      if (entry.task.status === "paused") await this.#pauseOrResume(entry.task.id, entry, false);
    }
    await Promise.all(awaited.map((entry) => entry.run.done));
    await Promise.all(this.#shipping.values());
    await this.#recorder.flush();
    await this.#recorder.stored();
  }

  /**
   * Self-fencing: claims nothing more and ends every running task (SIGTERM, SIGKILL after
   * `graceMs`), recording each as `lost` with `reason` — the store may let another host run
   * them again once this supervisor's lease runs out. {@linkcode unfence} lifts it.
   */
  fence(reason: string, graceMs: number): void {
    if (this.#fenced !== undefined) return;
    this.#fenced = reason;
    this.#options.log?.(`fenced: ${reason}`);
    for (const entry of this.#running.values()) {
      entry.fencedWith = reason;
      if (entry.task.status === "paused") entry.run.kill("SIGCONT");
      entry.run.kill("SIGTERM");
      const hard = setTimeout(() => {
        if (this.#running.get(entry.task.id) === entry) entry.run.kill("SIGKILL");
      }, graceMs);
      void entry.run.done.then(() => clearTimeout(hard));
    }
  }

  /** The store answers again and the lease holds: claims go on. */
  unfence(): void {
    if (this.#fenced === undefined) return;
    this.#fenced = undefined;
    this.#options.log?.("the store answers again: claiming");
    this.wake();
  }

  /** Most tasks running at once. */
  get parallel(): number {
    return this.#options.parallel;
  }

  /**
   * Changes the global limit now: a higher one claims at once; a lower one lets the running
   * tasks finish (none is stopped) and starts no more until they are below it.
   */
  setParallel(parallel: number): void {
    this.#options.parallel = parallel;
    this.wake();
  }

  /** One claim pass's claim: what fits the free slots, started. */
  async #claim(): Promise<void> {
    if (this.#fenced !== undefined) return;
    const { store, owner, parallel } = this.#options;
    // `parallel` bounds processes (commands, shell lines, isolated modules) and, separately,
    // module tasks in up to `parallel` worker hosts; one transaction claims for both (the
    // groups' room is derived inside it).
    const maxProcesses = parallel - this.#processes;
    const maxWorkers = parallel - this.#inWorkers;
    if (maxProcesses > 0 || maxWorkers > 0) {
      const tasks = await store.claim(owner, {
        maxProcesses: Math.max(0, maxProcesses),
        maxWorkers: Math.max(0, maxWorkers),
      });
      for (const task of tasks) {
        // A retry or restart whose earlier attempts ran on another host: their output first.
        if (task.attempt > 1) {
          await this.#options.shipper?.fetchEarlier(
            task,
            taskFiles(this.#options.logsDir, task.id),
          );
        }
        this.#start(task);
      }
    }
  }

  /** Running processes: commands, shell lines and isolated module tasks. */
  get #processes(): number {
    return this.#running.size - this.#inWorkers;
  }

  #start(task: Task): void {
    // The cwd is the submitter's: on a shared store another host may not have it.
    if (!existsSync(task.cwd)) {
      this.#record(task, {
        status: "failed",
        error: {
          name: "Error",
          message: `Cannot start task: its working directory ${task.cwd} does not exist on host ${
            this.#options.host ?? "this host"
          }`,
        },
      });
      return;
    }
    const files = taskFiles(this.#options.logsDir, task.id);
    const offsets = _offsets(files);
    let run: RunningTask;
    try {
      run = runsInWorker(task.spec)
        ? this.#options.runModule(task, files)
        : task.kind === "module"
        ? startIsolatedModule(task, files, this.#options.homeDir)
        : startCommand(task, files, { onProgress: this.#progress(task) });
    } catch (error) {
      this.#record(task, {
        status: "failed",
        error: { name: "Error", message: `Cannot start task: ${(error as Error).message}` },
      });
      return;
    }
    this.#track(task, files, run, { offsets });
  }

  #track(
    task: Task,
    files: TaskFiles,
    run: RunningTask,
    { offsets, timedOut }: { offsets?: Record<StreamName, number>; timedOut?: boolean } = {},
  ): Entry {
    const entry: Entry = { task, files, run, offsets };
    this.#running.set(task.id, entry);
    this.#options.shipper?.track(task, files, offsets);
    const inWorker = runsInWorker(task.spec);
    if (inWorker) this.#inWorkers++;
    this.#timers.start(task, run, { timedOut });
    void run.started.then((pid) => {
      if (pid !== null && this.#running.get(task.id) === entry) {
        this.#recorder.started({ id: task.id, attempt: task.attempt, pid });
      }
    });
    void run.done.then((outcome) => {
      this.#running.delete(task.id);
      if (inWorker) this.#inWorkers--;
      const { timedOut } = this.#timers.end(task.id);
      if (entry.fencedWith && outcome.status !== "succeeded") {
        outcome = {
          ...outcome,
          status: "lost",
          error: { name: "Error", message: `Lost: ${entry.fencedWith}` },
        };
      } else if (entry.killedWith && outcome.status !== "succeeded") {
        outcome = { ...outcome, status: "canceled", signal: outcome.signal ?? entry.killedWith };
      } else if (timedOut && outcome.status !== "succeeded") {
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
      this.#recordShipped(task, outcome);
    });
    return entry;
  }

  /**
   * Queues how a run ended once its last output is in a shared store (when it has any left to
   * ship), so that a reader on another host who learns of the end finds all of it.
   */
  #recordShipped(task: Pick<Task, "id" | "attempt">, outcome: TaskOutcome): void {
    const shipped = this.#options.shipper?.finish(task.id);
    if (!shipped) return this.#record(task, outcome);
    const recorded = shipped.then(() => this.#record(task, outcome));
    // Its slot is free already: the next task need not wait for the ship (a group's count
    // drops when the end is stored, as ever).
    this.wake();
    this.#shipping.set(task.id, recorded);
    void recorded.finally(() => {
      if (this.#shipping.get(task.id) === recorded) this.#shipping.delete(task.id);
    });
  }

  /** Queues how a run ended; the queue is stored in one transaction per turn of the loop. */
  #record(task: Pick<Task, "id" | "attempt">, outcome: TaskOutcome): void {
    this.#recorder.end({ id: task.id, attempt: task.attempt, outcome });
  }

  /** Removes the finished runs that schedules with `--keep` no longer keep. */
  #pruneScheduleRuns(events: readonly TaskEvent[]): void {
    const ended = events.filter((event) => END_EVENT_KINDS.includes(event.kind))
      .map((event) => event.taskId!);
    if (!ended.length) return;
    // The next run's end prunes them if this fails: no run is lost by waiting.
    pruneScheduleRuns(this.#options.store, this.#options.logsDir, ended).catch((error) =>
      this.#options.log?.(`cannot remove old schedule runs: ${(error as Error).message}`)
    );
  }

  /** Stores a command's progress reports (from its fd 3), one write in flight at a time. */
  #progress(task: Pick<Task, "id" | "attempt">) {
    const { id } = task;
    const report = coalescedProgress(this.#options.store, id, {
      owner: this.#options.owner,
      attempt: task.attempt,
    });
    return (fraction: number, message: string | null) => {
      report(fraction, message)?.catch((error) =>
        this.#options.log?.(`cannot store progress of task ${id}: ${(error as Error).message}`)
      );
    };
  }
}

/** Whether a task's own process writes into the store (an --isolate'd module task). */
function _writesTheStore(task: Task): boolean {
  return task.kind === "module" && !runsInWorker(task.spec);
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
