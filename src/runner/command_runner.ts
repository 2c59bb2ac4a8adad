/**
 * Runs `command` and `shell` tasks through a waiter process (see `waiter.ts`), and re-adopts a
 * waiter whose supervisor died.
 *
 * @example
 * ```ts
 * const run = startCommand(task, taskFiles(home.logs, task.id));
 * const outcome = await run.done; // { status: "succeeded", exitCode: 0, signal: null }
 * ```
 */
import { spawn } from "node:child_process";
import { watch } from "node:fs";
import { isSameProcessAlive, selfCommand } from "../runtime/process.ts";
import {
  type PidRecord,
  prepareTaskFiles,
  readRecord,
  type StatusRecord,
  type TaskFiles,
} from "../store/task_files.ts";
import type { Task, TaskOutcome } from "../task/types.ts";
import type { RunningTask } from "./running_task.ts";

/** The argv a command or shell task runs. */
export function commandArgv(task: Pick<Task, "spec">): string[] {
  const spec = task.spec;
  if (spec.kind === "command") return spec.argv;
  if (spec.kind === "shell") return [...selfCommand(), "__shell", spec.line];
  throw new TypeError(`Cannot run a ${spec.kind} task as a command`);
}

/** Starts the task's waiter; the task's output goes straight to its files. */
export function startCommand(task: Task, files: TaskFiles): RunningTask {
  prepareTaskFiles(files);
  const [command, ...prefix] = selfCommand();
  const waiter = spawn(
    command,
    [...prefix, "__wait", files.dir, String(task.attempt), task.cwd, "--", ...commandArgv(task)],
    {
      env: { ...task.env, BGT_TASK_ID: String(task.id) },
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    },
  );
  let pid: number | null = null;
  const started = new Promise<number | null>((resolve) => {
    let text = "";
    waiter.stdout!.setEncoding("utf8");
    waiter.stdout!.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\n")) resolve(pid = Number(text.split("\n")[0]));
    });
    waiter.stdout!.once("end", () => resolve(pid));
    waiter.once("error", () => resolve(null));
  });
  const done = new Promise<TaskOutcome>((resolve) => {
    waiter.once("error", (error) => {
      resolve({
        status: "failed",
        error: { name: "Error", message: `Cannot start waiter: ${error.message}` },
      });
    });
    waiter.once("exit", (code, signal) => {
      const status = readRecord<StatusRecord>(files.status);
      if (status) resolve(outcomeOf(status));
      else {
        resolve({
          status: "lost",
          error: {
            name: "Error",
            message: `The waiter ended (${
              signal ?? `exit ${code}`
            }) without recording the task's status`,
          },
        });
      }
    });
  });
  return {
    get pid() {
      return pid;
    },
    started,
    kill: (signal) => void started.then((known) => _killGroup(known, signal)),
    done,
  };
}

/**
 * Re-adopts a command task whose supervisor died: resolves from its status record, or watches
 * for it while the waiter lives. Returns undefined when the task cannot be re-adopted (no waiter
 * alive and no status: the task is lost).
 */
export function adoptCommand(task: Task, files: TaskFiles): RunningTask | undefined {
  const record = readRecord<PidRecord>(files.pid);
  const finished = readRecord<StatusRecord>(files.status);
  if (finished && finished.attempt === task.attempt) {
    const pid = record?.pid ?? null;
    return {
      pid,
      started: Promise.resolve(pid),
      kill: () => {},
      done: Promise.resolve(outcomeOf(finished)),
    };
  }
  if (!record || record.attempt !== task.attempt) return undefined;
  if (!isSameProcessAlive(record.waiterPid, record.waiterStartTime)) return undefined;
  const done = new Promise<TaskOutcome>((resolve) => {
    const check = () => {
      const status = readRecord<StatusRecord>(files.status);
      if (status) {
        cleanup();
        resolve(outcomeOf(status));
      } else if (!isSameProcessAlive(record.waiterPid, record.waiterStartTime)) {
        cleanup();
        resolve({
          status: "lost",
          error: { name: "Error", message: "The waiter ended without recording the task's status" },
        });
      }
    };
    // The directory watch wakes us when the status appears; the slow timer covers a waiter
    // that dies without writing (no event then) and file systems without watch support.
    const watcher = _tryWatch(files.dir, check);
    const timer = setInterval(check, 1000);
    const cleanup = () => {
      watcher?.close();
      clearInterval(timer);
    };
    check();
  });
  return {
    pid: record.pid,
    started: Promise.resolve(record.pid),
    kill: (signal) => _killGroup(record.pid, signal),
    done,
  };
}

/** How a status record translates into a task outcome. */
export function outcomeOf(status: StatusRecord): TaskOutcome {
  if (status.error) {
    return {
      status: "failed",
      exitCode: null,
      signal: null,
      error: { name: "Error", message: status.error },
    };
  }
  return {
    status: status.exitCode === 0 ? "succeeded" : "failed",
    exitCode: status.exitCode,
    signal: status.signal,
  };
}

function _killGroup(pid: number | null, signal: NodeJS.Signals): void {
  if (pid === null) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone (or not yet a group): try the process itself.
    try {
      process.kill(pid, signal);
    } catch { /* already ended */ }
  }
}

function _tryWatch(dir: string, onChange: () => void): { close(): void } | undefined {
  try {
    return watch(dir, onChange);
  } catch {
    return undefined;
  }
}
