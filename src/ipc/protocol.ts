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

/** Bumped whenever a request or response changes shape. */
export const PROTOCOL_VERSION = 1;

/** Largest frame body either side accepts (16 MiB). */
export { MAX_FRAME_BYTES } from "../task/frames.ts";

/** Every request a client can send. */
export type Request =
  | { v: number; type: "notify" }
  | { v: number; type: "status" }
  | { v: number; type: "stop" }
  | { v: number; type: "kill"; id: number; signal: string }
  | { v: number; type: "wait"; ids: number[] };

/** What `status` answers. */
export interface SupervisorStatus {
  pid: number;
  startedAt: number;
  version: string;
  home: string;
  running: number;
  queued: number;
  parallel: number;
  counts: StatusCounts;
}

/** Every response the supervisor can send; `ok: false` carries an error. */
export type Response =
  | { ok: true; type: "notified" }
  | { ok: true; type: "status"; status: SupervisorStatus }
  | { ok: true; type: "stopping" }
  | { ok: true; type: "killed"; id: number }
  | { ok: true; type: "finished"; ids: number[] }
  | { ok: false; error: ErrorData };

/** The request types, for validation. */
export const REQUEST_TYPES = ["notify", "status", "stop", "kill", "wait"] as const;
