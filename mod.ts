/**
 * bgt as a library: the supervisor's task table as the CLI sees it (`connect`), and the
 * in-process tools of the seeds — a pool of Web Workers whose buffers move without a copy,
 * `task()` futures, `BackgroundTask` and `WorkQueue`. Inside a task, `context` and `workQueue`.
 *
 * This file only re-exports; each concept lives in its own module under `src/`.
 *
 * @example
 * ```ts
 * import { connect, Pool, task } from "bgt";
 *
 * const double = task((x: number) => x * 2);
 * await double(21); // 42
 *
 * const bgt = await connect();
 * const [id] = await bgt.submit([{ spec: { kind: "command", argv: ["date"] } }]);
 * const [done] = await bgt.wait([id]);
 * bgt.close();
 * ```
 * @module
 */

// The supervisor and its task table.
export { Client, connect } from "./src/client/client.ts";
export type { ConnectOptions, SubmitOptions } from "./src/client/client.ts";
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
