/**
 * The Client: everything the CLI (and a library user) does with bgt. Submits and reads go
 * straight to the task table (`bgt run` returns once the row is committed); what only a live
 * supervisor can do — wake, signal, wait, report, stop — goes over its socket, starting the
 * supervisor when none runs.
 *
 * @example
 * ```ts
 * const bgt = await connect();
 * const [id] = await bgt.submit([{ spec: { kind: "command", argv: ["date"] } }]);
 * const [task] = await bgt.wait([id]);
 * ```
 */
import {
  DEFAULT_DRAIN_MS,
  type DrainState,
  PROTOCOL_VERSION,
  type Request,
  type Response,
  type SupervisorStatus,
} from "../ipc/protocol.ts";
import { type BgtHome, bgtHome, ensureHome } from "../store/home.ts";
import { homeSettingKey, homeSettings, PARALLEL_KEY } from "../store/home_settings.ts";
import { openStore, storeConfig } from "../store/open_store.ts";
import type { HookDelivery } from "../store/hook_store.ts";
import type { TaskEvent } from "../task/events.ts";
import {
  readStream,
  removeTaskFiles,
  streamInfo,
  type StreamName,
  type StreamWindow,
  type TaskFiles,
  taskFiles,
} from "../store/task_files.ts";
import { openTaskStdin } from "../store/task_stdin.ts";
import type {
  GroupSetting,
  HostInfo,
  ListFilter,
  ScheduleRemoval,
  TaskStore,
} from "../store/task_store.ts";
import type { ScheduleRequest } from "../schedule/new_schedule.ts";
import { TaskNotFoundError, TaskStateError } from "../task/errors.ts";
import type { Schedule } from "../task/schedule.ts";
import {
  type Attempt,
  isTerminal,
  type NewTask,
  type SubmitResult,
  type Task,
  type TaskStatus,
} from "../task/types.ts";
import { autostartOff, noSupervisorError } from "./autostart.ts";
import { checkSupervisorHome } from "./check_supervisor_home.ts";
import {
  controlElsewhere,
  forgetElsewhere,
  homesElsewhere,
  ranElsewhere,
  runsElsewhere,
} from "./control_elsewhere.ts";
import { carryModules } from "./carry_modules.ts";
import { OutputMirrors, removeMirrors } from "./output_mirror.ts";
import { prepareTasks } from "./prepare_task.ts";
import { liveSupervisor, superviseBeforeRead, wakeSupervisor } from "./wake_supervisor.ts";
import { whyWaiting } from "./why_waiting.ts";
import { isBgtError } from "../task/error_codes.ts";

/** Options for {@linkcode connect}. */
export interface ConnectOptions {
  /** Environment to read BGT_HOME / XDG_STATE_HOME from. @default process.env */
  env?: Record<string, string | undefined>;
}

/** Options for {@linkcode Client.events}. */
export interface EventsOptions {
  /** Yield the events after this id (0: every event kept). @default only events from now on */
  since?: number;
  /** Only this task's events. @default every task's */
  taskId?: number;
  /** Wait for new events (false: end after the ones there are). @default true */
  follow?: boolean;
  /** Ends the iteration. */
  signal?: AbortSignal;
}

/** Options for {@linkcode Client.logs}. */
export interface LogsOptions {
  /** Which stream. @default "stdout" */
  stream?: StreamName;
  /** The byte offset to start at. @default 0 */
  from?: number;
  /** Keep reading until the task ends. @default false */
  follow?: boolean;
  /** Ends the iteration. */
  signal?: AbortSignal;
}

/** Options for {@linkcode Client.send}. */
export interface SendOptions {
  /** End the task's input after this write. @default false */
  eof?: boolean;
  /** Wait for a task that has not started yet. @default false */
  untilStarted?: boolean;
  signal?: AbortSignal;
}

/** Options of what waits (wait, start). */
export interface WaitOptions {
  /** Gives up waiting (the tasks are not touched). */
  signal?: AbortSignal;
}

/** Options for {@linkcode Client.start}. */
export interface StartOptions {
  /** Gives up waiting for the supervisor to answer. */
  signal?: AbortSignal;
  /** Start one even with BGT_NO_AUTOSTART=1 or `autostart = false`. @default false */
  force?: boolean;
}

/** Options for {@linkcode Client.killEach}. */
export interface KillEachOptions {
  /** The signal's name. @default "SIGTERM" */
  signal?: string;
}

/** Which finished tasks {@linkcode Client.clean} removes. */
export interface CleanFilter {
  /** Only those that ended before this time (epoch ms). @default now */
  before?: number;
  /** Only those in these states. @default every finished state */
  status?: TaskStatus[];
  /** Only those of this group. @default every group */
  group?: string;
}

/** Options for {@linkcode Client.remove}. */
export interface RemoveOptions {
  /** Kill a running task first (and wait for it to end). @default false */
  force?: boolean;
}

/** What {@linkcode Client.setGroup} changes. */
export interface GroupChange {
  /** Most tasks of the group running at once (null: no limit of its own). */
  parallel?: number | null;
  /** Hold (true) or release (false) the group's waiting tasks. */
  paused?: boolean;
}

/** Options for {@linkcode Client.stop}. */
export interface StopOptions {
  /** Longest wait for running module tasks (ms; 0: end them now). @default 30000 */
  drainMs?: number;
  /** How long past its drain the supervisor may take to go (ms). @default 30000 */
  timeoutMs?: number;
  /** Told what the stop still waits for, each time that changes. */
  onProgress?: (draining: DrainState) => void;
}

/** How often a follow looks for the next supervisor after its own went (ms). */
const EVENTS_RECONNECT_MS = 250;
/** How long one `events` long poll may wait for an event (ms). */
const EVENTS_POLL_MS = 25_000;
/** Most bytes of output `logs` yields at once. */
const LOG_CHUNK_BYTES = 64 * 1024;

/** Options for {@linkcode Client.submit}. */
export interface SubmitOptions {
  /** Start (or wake) the supervisor after committing. @default true */
  wake?: boolean;
}

/** A connection to one bgt home. */
export class Client {
  readonly home: BgtHome;
  #store: TaskStore;
  /** Copies of the output of tasks that ran elsewhere (a shared store), by id. */
  #mirrors: OutputMirrors | undefined;

  private constructor(home: BgtHome, store: TaskStore) {
    this.home = home;
    this.#store = store;
  }

  /** Opens the home (creating it on first use) and its store (BGT_STORE, else its bgt.db). */
  static async open(options: ConnectOptions = {}): Promise<Client> {
    const env = options.env ?? process.env;
    const home = bgtHome(env);
    ensureHome(home);
    return new Client(home, await openStore(storeConfig(env, home), { role: "client" }));
  }

  /**
   * The supervisors sharing this store (one per host and home), with heartbeat age and slots.
   *
   * @example
   * ```ts
   * import { connect } from "bgt";
   * const client = await connect();
   * await client.start();
   * for (const host of await client.hosts()) console.log(host.name, host.slotsUsed);
   * await client.close();
   * ```
   */
  async hosts(): Promise<HostInfo[]> {
    return await this.#store.hosts();
  }

  /** Which store this client uses: `sqlite:/…/bgt.db` or `postgres://user@host/db?schema=…`. */
  get storeDescription(): string {
    return this.#store.description;
  }

  /**
   * Commits the tasks (all or none), then wakes the supervisor; returns their ids. Each task
   * runs in the caller's environment with its `env` merged over it, and in its `cwd` (default:
   * the caller's directory), as `bgt run` captures them. What cannot run is refused here, with
   * nothing stored: an InvalidTaskError (`code` `"INVALID_TASK"`) for a missing module file or
   * export, a command not found, a missing directory or a value that cannot be stored.
   *
   * @example
   * ```ts
   * import { connect } from "bgt";
   *
   * const bgt = await connect();
   * const [id] = await bgt.submit([{ spec: { kind: "shell", line: "echo $HOME $X" }, env: { X: "1" } }]);
   * await bgt.wait([id]);
   * await bgt.close();
   * ```
   * @throws {InvalidTaskError} (`INVALID_TASK`) for a task that cannot run; nothing is stored
   * @throws {SubmitRefusedError} (`SUBMIT_REFUSED`) for a dependency on no task
   */
  async submit(tasks: readonly NewTask[], options: SubmitOptions = {}): Promise<number[]> {
    return (await this.submitAll(tasks, options)).map((result) => result.id);
  }

  /**
   * As submit, saying for each task what its key did: a skipped task reports the id of the task
   * holding the key; `--on-key replace` of a running holder kills it (the new task runs after).
   * @throws {InvalidTaskError,} SubmitRefusedError as {@linkcode Client.submit}
   */
  async submitAll(
    tasks: readonly NewTask[],
    options: SubmitOptions = {},
  ): Promise<SubmitResult[]> {
    const prepared = prepareTasks(tasks);
    // On a shared store a module task carries its code to hosts where its file is not.
    const results = await this.#store.submit(
      this.#store.kind === "postgres" ? await carryModules(prepared) : prepared,
    );
    if (options.wake ?? true) await wakeSupervisor(this.home, this.#store);
    for (const { key } of results) {
      if (key?.action === "replaced" && key.holderRunning) {
        try {
          await this.kill(key.holder);
        } catch (error) {
          // It ended on its own meanwhile: the new task runs after it all the same.
          if (!isBgtError(error, "TASK_STATE")) throw error;
        }
      }
    }
    return results;
  }

  /**
   * The task with this id; throws TaskNotFoundError.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`) for an id of no task
   */
  async get(id: number): Promise<Task> {
    const task = await this.#store.get(id);
    if (!task) throw new TaskNotFoundError(id);
    return task;
  }

  /** Tasks matching the filter, newest first. */
  async list(filter: ListFilter = {}): Promise<Task[]> {
    return await this.#store.list(filter);
  }

  /**
   * How many tasks match the filter's conditions (its sort, limit and offset aside); with
   * `upTo`, at most that many (cheap on a large store: the count stops there).
   *
   * @example
   * ```ts
   * import { connect } from "bgt";
   * const bgt = await connect();
   * console.log(await bgt.count({ status: ["failed"] })); // 3
   * console.log(await bgt.count({}, 1) > 0); // true: some task is kept
   * await bgt.close();
   * ```
   */
  async count(filter: ListFilter = {}, upTo?: number): Promise<number> {
    return await this.#store.count(filter, upTo);
  }

  /** Why a task that has not started is still waiting, in words; undefined if it is not. */
  async whyWaiting(task: Task): Promise<string | undefined> {
    return await whyWaiting(this.#store, this.home, task);
  }

  /**
   * Creates a recurring schedule (validated first, its template prepared as
   * {@linkcode Client.submit} prepares a task; nothing invalid is stored).
   * @throws {ScheduleError} (`SCHEDULE_INVALID`) for a bad duration, date, zone or pattern
   * @throws {InvalidTaskError} for a template that cannot run
   */
  async schedule(request: ScheduleRequest): Promise<Schedule> {
    // Loaded on demand (croner): most commands never touch a schedule.
    const { newSchedule } = await import("../schedule/new_schedule.ts");
    const [template] = prepareTasks([request.template]);
    const now = await this.#store.now();
    const id = await this.#store.schedules.create(newSchedule({ ...request, template }, now));
    await wakeSupervisor(this.home, this.#store);
    return await this.getSchedule(id);
  }

  /**
   * The schedule with this id; throws ScheduleNotFoundError.
   * @throws {ScheduleNotFoundError} (`SCHEDULE_NOT_FOUND`)
   */
  async getSchedule(id: number): Promise<Schedule> {
    const schedule = await this.#store.schedules.get(id);
    if (!schedule) throw new ScheduleNotFoundError(id);
    return schedule;
  }

  /** All schedules, oldest first. */
  async schedules(): Promise<Schedule[]> {
    return await this.#store.schedules.list();
  }

  /**
   * Stops a schedule from firing until resumed.
   * @throws {ScheduleNotFoundError} (`SCHEDULE_NOT_FOUND`)
   */
  async pauseSchedule(id: number): Promise<Schedule> {
    await this.getSchedule(id);
    await this.#store.schedules.setPaused(id, true);
    return await this.getSchedule(id);
  }

  /**
   * Resumes a paused schedule from now on (the firings missed while paused are skipped).
   * @throws {ScheduleNotFoundError} (`SCHEDULE_NOT_FOUND`)
   */
  async resumeSchedule(id: number): Promise<Schedule> {
    const schedule = await this.getSchedule(id);
    const { resumePoint } = await import("../schedule/resume_point.ts");
    const now = await this.#store.now();
    await this.#store.schedules.setPaused(id, false, resumePoint(schedule, now));
    await wakeSupervisor(this.home, this.#store);
    return await this.getSchedule(id);
  }

  /**
   * Deletes a schedule and cancels its runs that have not started; its other tasks stay, and a
   * running one runs on. Says which runs it canceled and which still run.
   * @throws {ScheduleNotFoundError} (`SCHEDULE_NOT_FOUND`)
   */
  async removeSchedule(id: number): Promise<ScheduleRemoval> {
    const removal = await this.#store.schedules.remove(id);
    if (!removal) throw new ScheduleNotFoundError(id);
    if (removal.canceled.length) {
      // Tell a `bgt wait` on a canceled run (if any) that it ended.
      try {
        await this.#request({ v: PROTOCOL_VERSION, type: "notify" });
      } catch (error) {
        if (!isBgtError(error, "SUPERVISOR_UNAVAILABLE")) throw error;
      }
    }
    return removal;
  }

  /** The groups with settings. */
  async groups(): Promise<GroupSetting[]> {
    return await this.#store.groups();
  }

  /** How many tasks of each group run now. */
  async runningByGroup(): Promise<Record<string, number>> {
    return await this.#store.runningByGroup();
  }

  /** Sets a group's parallelism or pauses/resumes it, then wakes the supervisor. */
  async setGroup(
    name: string,
    change: GroupChange,
  ): Promise<GroupSetting> {
    const group = await this.#store.setGroup(name, change);
    await wakeSupervisor(this.home, this.#store);
    return group;
  }

  /**
   * The paths of a task's streams (throws TaskNotFoundError for an unknown id). For a task that
   * ran under a supervisor of another home on a shared store, a local copy of the output it
   * shipped there, brought up to date now.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async files(id: number): Promise<TaskFiles> {
    const task = await this.get(id);
    if (!ranElsewhere(this.#store, this.home, task)) return taskFiles(this.home.logs, id);
    this.#mirrors ??= new OutputMirrors(this.#store.output!);
    const mirror = this.#mirrors.take(id);
    await mirror.sync();
    return mirror.files;
  }

  /** Whether the store is shared by several homes (PostgreSQL): tasks may run elsewhere. */
  get sharesStore(): boolean {
    return this.#store.output !== undefined;
  }

  /**
   * Where a task's streams are read here as files() last said: the copy of a task that ran
   * elsewhere once files() made one, else this home's own files (no store read).
   */
  filesSeen(id: number): TaskFiles {
    return this.#mirrors?.get(id)?.files ?? taskFiles(this.home.logs, id);
  }

  /**
   * Brings the local copy of a task's output up to date when it ran elsewhere (see files());
   * false when its files are this home's own (nothing to do).
   */
  async refreshOutput(id: number): Promise<boolean> {
    const mirror = this.#mirrors?.get(id);
    if (!mirror) return false;
    await mirror.sync();
    return true;
  }

  /**
   * Path of one of a task's streams.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async streamPath(id: number, stream: StreamName): Promise<string> {
    return (await this.files(id))[stream];
  }

  /**
   * Each stream's kept window, `{start, limit}` in absolute bytes (the seed's stream->start/limit).
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async streams(id: number): Promise<Record<StreamName, StreamWindow>> {
    const files = await this.files(id);
    return {
      stdout: streamInfo(files, "stdout"),
      stderr: streamInfo(files, "stderr"),
      data: streamInfo(files, "data"),
    };
  }

  /**
   * Writes to a running `--stdin` task's standard input (straight to its FIFO: no supervisor
   * needed). `input` is bytes or a stream of them (copied until it ends); `eof` then ends the
   * task's input. `untilStarted` first waits for a task that has not started yet. Throws a
   * TaskStateError (one line) for a task without --stdin, one that does not run, or whose input
   * was closed.
   * @throws {TaskStateError} (`TASK_STATE`) for a task without --stdin, not running, or whose input was closed
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async send(
    id: number,
    input: Uint8Array | AsyncIterable<Uint8Array>,
    options: SendOptions = {},
  ): Promise<void> {
    let task = await this.get(id);
    if (!task.stdin) {
      throw new TaskStateError(`Cannot send to task ${id}: it was not started with --stdin`);
    }
    for (let delay = 5; options.untilStarted && !isTerminal(task.status); delay *= 2) {
      if (task.status === "running" || task.status === "paused") break;
      options.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, 200)));
      task = await this.get(id);
    }
    if (task.status !== "running" && task.status !== "paused") {
      throw new TaskStateError(`Cannot send to task ${id}: it is ${task.status}, not running`);
    }
    if (runsElsewhere(this.#store, this.home, task)) {
      await _sendElsewhere(this.#store, task, input, options);
      return;
    }
    const stdin = await openTaskStdin(taskFiles(this.home.logs, id), {
      id,
      signal: options.signal,
    });
    try {
      if (input instanceof Uint8Array) await stdin.write(input, options);
      else for await (const chunk of input) await stdin.write(chunk, options);
    } finally {
      stdin.close({ eof: options.eof });
    }
  }

  /**
   * Resolves with the tasks once every one has reached a terminal state.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   * @throws {SupervisorUnavailableError} (`SUPERVISOR_UNAVAILABLE`) when no supervisor can be started
   */
  async wait(ids: readonly number[], options: WaitOptions = {}): Promise<Task[]> {
    for (const id of ids) await this.get(id);
    await this.start(options);
    await this.#request({ v: PROTOCOL_VERSION, type: "wait", ids: [...ids] }, options);
    return await Promise.all(ids.map((id) => this.get(id)));
  }

  /**
   * Signals a running task's process group, or cancels a task that has not started. A task that
   * has already ended is left alone: the answer says `already` (its state). Throws
   * TaskNotFoundError for an unknown id.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   * @throws {SupervisorUnavailableError} (`SUPERVISOR_UNAVAILABLE`)
   */
  async kill(id: number, signal = "SIGTERM"): Promise<{ already?: TaskStatus }> {
    await this.get(id);
    const off = await this.#startUnlessOff();
    if (off) return await this.#cancelInStore(id, signal, off);
    return await this.#control(id, signal);
  }

  /**
   * Throws SupervisorUnavailableError (and does nothing) when no supervisor runs and none may
   * start (BGT_NO_AUTOSTART=1, `autostart = false`): for a command that needs one, before it acts.
   */
  async requireSupervisor(): Promise<void> {
    const off = await this.#startUnlessOff();
    if (off) throw noSupervisorError(this.home, off);
  }

  /**
   * Starts the supervisor if none runs; when none runs and none may start, returns why (and
   * starts nothing) instead of throwing.
   */
  async #startUnlessOff(): Promise<string | undefined> {
    const off = autostartOff(process.env);
    if (off && !(await this.status())) return off;
    await this.start();
    return undefined;
  }

  /**
   * A kill with no supervisor to ask (and none may start): a task that has not started is
   * canceled in the store, as `bgt rm` removes it; a running one cannot be signalled.
   */
  async #cancelInStore(id: number, signal: string, off: string): Promise<{ already?: TaskStatus }> {
    if (!["SIGSTOP", "SIGTSTP", "SIGCONT"].includes(signal)) {
      if ((await this.#store.cancel([id])).length) return {};
      const task = await this.get(id);
      if (isTerminal(task.status)) return { already: task.status };
    }
    throw noSupervisorError(this.home, off);
  }

  /**
   * kill() of every task it can: one result per id, in order (an unknown id or a refusal is
   * that id's `error`; the others are still signalled).
   */
  async killEach(
    ids: readonly number[],
    options: KillEachOptions = {},
  ): Promise<ControlResult[]> {
    return await this.#controlEach(ids, options.signal ?? "SIGTERM");
  }

  /**
   * Stops a running command task's whole process group (SIGSTOP); it shows as `paused`.
   * @throws {TaskNotFoundError,} SupervisorUnavailableError as {@linkcode Client.kill}
   */
  async pause(id: number): Promise<{ already?: TaskStatus }> {
    return await this.kill(id, "SIGSTOP");
  }

  /** pause() of every task it can (see killEach); `already: "paused"` for a paused one. */
  async pauseEach(ids: readonly number[]): Promise<ControlResult[]> {
    return await this.#controlEach(ids, "SIGSTOP");
  }

  /**
   * Continues a paused task (SIGCONT).
   * @throws {TaskNotFoundError,} SupervisorUnavailableError as {@linkcode Client.kill}
   */
  async resume(id: number): Promise<{ already?: TaskStatus }> {
    return await this.kill(id, "SIGCONT");
  }

  /** resume() of every task it can (see killEach); `already: "running"` for a running one. */
  async resumeEach(ids: readonly number[]): Promise<ControlResult[]> {
    return await this.#controlEach(ids, "SIGCONT");
  }

  /** One kill request; a task the supervisor says has already ended or is in the asked state. */
  async #control(id: number, signal: string): Promise<{ already?: TaskStatus }> {
    const verb = signal === "SIGSTOP" ? "pause" : signal === "SIGCONT" ? "resume" : "kill";
    for (let tries = 1;; tries++) {
      const task = await this.get(id);
      if (!runsElsewhere(this.#store, this.home, task)) break;
      try {
        return await controlElsewhere(this.#store, task, { kind: "signal", signal }, verb);
      } catch (error) {
        // The owner no longer ran it: it ended, or another supervisor took it meanwhile (then
        // ask that one, once).
        if (tries > 1 || (error as { code?: string }).code !== "TASK_STATE") throw error;
        if ((await this.get(id)).owner === task.owner) throw error;
      }
    }
    const response = await this.#request({ v: PROTOCOL_VERSION, type: "kill", id, signal });
    return response.type === "killed" && response.already ? { already: response.already } : {};
  }

  async #controlEach(ids: readonly number[], signal: string): Promise<ControlResult[]> {
    if (!ids.length) return [];
    const off = await this.#startUnlessOff();
    const results: ControlResult[] = [];
    // A few requests at a time: each is one connection to the supervisor.
    for (let i = 0; i < ids.length; i += 16) {
      results.push(
        ...await Promise.all(
          ids.slice(i, i + 16).map((id) =>
            (off ? this.#cancelInStore(id, signal, off) : this.#control(id, signal)).then(
              (outcome): ControlResult => ({ id, ok: true, ...outcome }),
              (error): ControlResult => ({ id, ok: false, error: _asError(error) }),
            )
          ),
        ),
      );
    }
    return results;
  }

  /**
   * Runs a task again as a new attempt (its earlier attempts stay in its history): a finished
   * one at once; a running (or paused) one is killed first (SIGTERM, then SIGKILL after the
   * grace) and queued again once it has ended. Throws TaskStateError for a task that waits.
   * @throws {TaskStateError} (`TASK_STATE`) for a task that waits
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async restart(id: number): Promise<Task> {
    const [result] = await this.restartEach([id]);
    if (!result.ok) throw result.error;
    return await this.get(id);
  }

  /** restart() of every task it can: one result per id, in order; one wake-up for all. */
  async restartEach(ids: readonly number[]): Promise<ControlResult[]> {
    const results: ControlResult[] = [];
    for (const id of ids) {
      try {
        let task = await this.get(id);
        if (task.status === "running" || task.status === "paused") {
          if (task.status === "paused") await this.kill(id, "SIGCONT");
          await this.kill(id, "SIGTERM");
          [task] = await this.wait([id]);
        }
        if (!await this.#store.restart(id)) {
          if (!isTerminal(task.status)) {
            throw new TaskStateError(
              `Cannot restart task ${id}: it is ${task.status}, not finished`,
            );
          }
          // Finished when read, not when restarted: another restart came first.
          const now = await this.get(id);
          throw new TaskStateError(
            isTerminal(now.status)
              ? `Cannot restart task ${id}: it was restarted meanwhile (and is ${now.status} now)`
              : `Cannot restart task ${id}: it is already ${now.status} again (restarted meanwhile)`,
          );
        }
        results.push({ id, ok: true });
      } catch (error) {
        results.push({ id, ok: false, error: _asError(error) });
      }
    }
    if (results.some((result) => result.ok)) await wakeSupervisor(this.home, this.#store);
    return results;
  }

  /**
   * Merges metadata into a task (a null value deletes its key); returns the task.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async mergeMeta(id: number, patch: Record<string, unknown>): Promise<Task> {
    const task = await this.#store.mergeMeta(id, patch);
    if (!task) throw new TaskNotFoundError(id);
    return task;
  }

  /**
   * A task's attempts, oldest first.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async attempts(id: number): Promise<Attempt[]> {
    await this.get(id);
    return await this.#store.attempts(id);
  }

  /**
   * Removes finished tasks (and their logs) that ended before `before`, optionally only in
   * these states or this group; returns the ids removed.
   */
  async clean(
    filter: CleanFilter = {},
  ): Promise<number[]> {
    const ids = await this.#store.finishedIds(filter);
    const removed: number[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const elsewhere = await homesElsewhere(this.#store, this.home, batch);
      const done = (await this.#store.remove(batch)).removed;
      for (const id of done) {
        removeTaskFiles(taskFiles(this.home.logs, id));
        this.#mirrors?.drop(id);
        removed.push(id);
      }
      await this.#forgetElsewhere(elsewhere, done);
    }
    return removed;
  }

  /**
   * Removes finished or waiting tasks and their logs. A running task is refused unless `force`,
   * which kills it first and waits for it to end. Acts on every id it can, then throws the
   * first refusal (removeEach says of each id).
   * @throws {TaskStateError} (`TASK_STATE`) for a running task without `force`
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async remove(ids: readonly number[], options: RemoveOptions = {}): Promise<void> {
    const failed = (await this.removeEach(ids, options)).find((result) => !result.ok);
    if (failed && !failed.ok) throw failed.error;
  }

  /**
   * remove() of every task it can, one result per id, in order. Whether a task runs is looked
   * at in the transaction that deletes it, so a task that starts meanwhile is refused (or, with
   * `force`, killed and then removed), never left in place unsaid.
   */
  async removeEach(
    ids: readonly number[],
    options: RemoveOptions = {},
  ): Promise<ControlResult[]> {
    const results = new Map<number, ControlResult>();
    let pending = [...new Set(ids)];
    // Tasks that ran under another home (a shared store): its supervisor deletes their files.
    const elsewhere = await homesElsewhere(this.#store, this.home, pending);
    for (let round = 0; pending.length && round < 3; round++) {
      const { removed, running, missing } = await this.#store.remove(pending);
      for (const id of removed) {
        removeTaskFiles(taskFiles(this.home.logs, id));
        this.#mirrors?.drop(id);
        results.set(id, { id, ok: true });
      }
      await this.#forgetElsewhere(elsewhere, removed);
      for (const id of missing) {
        // Gone after our kill: someone else removed it, which is what was asked.
        results.set(
          id,
          round ? { id, ok: true } : { id, ok: false, error: new TaskNotFoundError(id) },
        );
      }
      pending = running.map((task) => task.id);
      if (!options.force) {
        for (const { id, status } of running) {
          const message = `Cannot remove task ${id}: it is ${status}; kill it first or use --force`;
          results.set(id, { id, ok: false, error: new TaskStateError(message) });
        }
        pending = [];
      }
      if (pending.length) {
        await this.killEach(pending, { signal: "SIGKILL" });
        await this.wait(pending).catch(() => {/* removed meanwhile: the next round says */});
      }
    }
    for (const id of pending) {
      const error = new TaskStateError(`Cannot remove task ${id}: it still runs after a kill`);
      results.set(id, { id, ok: false, error });
    }
    if (results.size && [...results.values()].some((result) => result.ok)) {
      // Removing a dependency fails its blocked dependants: tell a waiting `bgt wait` (if any).
      try {
        await this.#request({ v: PROTOCOL_VERSION, type: "notify" });
      } catch (error) {
        if (!isBgtError(error, "SUPERVISOR_UNAVAILABLE")) throw error;
      }
    }
    return ids.map((id) => results.get(id)!);
  }

  /**
   * The outbox's events (every state change of every task, ids increasing), as an async
   * iterator that follows new ones until the signal aborts. `since`: yield the events after this
   * id (0: all kept; resume with the last id seen); absent, only those written from now on.
   * `taskId`: one task's only. Asks the supervisor (starting it), whatever the store; when it
   * stops (`bgt daemon restart`), the iteration waits for the next one and reads on.
   *
   * @example
   * ```ts
   * import { connect } from "bgt";
   *
   * const bgt = await connect();
   * await bgt.submit([{ spec: { kind: "command", argv: ["false"] } }]);
   * const stop = new AbortController();
   * for await (const event of bgt.events({ since: 0, signal: stop.signal })) {
   *   console.log(event.id, event.kind, event.taskId); // 1 submitted 1, 2 started 1, 3 failed 1
   *   if (event.kind === "failed") stop.abort();
   * }
   * await bgt.close();
   * ```
   * @throws {SupervisorUnavailableError} when no supervisor can be started.
   */
  async *events(options: EventsOptions = {}): AsyncGenerator<TaskEvent, void, undefined> {
    const { signal } = options;
    if (options.taskId !== undefined) await this.get(options.taskId);
    await this.start({ signal });
    let after = options.since ?? await this.#store.lastEventId();
    let restarts = 0;
    while (!signal?.aborted) {
      let events: TaskEvent[];
      try {
        const response = await this.#request({
          v: PROTOCOL_VERSION,
          type: "events",
          after,
          taskId: options.taskId,
          waitMs: options.follow === false ? 0 : EVENTS_POLL_MS,
        }, { signal });
        events = response.type === "events" ? response.events : [];
      } catch (error) {
        if (signal?.aborted) return;
        // The supervisor went (a restart: the connection closed under the poll, or nothing
        // answers): wait for the next one — never start one, or a `daemon stop` would not
        // stop it — and read on from here. A few times in a row at most: a supervisor that keeps
        // refusing (another version) is reported.
        const gone = isBgtError(error, "SUPERVISOR_UNAVAILABLE") || isBgtError(error, "PROTOCOL");
        if (!gone || restarts++ >= 3) throw error;
        while (!signal?.aborted && !await this.status().catch(() => undefined)) {
          await new Promise((resolve) => setTimeout(resolve, EVENTS_RECONNECT_MS));
        }
        continue;
      }
      restarts = 0;
      for (const event of events) {
        if (signal?.aborted) return;
        yield event;
        after = event.id;
      }
      if (options.follow === false && events.length === 0) return;
    }
  }

  /**
   * A task's output, as an async iterator of byte chunks: one stream (`stdout` unless told) from
   * byte `from` (clamped to what `--retain` kept); with `follow`, until the task ends (or the
   * signal aborts), else what is there now.
   *
   * @example
   * ```ts
   * import { connect } from "bgt";
   *
   * const bgt = await connect();
   * const [id] = await bgt.submit([{ spec: { kind: "shell", line: "echo hi" } }]);
   * let text = "";
   * for await (const chunk of bgt.logs(id, { follow: true })) text += new TextDecoder().decode(chunk);
   * console.assert(text === "hi\n");
   * await bgt.close();
   * ```
   * @throws {TaskNotFoundError} for an id of no task.
   */
  async *logs(id: number, options: LogsOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const stream = options.stream ?? "stdout";
    // This home's files, or (a task that ran elsewhere on a shared store) a copy brought up to date.
    const files = await this.files(id);
    if (!options.follow) {
      for (let from = options.from ?? 0;;) {
        const chunk = readStream(files, stream, { from, to: from + LOG_CHUNK_BYTES });
        if (!chunk.bytes.length) return;
        yield chunk.bytes;
        from = chunk.from + chunk.bytes.length;
        if (options.signal?.aborted) return;
      }
    }
    // Bridge followStreams' callbacks to the iterator: each chunk waits until it is taken.
    const { followStreams } = await import("./follow_streams.ts");
    const chunks: Uint8Array[] = [];
    let wake = () => {};
    let ended = false;
    let failure: unknown;
    const following = followStreams(this, id, [stream], (_stream, bytes) => {
      chunks.push(bytes.slice());
      wake();
    }, { from: { [stream]: options.from ?? 0 }, signal: options.signal }).then(
      () => void (ended = true),
      (error) => void ((failure = error), (ended = true)),
    ).finally(() => wake());
    while (true) {
      if (chunks.length) {
        yield chunks.shift()!;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await following;
    if (failure && !options.signal?.aborted) throw failure;
  }

  /**
   * The hook deliveries of a task (each try's outcome), oldest first.
   * @throws {TaskNotFoundError} (`TASK_NOT_FOUND`)
   */
  async hookDeliveries(id: number): Promise<HookDelivery[]> {
    await this.get(id);
    return await this.#store.hooks.ofTask(id);
  }

  /**
   * Sets the global limit of tasks running at once, now and across restarts (it is kept in the
   * store, over the config file's `parallel`): the running supervisor applies it at once; when
   * none runs, the next one starts with it. Returns whether a running supervisor applied it.
   *
   * @example
   * ```ts
   * import { connect } from "bgt";
   * const bgt = await connect();
   * console.log(await bgt.setParallel(5)); // { applied: false, notApplied: "none runs" }
   * console.log(await bgt.storedSettings()); // { parallel: "5" }
   * await bgt.close();
   * ```
   */
  async setParallel(
    parallel: number,
  ): Promise<{ applied: boolean; notApplied?: "none runs" | "older supervisor" }> {
    if (!Number.isSafeInteger(parallel) || parallel < 1) {
      throw new RangeError(`Cannot set parallel ${parallel}: it must be an integer of at least 1`);
    }
    let notApplied: "none runs" | "older supervisor" = "none runs";
    if (await liveSupervisor(this.home, this.#store)) {
      try {
        await this.#request({ v: PROTOCOL_VERSION, type: "parallel", parallel });
        return { applied: true };
      } catch (error) {
        const code = (error as { code?: string }).code;
        // A supervisor of an older bgt knows no `parallel` request: stored, for its successor.
        if (code === "PROTOCOL") notApplied = "older supervisor";
        else if (code !== "SUPERVISOR_UNAVAILABLE") throw error;
      }
    }
    await this.#store.setSetting(
      homeSettingKey(this.#store, this.home.dir, PARALLEL_KEY),
      String(parallel),
    );
    return { applied: false, notApplied };
  }

  /**
   * Forgets the global limit kept in the store (`bgt parallel --reset`): the next supervisor
   * takes BGT_PARALLEL, the config file's `parallel` or the cores; a running one keeps its limit.
   *
   * @example
   * ```ts
   * import { connect } from "bgt";
   * const bgt = await connect();
   * await bgt.setParallel(5);
   * await bgt.resetParallel();
   * console.log(await bgt.storedSettings()); // {}
   * await bgt.close();
   * ```
   */
  async resetParallel(): Promise<void> {
    await this.#store.setSetting(homeSettingKey(this.#store, this.home.dir, PARALLEL_KEY), null);
  }

  /** This home's settings kept in the store (`bgt parallel N` → `{ parallel: "5" }`). */
  async storedSettings(): Promise<Record<string, string>> {
    return homeSettings(this.#store, this.home.dir, await this.#store.settings());
  }

  /** Tells other homes' supervisors to delete removed tasks' files (best effort: logged nowhere). */
  async #forgetElsewhere(homes: Map<number, string>, removed: readonly number[]): Promise<void> {
    if (!homes.size) return;
    await forgetElsewhere(this.#store, homes, removed).catch(() => {});
  }

  /** The running supervisor's status, or undefined when none runs (none is started). */
  async status(): Promise<SupervisorStatus | undefined> {
    try {
      const response = await this.#request({ v: PROTOCOL_VERSION, type: "status" });
      return response.type === "status" ? response.status : undefined;
    } catch (error) {
      const { code, name } = error as { code?: string; name?: string };
      if (code === "SUPERVISOR_UNAVAILABLE" && name !== "SupervisorUnresponsiveError") {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Before a read: starts the supervisor if none runs, and waits until it has recorded how the
   * tasks that ended while none ran ended (a task is not shown `running` after its process
   * ended). Throws SupervisorUnavailableError when none can be started.
   * @throws {SupervisorUnavailableError} (`SUPERVISOR_UNAVAILABLE`)
   */
  async superviseBeforeRead(): Promise<void> {
    await superviseBeforeRead(this.home, this.#store);
  }

  /**
   * Starts the supervisor if none runs (with BGT_NO_AUTOSTART=1 or `autostart = false` only when
   * `force`: else it throws SupervisorUnavailableError saying none runs).
   * @throws {SupervisorUnavailableError} (`SUPERVISOR_UNAVAILABLE`) when none runs nor can be started
   */
  async start(options: StartOptions = {}): Promise<void> {
    // Loaded on demand, as is the socket client: `bgt run` and the read commands need neither.
    const { ensureSupervisor } = await import("./ensure_supervisor.ts");
    await ensureSupervisor(this.home, options);
  }

  /** Whether the supervisor on the socket was seen to serve this home. */
  #homeChecked = false;

  async #request(
    request: Request,
    options: { signal?: AbortSignal } = {},
  ): Promise<Extract<Response, { ok: true }>> {
    const { PROMPT_ANSWER_TIMEOUT_MS, sendRequest } = await import("../ipc/socket_client.ts");
    // Only `wait` and an `events` long poll may take long to be answered; every other request
    // is answered at once.
    const timeoutMs = request.type === "wait" || (request.type === "events" && request.waitMs)
      ? undefined
      : PROMPT_ANSWER_TIMEOUT_MS;
    if (!this.#homeChecked && request.type !== "status") {
      // The first request that acts checks first that the socket's supervisor serves this home.
      const status = await sendRequest(this.home.socket, { v: PROTOCOL_VERSION, type: "status" }, {
        ...options,
        timeoutMs: PROMPT_ANSWER_TIMEOUT_MS,
      });
      if (status.type === "status") checkSupervisorHome(this.home, status.status.home);
      this.#homeChecked = true;
    }
    const response = await sendRequest(this.home.socket, request, { ...options, timeoutMs });
    if (response.type === "status") {
      checkSupervisorHome(this.home, response.status.home);
      this.#homeChecked = true;
    }
    return response;
  }

  /**
   * Asks the supervisor to stop; resolves once it has gone (false if none ran). Running module
   * tasks get up to `drainMs` to finish (the supervisor's default, 30 s, when absent; 0 ends
   * them at once, recorded `lost`); command and `--isolate`d tasks keep running and are
   * re-adopted by the next supervisor. `onProgress` hears what the stop still waits for, each
   * time that changes. Throws TaskStateError if the supervisor is still there `timeoutMs` after
   * its own deadline.
   * @throws {TaskStateError} (`TASK_STATE`) when the supervisor is still there after its drain
   */
  async stop(
    options: StopOptions = {},
  ): Promise<boolean> {
    const before = await this.status();
    if (!before) return false;
    await this.#request({ v: PROTOCOL_VERSION, type: "stop", drainMs: options.drainMs });
    const margin = options.timeoutMs ?? 30_000;
    let deadline = Date.now() + (options.drainMs ?? DEFAULT_DRAIN_MS) + margin;
    let told = "";
    let lastLook = 0;
    while (Date.now() < deadline) {
      if (!await this.#store.supervisorOf(this.home.dir)) return true;
      if (Date.now() - lastLook >= 250) {
        lastLook = Date.now();
        const draining = (await this.status().catch(() => undefined))?.draining;
        if (draining) {
          deadline = Math.max(deadline, draining.deadline + margin);
          const now = JSON.stringify(draining.waitingFor);
          if (now !== told) options.onProgress?.(draining);
          told = now;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new TaskStateError(
      `Cannot stop the supervisor (pid ${before.pid}): it is still there after its drain; ` +
        `see ${this.home.supervisorLog}`,
    );
  }

  /** Closes the store. */
  async close(): Promise<void> {
    if (this.#mirrors?.size) removeMirrors();
    await this.#store.close();
  }
}

/**
 * What a control command (killEach, pauseEach, resumeEach, restartEach, removeEach) did to one
 * task: done (`already`: it was in the asked state, so nothing was done), or the error that
 * stopped it (unknown id, a state that does not allow it).
 */
export type ControlResult =
  | { id: number; ok: true; already?: TaskStatus }
  | { id: number; ok: false; error: Error };

function _asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** No schedule has this id. */
export class ScheduleNotFoundError extends Error {
  override name = "ScheduleNotFoundError";
  readonly code = "SCHEDULE_NOT_FOUND";
  constructor(readonly id: number) {
    super(`Cannot find schedule ${id}: no such id (see 'bgt schedules')`);
  }
}

/** Opens a client on the default home (or `env.BGT_HOME`). */
export function connect(options: ConnectOptions = {}): Promise<Client> {
  return Client.open(options);
}

/** Most bytes of one send request (a bigger input goes in several, in order). */
const SEND_CHUNK = 256 * 1024;

/** Sends input to a task another supervisor runs: one request per chunk, each answered first. */
async function _sendElsewhere(
  store: TaskStore,
  task: Task,
  input: Uint8Array | AsyncIterable<Uint8Array>,
  options: { eof?: boolean; signal?: AbortSignal },
): Promise<void> {
  const send = (data: Uint8Array, eof: boolean) =>
    controlElsewhere(store, task, { kind: "send", data, eof }, "send to");
  // Each chunk as it comes (an interactive input is not held back), split where it is big.
  for await (const chunk of input instanceof Uint8Array ? [input] : input) {
    for (let at = 0; at < chunk.length; at += SEND_CHUNK) {
      options.signal?.throwIfAborted();
      await send(chunk.subarray(at, at + SEND_CHUNK), false);
    }
  }
  if (options.eof) await send(new Uint8Array(), true);
}
