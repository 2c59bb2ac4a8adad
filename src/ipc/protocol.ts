/**
 * The protocol between clients and the supervisor: one closed set of requests and one of
 * responses, sent as MessagePack frames (see `src/task/frames.ts`). Every request carries the protocol
 * version; a supervisor answers a request of another version with an error.
 *
 * Reads (ls, show, logs) go straight to the database; the socket carries what only the running
 * supervisor can do: wake it, signal a running task, wait for tasks, report and stop.
 *
 * @example
 * ```ts
 * const request: Request = { v: PROTOCOL_VERSION, type: "kill", id: 42, signal: "SIGTERM" };
 * ```
 */
import type { ErrorData } from "../task/errors.ts";
import type { StatusCounts } from "../store/task_store.ts";
import type { TaskStatus } from "../task/types.ts";

/**
 * Bumped whenever a request or response changes shape. Optional fields that an older peer can
 * ignore (`stop`'s `drainMs`, `killed`'s `already`, the status's `state` and `draining`) do not
 * bump it: a client of this version can still stop a supervisor of the last.
 */
export const PROTOCOL_VERSION = 1;

/** Largest frame body either side accepts (16 MiB). */
export { MAX_FRAME_BYTES } from "../task/frames.ts";

/** Every request a client can send. */
export type Request =
  | { v: number; type: "notify" }
  | { v: number; type: "status" }
  /** `drainMs`: longest wait for running module tasks (0: none); the supervisor's default if absent. */
  | { v: number; type: "stop"; drainMs?: number }
  | { v: number; type: "kill"; id: number; signal: string }
  | { v: number; type: "wait"; ids: number[] }
  /** Sets the global limit now (and stores it: it outlives restarts). */
  | { v: number; type: "parallel"; parallel: number };

/** How long a graceful stop waits for running module tasks unless told (ms). */
export const DEFAULT_DRAIN_MS = 30_000;

/** What a stopping supervisor still waits for. */
export interface DrainState {
  /** The running module tasks it waits for (worker hosts end with the supervisor). */
  waitingFor: number[];
  /** When it gives up on them (epoch ms): their hosts are ended, the tasks recorded `lost`. */
  deadline: number;
}

/** What `status` answers. */
export interface SupervisorStatus {
  pid: number;
  /** `draining` once a graceful stop is under way (absent from an older supervisor). */
  state?: "running" | "draining";
  /** While draining: what it waits for. */
  draining?: DrainState;
  startedAt: number;
  version: string;
  home: string;
  /** The store in use: `sqlite:/…/bgt.db` or `postgres://user@host:port/db?schema=…` (absent from an older supervisor). */
  store?: string;
  running: number;
  queued: number;
  parallel: number;
  counts: StatusCounts;
  /** False when the store did not answer in time (counts are then empty). */
  storeAnswering?: boolean;
  /**
   * Where each setting came from: `flag` (of `bgt supervise`), `store` (`bgt parallel N`),
   * `env`, `config` (the config file) or `default` (absent from an older supervisor).
   */
  sources?: Record<string, "flag" | "store" | "env" | "config" | "default">;
  /** Time between SIGTERM and SIGKILL on a kill or timeout (absent from an older supervisor). */
  killGraceMs?: number;
  /** The config file it read (absent from an older supervisor). */
  config?: string;
}

/** Every response the supervisor can send; `ok: false` carries an error. */
export type Response =
  | { ok: true; type: "notified" }
  | { ok: true; type: "status"; status: SupervisorStatus }
  | { ok: true; type: "stopping" }
  /** `already`: the task was in this state already (ended, paused, running): nothing was sent. */
  | { ok: true; type: "killed"; id: number; already?: TaskStatus }
  | { ok: true; type: "finished"; ids: number[] }
  | { ok: true; type: "parallel"; parallel: number }
  | { ok: false; error: ErrorData };

/** The request types, for validation. */
export const REQUEST_TYPES = ["notify", "status", "stop", "kill", "wait", "parallel"] as const;
