/**
 * The store's contract: every operation the supervisor and clients need, each one transaction and
 * asynchronous, so that SQLite (one host) and PostgreSQL (several) implement the same thing.
 *
 * @example
 * ```ts
 * const store: TaskStore = await openStore(storeConfig(process.env, home));
 * const [{ id }] = await store.submit([{ spec: { kind: "command", argv: ["true"] } }]);
 * const [task] = await store.claim("me", { maxProcesses: 1, maxWorkers: 0 });
 * ```
 */
import type { FiringRecord, NewSchedule, Schedule } from "../task/schedule.ts";
import type { HookStore } from "./hook_store.ts";
import type { TaskEvent } from "../task/events.ts";
import type { ControlStore, OutputStore } from "./shared_io.ts";
import type {
  Attempt,
  NewTask,
  SubmitResult,
  Task,
  TaskOutcome,
  TaskStatus,
} from "../task/types.ts";

/** Filters for {@linkcode TaskStore.list}. */
export interface ListFilter {
  /** Only these ids. */
  ids?: readonly number[];
  /** Only these states. @default all */
  status?: TaskStatus[];
  /** Only this group. */
  group?: string;
  /** Only tasks claimed by the supervisor of this host name (where they run or ran). */
  host?: string;
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
  /** Only ids below this one (keyset pagination of an id-ordered list: the last id of a page). */
  beforeId?: number;
  /** Only ids above this one (keyset pagination, the other way). */
  afterId?: number;
  /** Free text: the id itself, or a part of the name (any case) or of the command/module text. */
  search?: string;
  /** The order. @default "id" */
  sort?: "id" | "priority" | "runAt" | "startedAt" | "finishedAt";
  /** At most this many rows. @default 50 */
  limit?: number;
  /** Skip this many rows. @default 0 */
  offset?: number;
  /** Descending (newest, highest, latest first) when true. @default true */
  newestFirst?: boolean;
}

/** A group's settings (a group without a row runs under the global limit only). */
export interface GroupSetting {
  name: string;
  /** Most of its tasks running at once; null = only the global limit. */
  parallel: number | null;
  /** A paused group starts none of its tasks. */
  paused: boolean;
}

/** How many tasks of one group are in one state (the dashboard's overview). */
export interface GroupStatusCount {
  group: string;
  status: TaskStatus;
  count: number;
}

/** Tasks that ended in one minute (the dashboard's chart), from the events outbox. */
export interface MinuteTally {
  /** The minute's start, epoch ms. */
  minute: number;
  succeeded: number;
  /** Failed, timed out or lost. */
  failed: number;
}

/** Counts by state, for `bgt daemon status`. */
export type StatusCounts = Partial<Record<TaskStatus, number>>;

/** Which store to open: `BGT_STORE=postgres://user@host:port/db[?schema=NAME]`, else the home's bgt.db. */
export type StoreConfig =
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string; schema: string };

// export function storeConfig(env: Record<string, string | undefined>, home: BgtHome): StoreConfig;
// export function openStore(config: StoreConfig, options?: { role?: "client" | "supervisor" | "runner" }): Promise<TaskStore>;
//   (src/store/open_store.ts; imports the PostgreSQL module, and postgres.js, only when asked for)

/** Who runs a supervisor: one row per running supervisor (several per store on PostgreSQL). */
export interface SupervisorRecord {
  /** Unique per start: `${host}/${pid}/${random}`. */
  owner: string;
  /** The BGT_HOME it serves (its local files and socket). */
  home: string;
  host: string;
  pid: number;
  startTime: string | null;
  startedAt: number;
  heartbeatAt: number;
  /** The labels it was started with (`--labels`), which `--need` asks for. @default [] */
  labels?: string[];
  /** Most tasks it runs at once (its --parallel). @default 0 (unknown) */
  slots?: number;
  /** The bgt version it runs. */
  version?: string;
  /** It stops: it claims no more tasks. */
  draining?: boolean;
  /**
   * Its lease: without a heartbeat for this long (on the store's clock) it is dead, and any
   * other supervisor rescues its running tasks. @default 10000
   */
  leaseMs?: number;
}

/**
 * One supervisor as `bgt hosts` shows it (see {@linkcode TaskStore.hosts}).
 *
 * @example
 * ```ts
 * for (const host of await store.hosts()) console.log(host.name, host.heartbeatAgeMs);
 * ```
 */
export interface HostInfo {
  /** Its host name (`--host`, BGT_HOST, else the machine's). */
  name: string;
  pid: number;
  /** When it started (epoch ms, the store's clock). */
  startedAt: number;
  /** Its last heartbeat (epoch ms, the store's clock). */
  heartbeatAt: number;
  /** How long ago that was, on the store's clock. */
  heartbeatAgeMs: number;
  /** Tasks it runs now (running or paused). */
  slotsUsed: number;
  /** Most tasks it runs at once. */
  slotsTotal: number;
  labels: string[];
  version: string;
  draining: boolean;
  /** Its home (BGT_HOME) on that host. */
  home: string;
}

/** What one sweep for dead supervisors did (see {@linkcode TaskStore.rescue}). */
export interface RescueResult {
  /** The supervisors found dead (their rows removed). */
  dead: SupervisorRecord[];
  /** The events of the tasks rescued (lost, or retrying per their policy). */
  events: TaskEvent[];
}

/** What one claim may take. The groups' room is derived inside the claim (exact across supervisors). */
export interface ClaimRoom {
  /** Most processes (commands, shell lines, isolated modules). */
  maxProcesses: number;
  /** Most module tasks for the worker hosts. */
  maxWorkers: number;
  /** Most tasks in all. @default no limit */
  limit?: number;
}

/** How one run ended; `attempt` fences it. `at`: when it ended, if earlier than the store's now. */
export interface RunEnd {
  id: number;
  attempt: number;
  outcome: TaskOutcome;
}

/** A run that started: its process id, once known. */
export interface RunStart {
  id: number;
  attempt: number;
  pid: number | null;
}

/**
 * Whose run a write is about: it lands only while the task runs that attempt (and, given an
 * owner, under that supervisor) — a late write from a run that was declared lost changes nothing.
 */
export interface RunFence {
  attempt: number;
  /** The supervisor running it (an isolated module's own process fences by attempt only). */
  owner?: string;
}

/** A stop asked of a running task, stored before the signal so a crash keeps the intent. */
export interface RunStop {
  reason: "kill" | "timeout";
  signal: string;
}

/** What remove() did with each id asked for. */
export interface RemoveResult {
  removed: number[];
  /** Kept because they run (running, paused). */
  running: { id: number; status: TaskStatus }[];
  missing: number[];
  events: TaskEvent[];
}

/** The operations on tasks. Every method is one transaction. */
export interface TaskStore {
  readonly kind: "sqlite" | "postgres";
  /** Where it is, for `daemon status --json`, with no password: `sqlite:/…/bgt.db`, `postgres://user@host:5432/db?schema=bgt`. */
  readonly description: string;
  readonly schedules: ScheduleStore;
  /** Tasks' output shipped for reading from every host (a shared store only: PostgreSQL). */
  readonly output?: OutputStore;
  /** Control requests for tasks another supervisor runs (a shared store only: PostgreSQL). */
  readonly control?: ControlStore;
  /** Hook deliveries (DESIGN §13). */
  readonly hooks: HookStore;
  /** The store's clock, epoch ms. */
  now(): Promise<number>;

  // reads
  get(id: number): Promise<Task | undefined>;
  /** The tasks a filter keeps, without their results (`result` is undefined): `get` reads one. */
  list(filter?: ListFilter): Promise<Task[]>;
  /**
   * How many tasks the filter's conditions keep (its sort, limit and offset aside); with `upTo`,
   * at most that many (the count stops there, so it stays cheap on a large table).
   */
  count(filter?: ListFilter, upTo?: number): Promise<number>;
  counts(): Promise<StatusCounts>;
  /**
   * Counts by group and state: unfinished tasks of any age, finished ones created at or after
   * `finishedSince` (epoch ms). Both read an index range, so the cost follows the recent and the
   * open tasks, not the table's size. Groups with no such task are absent.
   */
  countsByGroup(finishedSince: number): Promise<GroupStatusCount[]>;
  /** Ends per minute since `since` (epoch ms), oldest first; minutes with none are absent. */
  endsPerMinute(since: number): Promise<MinuteTally[]>;
  attempts(id: number): Promise<Attempt[]>;
  groups(): Promise<GroupSetting[]>;
  runningByGroup(): Promise<Record<string, number>>;
  /** Events with id > `after`, oldest first (default limit 1000). */
  events(
    after: number,
    filter?: { taskIds?: readonly number[]; limit?: number },
  ): Promise<TaskEvent[]>;
  /** The newest event id (0: none), for a reader that starts "from now". */
  lastEventId(): Promise<number>;

  // batches
  /** Inserts atomically (all or none), saying for each what its key policy did. Events: submitted (+ canceled for a replaced holder). */
  submit(tasks: readonly NewTask[]): Promise<SubmitResult[]>;
  /** Claims due tasks in (priority desc, run_at, id) order within the room. Events: started. */
  claim(owner: string, room: ClaimRoom): Promise<Task[]>;
  /**
   * Records ends (fenced by owner + attempt) and the pids of runs that started, in one
   * transaction; failures with attempts left go back to queued at now + backoff. Settles the
   * dependants. Returns the events written (retrying / the end, and dependants failed).
   */
  finish(
    owner: string,
    ends: readonly RunEnd[],
    started?: readonly RunStart[],
  ): Promise<TaskEvent[]>;
  /** Cancels tasks that have not started (queued, scheduled, blocked); settles their dependants. */
  cancel(ids: readonly number[]): Promise<TaskEvent[]>;
  /** Removes tasks that do not run, saying why each other id stays. Events: removed. */
  remove(ids: readonly number[]): Promise<RemoveResult>;
  /**
   * Ids of finished tasks matching the filter (for `bgt clean`); with `unneeded`, only those no
   * unfinished task depends on (`--after`: removing one would fail its dependant).
   */
  finishedIds(
    filter: { before?: number; status?: TaskStatus[]; group?: string; unneeded?: boolean },
  ): Promise<number[]>;
  /** Hands to `owner` the running tasks of this home whose owner no longer has a supervisor row. */
  adoptOrphans(owner: string, home: string): Promise<Task[]>;

  // one task
  /**
   * Runs `act` at a moment when no other process is inside a write it makes for task `id`'s
   * reports (its progress, meta, checkpoints) or inside opening the store: SQLite holds the write
   * lock meanwhile, PostgreSQL the task's row and the migration lock. Pausing an `--isolate`d
   * task's process (SIGSTOP) goes through it, so the process is never stopped holding a lock
   * that every other writer would then wait on until it is resumed.
   *
   * @example
   * ```ts
   * await store.betweenWrites(42, () => process.kill(-pid, "SIGSTOP"));
   * ```
   */
  betweenWrites<T>(id: number, act: () => T): Promise<T>;
  /** Running ⇄ paused; false if it was in neither state. Keeps paused time. Events: paused / resumed. */
  setPaused(id: number, paused: boolean, fence?: RunFence): Promise<boolean>;
  /** Stores a stop's intent before its signal (a crash after it keeps it: a killed task ends canceled). */
  setStop(id: number, attempt: number, stop: RunStop): Promise<boolean>;
  /** Progress, meta and checkpoints: a `fence` keeps a late report of a lost run out. */
  setProgress(
    id: number,
    fraction: number,
    message: string | null,
    fence?: RunFence,
  ): Promise<void>;
  mergeMeta(
    id: number,
    patch: Record<string, unknown>,
    fence?: RunFence,
  ): Promise<Task | undefined>;
  setCheckpoint(id: number, value: unknown, fence?: RunFence): Promise<void>;
  /**
   * Queues a finished task once more as a new attempt — or, for a `--restart` task waiting out
   * its backoff, runs it now with its restart streak reset. Events: submitted { restart: true }.
   */
  restart(id: number): Promise<Task | undefined>;
  setGroup(
    name: string,
    change: { parallel?: number | null; paused?: boolean },
  ): Promise<GroupSetting>;

  // timing and supervisors
  /** Ms until the next run_at or schedule firing ahead (0: due now), undefined: none. */
  nextWakeIn(): Promise<number | undefined>;
  /**
   * Renews `owner`'s heartbeat, and its slots when given (after `bgt parallel`); false if its
   * row is gone (it was declared dead).
   */
  heartbeat(owner: string, slots?: number): Promise<boolean>;
  /** Takes the role for `me.home` when its holder is not alive; returns who holds it. */
  takeSupervisor(
    me: SupervisorRecord,
    isHolderAlive: (holder: SupervisorRecord) => boolean,
  ): Promise<SupervisorRecord>;
  releaseSupervisor(owner: string): Promise<void>;
  /** The supervisor serving this home, if any. */
  supervisorOf(home: string): Promise<SupervisorRecord | undefined>;
  /** The running supervisors (one per host and home), by name, with heartbeat age and slots in use. */
  hosts(): Promise<HostInfo[]>;
  /** Says whether `owner` stops (it claims no more; `bgt hosts` shows it draining). */
  setDraining(owner: string, draining: boolean): Promise<void>;
  /**
   * Finds the supervisors whose lease ran out (no heartbeat for their `leaseMs`, on the store's
   * clock), removes their rows, and ends their running tasks as `lost` (retried per policy),
   * fenced by (owner, attempt): a late write from a supervisor declared dead changes nothing.
   * Tasks a graceful stop left running (command tasks under their waiters) get one lease of
   * grace for their home's next supervisor to re-adopt them. SQLite: none (one host).
   */
  rescue(): Promise<RescueResult>;
  /** The settings changed at run time (`bgt parallel N` → `{ parallel: "5" }`), by key. */
  settings(): Promise<Record<string, string>>;
  /** Stores one setting (null: removes it, so the config file or default applies again). */
  setSetting(key: string, value: string | null): Promise<void>;
  /** Deletes old events (retention: older than 7 days, or beyond the newest 100,000). Returns how many. */
  pruneEvents(): Promise<number>;
  /**
   * Calls `onWake` on each hint that work is due ("work": a submit, restart, resume or group
   * change made a task runnable now) or that events were written ("events"); returns a stop
   * function. PostgreSQL: LISTEN on the NOTIFYs its own writes send (ids only), reconnecting, plus a
   * poll (1 s while the listener is down, 5 s while healthy) — polling is the guarantee. SQLite:
   * resolves a no-op (one host: the supervisor's socket and signals wake it, as today).
   */
  listen(topic: "work" | "events", onWake: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** One schedule's firing, for {@linkcode ScheduleStore.fireAll}. */
export interface ScheduleFiring {
  id: number;
  firing: FiringRecord;
}

/** The operations on schedules. Every method is one transaction. */
export interface ScheduleStore {
  create(schedule: NewSchedule): Promise<number>;
  get(id: number): Promise<Schedule | undefined>;
  list(): Promise<Schedule[]>;
  /** Unpaused schedules due now, with the store's now to plan their firings with. */
  dueSchedules(): Promise<{ now: number; due: Schedule[] }>;
  /** Creates the firings' tasks (overlap policy applied) unless `lastSlot` was handled already. Events: schedule_fired / _skipped, submitted. */
  fire(id: number, firing: FiringRecord): Promise<number[]>;
  /**
   * {@linkcode fire} for several schedules in one transaction (one time for all their tasks,
   * so that the last fires as soon as the first); all or none of them is stored.
   */
  fireAll(firings: readonly ScheduleFiring[]): Promise<number[]>;
  setPaused(
    id: number,
    paused: boolean,
    resume?: { lastSlot: number; nextAt: number | null },
  ): Promise<boolean>;
  remove(id: number): Promise<ScheduleRemoval | undefined>;
  runsPastKeep(taskIds: readonly number[]): Promise<number[]>;
}

/** What removing a schedule did to its unfinished runs. */
export interface ScheduleRemoval {
  /** The runs that had not started, now canceled. */
  canceled: number[];
  /** The runs still running (or paused): left alone. */
  running: number[];
}
