/**
 * bgt as a library: the supervisor's task table as the CLI sees it (`connect`), and the
 * in-process tools of the seeds — a pool of Web Workers whose buffers move without a copy,
 * `task()` futures, `BackgroundTask` and `WorkQueue`. Inside a task, `context` and `workQueue`.
 *
 * This file only re-exports; each concept lives in its own module under `src/`. Every `Client`
 * method is in docs/library.md; every example here and there runs in `npm test`.
 *
 * @example
 * ```ts
 * import { connect, isBgtError, Pool, task } from "bgt";
 *
 * const double = task((x: number) => x * 2);
 * await double(21); // 42
 *
 * const pool = new Pool({ size: 2 });
 * await pool.run((x: number) => x + 1, [41]); // 42
 * await pool.close();
 *
 * const bgt = await connect();
 * const [id] = await bgt.submit([{ spec: { kind: "command", argv: ["date"] } }]);
 * const [done] = await bgt.wait([id]);
 * console.log(done.status); // "succeeded"
 * await bgt.get(99).catch((error) => console.log(isBgtError(error, "TASK_NOT_FOUND"))); // true
 * await bgt.close();
 * ```
 * @module
 */

// The supervisor and its task table.
export { Client, connect, ScheduleNotFoundError } from "./src/client/client.ts";
export type {
  CleanFilter,
  ConnectOptions,
  ControlResult,
  EventsOptions,
  GroupChange,
  KillEachOptions,
  LogsOptions,
  RemoveOptions,
  SendOptions,
  StopOptions,
  SubmitOptions,
  WaitOptions,
} from "./src/client/client.ts";
export { followStreams } from "./src/client/follow_streams.ts";
export type { FollowOptions } from "./src/client/follow_streams.ts";
export type { ListFilter } from "./src/store/task_store.ts";
export type { StreamName } from "./src/store/task_files.ts";
export type { SupervisorStatus } from "./src/ipc/protocol.ts";
export type {
  NewTask,
  Task,
  TaskError,
  TaskKind,
  TaskOutcome,
  TaskSpec,
  TaskStatus,
} from "./src/task/types.ts";
export { isTerminal } from "./src/task/types.ts";
export { taskJson } from "./src/task/task_json.ts";
export type { TaskEvent, TaskEventKind } from "./src/task/events.ts";
export { eventJson } from "./src/task/event_json.ts";
export type { TaskHooks } from "./src/task/task_hooks.ts";
export type { HookAction, HookDelivery, HookPayload } from "./src/store/hook_store.ts";
export { signBody, verifyWebhookSignature } from "./src/hooks/webhook_secret.ts";
export { ERROR_CODES, isBgtError } from "./src/task/error_codes.ts";
export type { BgtError, BgtErrorCode } from "./src/task/error_codes.ts";
export type { RestartPolicy } from "./src/task/restart_policy.ts";
export { ConfigError, configPath, loadConfig } from "./src/config/config_file.ts";
export type { BgtConfig } from "./src/config/config_file.ts";
export { exitCodeOf } from "./src/task/exit_code.ts";
export {
  ProtocolError,
  SupervisorUnavailableError,
  TaskNotFoundError,
  TaskStateError,
} from "./src/task/errors.ts";
export { VERSION } from "./src/task/version.ts";

// In-process background work (seeds 000, 001 and 004).
export { Pool } from "./src/pool/pool.ts";
export type { PoolEvent, PoolOptions, RunOptions, RunTarget } from "./src/pool/pool.ts";
export { task } from "./src/pool/task.ts";
export type { TaskOptions } from "./src/pool/task.ts";
export { Future } from "./src/pool/future.ts";
export { defaultPool, setPoolSize } from "./src/pool/default_pool.ts";
export { BackgroundTask } from "./src/pool/background_task.ts";
export { BackgroundTaskPool } from "./src/pool/background_task_pool.ts";
export { WorkQueue } from "./src/pool/work_queue.ts";
export type { ReadOptions } from "./src/pool/work_queue.ts";
export {
  AbortError,
  PoolClosedError,
  TimeoutError,
  WorkerCrashedError,
} from "./src/pool/errors.ts";

// Inside a task (a worker of a Pool, or a module task run by the supervisor).
export { context } from "./src/pool/context.ts";
export type { TaskContext } from "./src/pool/context.ts";
export { workQueue } from "./src/pool/worker_queue.ts";
export type { WorkerQueue, WorkerReadOptions } from "./src/pool/worker_queue.ts";
