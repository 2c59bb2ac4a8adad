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
import type { NewTask, Task, TaskOutcome, TaskStatus } from "../task/types.ts";

/** How long a claim holds before its owner must renew it (see TaskStore.heartbeat). */
export const LEASE_MS = 60_000;

/** Filters for {@linkcode TaskStore.list}. */
export interface ListFilter {
  /** Only these states. @default all */
  status?: TaskStatus[];
  /** Only this group. */
  group?: string;
  /** At most this many rows. @default 50 */
  limit?: number;
  /** Skip this many rows. @default 0 */
  offset?: number;
  /** Newest first (by id) when true. @default true */
  newestFirst?: boolean;
}

/** Who holds the supervisor role for a home. */
export interface SupervisorRecord {
  owner: string;
  pid: number;
  startTime: string | null;
  startedAt: number;
}

/** Counts by state, for `bgt daemon status`. */
export type StatusCounts = Partial<Record<TaskStatus, number>>;

/** The operations on the task table. Every method is one transaction. */
export interface TaskStore {
  /** Inserts the tasks atomically (all or none); returns their ids in order. */
  submit(tasks: readonly NewTask[]): number[];
  /** The task with this id, or undefined. */
  get(id: number): Task | undefined;
  /** Tasks matching the filter. */
  list(filter?: ListFilter): Task[];
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
  /** Earliest run_at among waiting tasks, or undefined. */
  nextRunAt(): number | undefined;
  /**
   * Extends the lease of every task `owner` runs to `until` (epoch ms). A store shared by several
   * machines treats a running task whose lease has expired as orphaned; on one machine the
   * owner's liveness decides, and the lease is informational.
   */
  heartbeat(owner: string, until: number): void;
  /** Records the pid of a task that started. */
  markStarted(id: number, pid: number | null): void;
  /** Stores a progress report. */
  setProgress(id: number, fraction: number, message: string | null): void;
  /**
   * Records how a run ended, if `owner` still owns it: a failure with attempts left goes back
   * to `queued` at now + backoff; returns the task as it now is.
   */
  finish(id: number, owner: string, outcome: TaskOutcome): Task | undefined;
  /** Cancels a task that has not started (queued, scheduled, blocked); false if it had. */
  cancel(id: number): boolean;
  /** Running tasks owned by anyone but `owner` (orphans of a dead supervisor). */
  orphans(owner: string): Task[];
  /** Hands a running task to a new owner (re-adoption). */
  adopt(id: number, owner: string): void;
  /** Removes tasks that are not running; returns the ids removed. */
  remove(ids: readonly number[]): number[];
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
