/**
 * What request handlers may use: the store, the dispatcher, the parked waits and the facts of
 * this supervisor.
 *
 * @example
 * ```ts
 * const response = await handleStatus(context);
 * ```
 */
import type { DrainState } from "../ipc/protocol.ts";
import type { BgtHome } from "../store/home.ts";
import type { TaskStore } from "../store/task_store.ts";
import type { Dispatcher } from "./dispatcher.ts";
import type { SettingSource } from "./settings.ts";
import type { TaskWaiters } from "./task_waiters.ts";

/** Shared state of one running supervisor. */
export interface SupervisorContext {
  home: BgtHome;
  store: TaskStore;
  dispatcher: Dispatcher;
  waiters: TaskWaiters;
  startedAt: number;
  /** The global limit now (`bgt parallel N` changes it). */
  readonly parallel: number;
  /** Sets the global limit now and stores it (it outlives restarts). */
  setParallel(parallel: number): Promise<void>;
  /** Where each setting came from, for `daemon status --json`. */
  readonly sources: Record<string, SettingSource>;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /** The config file read at start. */
  configPath: string;
  version: string;
  /**
   * Begins a graceful stop: running module tasks get up to `drainMs` to finish (the
   * supervisor's default when absent); a second call can only shorten the wait.
   */
  stop(options?: { drainMs?: number }): void;
  /** Where to report a problem that does not stop the supervisor. */
  log?: (line: string) => void;
  /** What a stop under way still waits for; undefined while not stopping. */
  draining(): DrainState | undefined;
}
