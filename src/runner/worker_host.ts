/**
 * A worker host: the process (`bgt __host <home>`) in which the supervisor runs module tasks
 * that are not `--isolate`d, one task at a time, each on the host's one-worker pool. A task that
 * allocates until the kernel kills it, or crashes its runtime, takes down its host and nothing
 * else: the supervisor records that one task as failed and starts a new host for the next.
 *
 * The supervisor sends frames (see `src/task/frames.ts`) on the host's stdin; the host answers
 * on fd 3, so that a task writing to `process.stdout` cannot garble the channel. The host reads
 * the task from the store and reports progress, meta, checkpoints and the outcome back; the
 * supervisor stores them. A module file changed since the host's worker imported it gets a new
 * worker, so that an unpinned task runs its file as it is when it starts. When its stdin closes (the supervisor stopped or died), the host exits
 * at once, ending its task: a worker task does not outlive its supervisor.
 *
 * @example
 * ```ts
 * process.exitCode = await runWorkerHost(home.dir); // in `bgt __host <home>`
 * ```
 */
import { statSync, writeFileSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Pool } from "../pool/pool.ts";
import { bgtHome } from "../store/home.ts";
import { SqliteTaskStore } from "../store/sqlite_task_store.ts";
import { taskFiles } from "../store/task_files.ts";
import { encodeFrame, FrameDecoder } from "../task/frames.ts";
import type { Task, TaskOutcome } from "../task/types.ts";
import { moduleUrl, startModule } from "./module_runner.ts";
import type { RunningTask } from "./running_task.ts";

/** Largest frame between a host and its supervisor (a task's result can be big). */
export const HOST_FRAME_BYTES = 2 ** 30;

/** The fd a host writes its frames to. */
export const HOST_CHANNEL_FD = 3;

/** Supervisor → host. */
export type HostCommand =
  | { type: "run"; id: number; attempt: number }
  | { type: "abort"; signal: string };

/** Host → supervisor, about the task it runs. */
export type HostEvent =
  | { type: "progress"; fraction: number; message: string | null }
  | { type: "meta"; patch: Record<string, unknown> }
  | { type: "checkpoint"; value: unknown }
  | { type: "done"; outcome: TaskOutcome };

/**
 * Serves one supervisor until its stdin closes. Resolves with the exit code (0; 2 when the
 * channel breaks).
 */
export async function runWorkerHost(homeDir: string): Promise<number> {
  _preferOomKill();
  const home = bgtHome({ BGT_HOME: homeDir });
  const store = await SqliteTaskStore.open(home.db);
  let pool = new Pool({ size: 1 });
  /** The module files this host's worker has imported, with their modification times. */
  const imported = new Map<string, number>();
  const send = (event: HostEvent) => _writeAll(encodeFrame(event, HOST_FRAME_BYTES));
  let current: RunningTask | undefined;

  const run = (id: number, attempt: number) => {
    const task = store.get(id);
    if (!task || task.spec.kind !== "module" || task.attempt !== attempt) {
      const message = `Cannot run task ${id}: it is not attempt ${attempt} of a module task`;
      send({ type: "done", outcome: { status: "failed", error: { name: "Error", message } } });
      return;
    }
    const file = _moduleFile(task);
    if (file && imported.has(file.path) && imported.get(file.path) !== file.mtimeMs) {
      // The file changed since the worker imported it: a new worker imports it (and what it
      // imports) anew, so that an unpinned task runs its file as it is when it starts.
      void pool.terminate();
      pool = new Pool({ size: 1 });
      imported.clear();
    }
    if (file) imported.set(file.path, file.mtimeMs);
    current = startModule(pool, task, taskFiles(home.logs, id), {
      onProgress: (fraction, message) => send({ type: "progress", fraction, message }),
      onMeta: (patch) => send({ type: "meta", patch }),
      onCheckpoint: (value) => send({ type: "checkpoint", value }),
    });
    void current.done.then((outcome) => {
      current = undefined;
      send({ type: "done", outcome });
    });
  };

  const decoder = new FrameDecoder({ maxFrameBytes: HOST_FRAME_BYTES });
  return await new Promise<number>((resolve) => {
    process.stdin.on("data", (chunk: Uint8Array) => {
      let commands: unknown[];
      try {
        commands = decoder.push(chunk);
      } catch (error) {
        process.stderr.write(`bgt host: ${(error as Error).message}\n`);
        return resolve(2);
      }
      for (const command of commands as HostCommand[]) {
        if (command.type === "run") run(command.id, command.attempt);
        else if (command.type === "abort") current?.kill(command.signal as NodeJS.Signals);
      }
    });
    process.stdin.on("end", () => resolve(0));
    process.stdin.on("error", () => resolve(0));
  });
}

/** The file a module task imports and when it last changed (none for a pinned bundle or a URL). */
function _moduleFile(task: Task): { path: string; mtimeMs: number } | undefined {
  if (task.spec.kind !== "module" || task.spec.pinned !== undefined) return undefined;
  const url = moduleUrl(task);
  if (!url.startsWith("file:")) return undefined;
  try {
    const path = fileURLToPath(url.slice(0, url.lastIndexOf("#")));
    return { path, mtimeMs: statSync(path).mtimeMs };
  } catch {
    return undefined; // gone: the import fails with the reason
  }
}

/** Writes a whole frame to the channel (a blocking pipe: it waits while the supervisor is busy). */
function _writeAll(frame: Uint8Array): void {
  for (let at = 0; at < frame.length;) at += writeSync(HOST_CHANNEL_FD, frame, at);
}

/**
 * Makes this process the kernel's first choice when memory runs out, before the supervisor and
 * the tasks beside it: the host is where a runaway allocation happens. Raising one's own score
 * needs no privilege; where /proc is missing it is skipped.
 */
function _preferOomKill(): void {
  try {
    writeFileSync("/proc/self/oom_score_adj", "500");
  } catch { /* not Linux, or refused: the kernel still weighs memory use */ }
}
