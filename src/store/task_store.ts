/**
 * The TaskStore interface: every operation the supervisor and clients need, each atomic, so a
 * PostgreSQL store can stand in for SQLite without touching the supervisor.
 *
 * @example
 * ```ts
 * const store: TaskStore = await SqliteTaskStore.open(home.db);
 * const [id] = store.submit([{ spec: { kind: "command", argv: ["true"] } }]);
 * const task = store.claimNext("me", { now: Date.now(), fullGroups: [] });
 * ```
 */
import type { FiringRecord, NewSchedule, Schedule } from "../task/schedule.ts";
import type {
  Attempt,
  NewTask,
  SubmitResult,
  Task,
  TaskOutcome,
  TaskStatus,
} from "../task/types.ts";

/** How long a claim holds before its owner must renew it (see TaskStore.heartbeat). */
export const LEASE_MS = 60_000;

/** Filters for {@linkcode TaskStore.list}. */
export interface ListFilter {
  /** Only these states. @default all */
  status?: TaskStatus[];
  /** Only this group. */
  group?: string;
  /** Only tasks fired by this schedule. */
  scheduleId?: number;
  /** Only tasks whose name matches this glob (`*`, `?`, `[…]`). */
  name?: string;
  /** Only tasks whose meta has each of these keys with this value (compared as text). */
  meta?: Record<string, string>;
  /** Only tasks created at or after this time (epoch ms). */
  since?: number;
  /** Only tasks created before this time (epoch ms). */
  until?: number;
  /** The order. @default "id" */
  sort?: "id" | "priority" | "runAt" | "startedAt" | "finishedAt";
  /** At most this many rows. @default 50 */
  limit?: number;
  /** Skip this many rows. @default 0 */
  offset?: number;
  /** Descending (newest, highest, latest first) when true. @default true */
  newestFirst?: boolean;
}

/** Who holds the supervisor role for a home. */
export interface SupervisorRecord {
  owner: string;
  pid: number;
  startTime: string | null;
  startedAt: number;
}

/** A group's settings (a group without a row runs under the global limit only). */
export interface GroupSetting {
  name: string;
  /** Most of its tasks running at once; null = only the global limit. */
  parallel: number | null;
  /** A paused group starts none of its tasks. */
  paused: boolean;
}

/** What {@linkcode TaskStore.claimBatch} may claim. */
export interface ClaimOptions {
  now: number;
  /** Most processes (commands, shell lines, isolated modules) to claim. */
  maxProcesses: number;
  /** Most module tasks for the worker hosts to claim. */
  maxWorkers: number;
  /** Most tasks in all. @default no limit */
  limit?: number;
  /** Groups to skip. */
  fullGroups?: readonly string[];
  /** The room left in groups with a limit. */
  groupRoom?: Readonly<Record<string, number>>;
}

/** A task whose state a finish changed: its id and new state. */
export interface TaskEnd {
  id: number;
  status: TaskStatus;
}

/** What {@linkcode TaskStore.removeEach} did with each id. */
export interface RemoveResult {
  /** The ids removed. */
  removed: number[];
  /** The tasks kept because they run, with their state. */
  running: { id: number; status: TaskStatus }[];
  /** The ids of no task. */
  missing: number[];
}

/** Counts by state, for `bgt daemon status`. */
export type StatusCounts = Partial<Record<TaskStatus, number>>;

/** The operations on the task table. Every method is one transaction. */
export interface TaskStore {
  /** Inserts the tasks atomically (all or none); returns their ids in order. */
  submit(tasks: readonly NewTask[]): number[];
  /** As submit, saying for each task what its key policy did. */
  submitAll(tasks: readonly NewTask[]): SubmitResult[];
  /** The task with this id, or undefined. */
  get(id: number): Task | undefined;
  /** Tasks matching the filter. */
  list(filter?: ListFilter): Task[];
  /** How many tasks match the filter's conditions (its sort, limit and offset aside). */
  count(filter?: ListFilter): number;
  /** Counts of tasks by state. */
  counts(): StatusCounts;
  /**
   * Atomically moves the next due task (priority desc, run_at, id) not in a full group to
   * `running` under `owner`, incrementing its attempt; undefined when none is due.
   */
  claimNext(
    owner: string,
    options: { now: number; fullGroups: readonly string[] },
  ): Task | undefined;
  /**
   * Claims due tasks in one transaction, in claimNext's order: at most `maxProcesses` that run as
   * processes (commands, shell lines, isolated modules) and `maxWorkers` module tasks for the
   * worker hosts (and at most `limit` in all), skipping full groups and giving no group more
   * than its `groupRoom`.
   */
  claimBatch(owner: string, options: ClaimOptions): Task[];
  /** Earliest run_at among waiting tasks (only those later than `after`), or undefined. */
  nextRunAt(after?: number): number | undefined;
  /**
   * Extends the lease of every task `owner` runs to `until` (epoch ms). A store shared by several
   * machines treats a running task whose lease has expired as orphaned; on one machine the
   * owner's liveness decides, and the lease is informational.
   */
  heartbeat(owner: string, until: number): void;
  /** Stores a progress report. */
  setProgress(id: number, fraction: number, message: string | null): void;
  /**
   * Records how a run ended, if `owner` still owns it: a failure with attempts left goes back
   * to `queued` at now + backoff (with jitter). Returns the task as it now is, followed by the
   * blocked dependants that ended with it (a failed dependency fails them); empty if not owned.
   */
  finish(id: number, owner: string, outcome: TaskOutcome): Task[];
  /**
   * finish() of several runs, and the pids of runs that started (`[id, pid]`), in one
   * transaction; returns the id and new state of every task that changed (the dependants that
   * ended with them last).
   */
  finishMany(
    owner: string,
    /** `at`: when the run ended (epoch ms), if earlier than now. */
    ends: readonly { id: number; outcome: TaskOutcome; at?: number }[],
    started?: readonly [number, number | null][],
  ): TaskEnd[];
  /**
   * Cancels a task that has not started (queued, scheduled, blocked); returns it and the
   * dependants that failed because of it, or an empty list if it had started or ended.
   */
  cancel(id: number): Task[];
  /** Running tasks owned by anyone but `owner` (orphans of a dead supervisor). */
  orphans(owner: string): Task[];
  /** Hands a running task to a new owner (re-adoption). */
  adopt(id: number, owner: string): void;
  /** Removes tasks that are not running; returns the ids removed. */
  remove(ids: readonly number[]): number[];
  /**
   * As remove, saying in the same transaction why each other id stays: the state of a task
   * that runs (`running`, `paused`), or that there is no such task. Nothing can start a task
   * between the look and the delete.
   */
  removeEach(ids: readonly number[]): RemoveResult;
  /** Merges a patch into a task's meta (a null value deletes its key); returns the task. */
  mergeMeta(id: number, patch: Record<string, unknown>): Task | undefined;
  /** Saves a module task's checkpoint (given to its next attempt). */
  setCheckpoint(id: number, value: unknown): void;
  /** Marks a running task paused, or a paused one running; false if it was in neither state. */
  setPaused(id: number, paused: boolean): boolean;
  /**
   * Queues a finished task to run once more, as a new attempt (its history is kept); returns
   * it, or undefined when the task has not finished.
   */
  restart(id: number): Task | undefined;
  /** The ids of finished tasks matching the filter (for `bgt clean`). */
  finishedIds(filter: { before?: number; status?: TaskStatus[]; group?: string }): number[];
  /** The attempts of a task, oldest first. */
  attempts(id: number): Attempt[];
  /** The groups that have settings. */
  groups(): GroupSetting[];
  /** Changes a group's settings (creating its row). */
  setGroup(name: string, change: { parallel?: number | null; paused?: boolean }): GroupSetting;
  /** How many tasks of each group run now. */
  runningByGroup(): Record<string, number>;
  /** The recurring schedules. */
  readonly schedules: ScheduleStore;
  /** Takes the supervisor role when the current holder is not alive; returns who holds it. */
  takeSupervisor(
    me: SupervisorRecord,
    isHolderAlive: (holder: SupervisorRecord) => boolean,
  ): SupervisorRecord;
  /** Gives the role up, if `owner` holds it. */
  releaseSupervisor(owner: string): void;
  /** The current holder of the supervisor role, if any. */
  supervisor(): SupervisorRecord | undefined;
  /** Closes the store. */
  close(): void;
}

/** The operations on the schedule table. Every method is one transaction. */
export interface ScheduleStore {
  /** Stores a schedule; returns its id. */
  create(schedule: NewSchedule): number;
  /** The schedule with this id, or undefined. */
  get(id: number): Schedule | undefined;
  /** All schedules, oldest first. */
  list(): Schedule[];
  /** Unpaused schedules whose next firing is at or before `now`. */
  due(now: number): Schedule[];
  /** The earliest next firing of an unpaused schedule, or undefined. */
  nextAt(): number | undefined;
  /**
   * Creates the tasks of the given firings (applying the overlap policy: under `queue` at most
   * one run waits) and moves the schedule on, unless another supervisor already handled
   * `lastSlot`; returns the new task ids.
   */
  fire(id: number, firing: FiringRecord, now: number): number[];
  /** Pauses or resumes; a resume sets the next firing (missed ones are not caught up). */
  setPaused(
    id: number,
    paused: boolean,
    resume?: { lastSlot: number; nextAt: number | null },
  ): boolean;
  /**
   * Deletes a schedule and cancels its runs that have not started (its other tasks stay, and
   * running ones run on); undefined if there was none.
   */
  remove(id: number, now?: number): ScheduleRemoval | undefined;
  /**
   * The finished runs that schedules keeping only their last N (`--keep`) no longer keep: for
   * the schedule of each of these tasks, its finished tasks older than its newest N, by id.
   */
  runsPastKeep(taskIds: readonly number[]): number[];
}

/** What removing a schedule did to its unfinished runs. */
export interface ScheduleRemoval {
  /** The runs that had not started, now canceled. */
  canceled: number[];
  /** The runs still running (or paused): left alone. */
  running: number[];
}
