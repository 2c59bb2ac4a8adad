/**
 * A worker host: the process (`bgt __host <home>`) in which the supervisor runs module tasks
 * that are not `--isolate`d, one task at a time, each on the host's one-worker pool. A task that
 * allocates until the kernel kills it, or crashes its runtime, takes down its host and nothing
 * else: the supervisor records that one task as failed and starts a new host for the next.
 *
 * The supervisor sends frames (see `src/task/frames.ts`) on the host's stdin; the host answers
 * on fd 4 (its stdout and stderr are the supervisor's log, its fd 3 is /dev/null), so that a task
 * writing to `process.stdout` or fd 3 cannot garble the channel. The host reads the task from the store and
 * reports progress, meta, checkpoints and the outcome back; the supervisor stores them. A module
 * file changed since the host's worker imported it gets a new worker, so that an unpinned task
 * runs its file as it is when it starts. When its stdin closes (the supervisor stopped or died),
 * the host exits at once, ending its task: a worker task does not outlive its supervisor. (A host
 * stopped by a pause cannot see that; the next supervisor ends it, see
 * `WorkerHosts.endLeftovers`.)
 *
 * @example
 * ```ts
 * process.exitCode = await runWorkerHost(home.dir); // in `bgt __host <home>`
 * ```
 */
import { statSync, writeFileSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Pool } from "../pool/pool.ts";
import { rawModuleFile } from "../runtime/raw_path_modules.ts";
import { readStdin } from "../runtime/std_input.ts";
import { bgtHome } from "../store/home.ts";
import { taskFiles } from "../store/task_files.ts";
import { encodeFrame, FrameDecoder } from "../task/frames.ts";
import { specFromStore } from "../task/stored_spec.ts";
import type { Task, TaskOutcome } from "../task/types.ts";
import { appendTaskStderr, moduleUrl, startModule } from "./module_runner.ts";
import type { RunningTask } from "./running_task.ts";

/** Largest frame between a host and its supervisor (a task's result can be big). */
export const HOST_FRAME_BYTES = 2 ** 30;

/**
 * The fd a host writes its frames to. Not 3: a module author who knows that a command's
 * progress records go to fd 3 may write there, and a host's fd 3 is /dev/null.
 */
export const HOST_CHANNEL_FD = 4;

/** Supervisor → host. */
export type HostCommand =
  | { type: "run"; task: Task }
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
  process.on("unhandledRejection", (error) => {
    process.stderr.write(`bgt host: ${(error as Error)?.stack ?? error}\n`);
    process.exit(2); // the supervisor fails the task it ran, with the exit code
  });
  let pool = new Pool({ size: 1 });
  /** The module files this host's worker has imported, with their modification times. */
  const imported = new Map<string, number>();
  /** Sends an event; returns why it could not be encoded, if it could not. */
  const send = (event: HostEvent): string | undefined => {
    let frame: Uint8Array;
    try {
      frame = encodeFrame(event, HOST_FRAME_BYTES);
    } catch (error) {
      return (error as Error).message;
    }
    // The pipe blocks while the supervisor is busy: the host has nothing else to do meanwhile.
    for (let at = 0; at < frame.length;) at += writeSync(HOST_CHANNEL_FD, frame, at);
  };
  const fail = (message: string): HostEvent => ({
    type: "done",
    outcome: { status: "failed", error: { name: "Error", message } },
  });
  let current: RunningTask | undefined;

  const run = (task: Task) => {
    const id = task.id;
    if (task.spec.kind !== "module") {
      send(fail(`Cannot run task ${id}: it is not a module task`));
      return;
    }
    const files = taskFiles(home.logs, id);
    /** Reports an event; one that cannot be encoded is dropped, with a line on the task's stderr. */
    const report = (event: HostEvent) => {
      const problem = send(event);
      if (problem) {
        appendTaskStderr(files, `bgt: Cannot keep the task's ${event.type}: ${problem}\n`);
      }
    };
    const file = _moduleFile(task);
    if (file && imported.has(file.path) && imported.get(file.path) !== file.mtimeMs) {
      // The file changed since the worker imported it: a new worker imports it (and what it
      // imports) anew, so that an unpinned task runs its file as it is when it starts.
      void pool.terminate();
      pool = new Pool({ size: 1 });
      imported.clear();
    }
    if (file) imported.set(file.path, file.mtimeMs);
    current = startModule(pool, task, files, {
      onProgress: (fraction, message) => report({ type: "progress", fraction, message }),
      onMeta: (patch) => report({ type: "meta", patch }),
      onCheckpoint: (value) => report({ type: "checkpoint", value }),
    });
    void current.done.then((outcome) => {
      current = undefined;
      const problem = send({ type: "done", outcome });
      if (problem) send(fail(`Cannot store the task's result: ${problem}`));
    });
  };

  const decoder = new FrameDecoder({ maxFrameBytes: HOST_FRAME_BYTES });
  return await new Promise<number>((resolve) => {
    readStdin((chunk) => {
      let commands: unknown[];
      try {
        commands = decoder.push(chunk);
      } catch (error) {
        process.stderr.write(`bgt host: ${(error as Error).message}\n`);
        return resolve(2);
      }
      for (const command of commands as HostCommand[]) {
        if (command.type === "run") {
          run({ ...command.task, spec: specFromStore(command.task.spec) });
        } else if (command.type === "abort") current?.kill(command.signal as NodeJS.Signals);
      }
    }).then(() => resolve(0));
  });
}

/** The file a module task imports and when it last changed (none for a pinned bundle or a URL). */
function _moduleFile(task: Task): { path: string; mtimeMs: number } | undefined {
  if (task.spec.kind !== "module" || task.spec.pinned !== undefined) return undefined;
  const url = moduleUrl(task);
  if (!url.startsWith("file:")) return undefined;
  try {
    const path = fileURLToPath(url.slice(0, url.lastIndexOf("#")));
    return { path, mtimeMs: statSync(rawModuleFile(path) ?? path).mtimeMs };
  } catch {
    return undefined; // gone: the import fails with the reason
  }
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
