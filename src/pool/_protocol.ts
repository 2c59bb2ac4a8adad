/**
 * @internal The messages between the pool (owner) and its workers. One closed set; numbers keep
 * the hot path small.
 */

/**
 * Owner → worker: run a batch of tasks. `b` holds one `_WireTask` per task; `c: 1` lets their
 * async parts run at once (the pool's `concurrentTasksPerWorker` > 1), else one after another.
 */
export const MSG_RUN = 0;
/** Owner → worker: abort a task (skip it if queued, abort its signal if running). */
export const MSG_ABORT = 1;
/** Owner → worker: the answer to a work-queue read request. */
export const MSG_QUEUE_ITEM = 2;

/** Worker → owner: results, flat `[id, ok (1) | error (0), value, …]`. */
export const MSG_RESULTS = 0;
/** Worker → owner: an event of a task. */
export const MSG_EVENT = 1;
/** Worker → owner: a work-queue read request. */
export const MSG_QUEUE_READ = 2;
/** Worker → owner: items written to a work queue. */
export const MSG_QUEUE_WRITE = 3;

/** Per-task options that only some tasks carry. */
export interface _WireOptions {
  /** Function source, sent the first time a worker sees this function id. */
  src?: string;
  /** Captured names and their values. */
  capN?: string[];
  capV?: unknown[];
  /** The task context. */
  ctx?: { id: number; attempt?: number; meta?: Record<string, unknown>; checkpoint?: unknown };
  /** Capture console output as events. */
  cc?: boolean;
  /** Append console output and data records to these files from the worker. */
  out?: { stdout: string; stderr: string; data: string };
  /** The working directory and environment to run in (see PoolRunOptions.cwd). */
  cwd?: string;
  env?: Record<string, string>;
  /** Work queue id bound to this task. */
  q?: number;
}

/** `[id, key, args, options]`: key is a module `url#export` or a function id. */
export type _WireTask = [number, string | number, unknown[], _WireOptions | 0];

/** An event a running task reports to its owner. */
export type PoolEvent =
  | { type: "stdout" | "stderr"; text: string }
  | { type: "progress"; fraction: number; message?: string }
  | { type: "data"; value: unknown }
  | { type: "meta"; patch: Record<string, unknown> }
  | { type: "checkpoint"; value: unknown };
