/**
 * Runs `command` and `shell` tasks under a waiter (DESIGN §5): a POSIX `sh` that leads the task's
 * process group, runs the argv exactly (`"$@"`, no shell parsing), and writes the exit code to the
 * task's `status` file — so a task's end reaches the disk even when no supervisor is alive to see
 * it. The command's output goes straight to the task's files. A new supervisor re-adopts a waiter
 * whose supervisor died.
 *
 * @example
 * ```ts
 * const run = startCommand(task, taskFiles(home.logs, task.id));
 * const outcome = await run.done; // { status: "succeeded", exitCode: 0, signal: null }
 * ```
 */
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { isSameProcessAlive, processStartTime, selfCommand } from "../runtime/process.ts";
import {
  type PidRecord,
  prepareTaskFiles,
  readRecord,
  readStatus,
  type StatusRecord,
  type TaskFiles,
  watchTaskDir,
  writeRecord,
} from "../store/task_files.ts";
import type { Task, TaskOutcome } from "../task/types.ts";
import type { RunningTask } from "./running_task.ts";

/**
 * The waiter. Catching HUP/INT/TERM (rather than ignoring them) keeps the waiter alive through a
 * signal sent to the whole group while the command gets the default action; the waiter writes
 * the status once the command has ended. Arguments: status path, attempt, then the argv.
 */
const WAITER = 's=$1; a=$2; shift 2; trap : HUP INT TERM; "$@"; c=$?; echo "$a $c" > "$s"; exit $c';

/** The argv a command or shell task runs. */
function _commandArgv(task: Pick<Task, "spec">): string[] {
  const spec = task.spec;
  if (spec.kind === "command") return spec.argv;
  if (spec.kind === "shell") return [...selfCommand(), "__shell", spec.line];
  throw new TypeError(`Cannot run a ${spec.kind} task as a command`);
}

/** Starts the task's waiter and command; resolves `done` when the waiter ends. */
export function startCommand(task: Task, files: TaskFiles): RunningTask {
  prepareTaskFiles(files);
  const fds = [files.stdout, files.stderr, files.data].map((path) => openSync(path, "a", 0o600));
  let waiter;
  try {
    waiter = spawn("/bin/sh", [
      "-c",
      WAITER,
      "bgt-waiter",
      files.status,
      String(task.attempt),
      ..._commandArgv(task),
    ], {
      cwd: task.cwd,
      env: { ...task.env, BGT_TASK_ID: String(task.id) },
      detached: true,
      stdio: ["ignore", fds[0], fds[1], fds[2]],
    });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const pid = waiter.pid ?? null;
  if (pid !== null) {
    const record: PidRecord = { pid, startTime: processStartTime(pid), attempt: task.attempt };
    writeRecord(files.pid, record);
  }
  const done = new Promise<TaskOutcome>((resolve) => {
    waiter.once("error", (error: NodeJS.ErrnoException) => {
      const reason = error.code === "ENOENT"
        ? `the directory ${task.cwd} does not exist`
        : error.message;
      resolve({
        status: "failed",
        error: { name: "Error", message: `Cannot start the task: ${reason}` },
      });
    });
    waiter.once("exit", (code, signal) => {
      const status = readStatus(files.status);
      if (status && status.attempt === task.attempt) resolve(outcomeOf(status));
      else {
        // The waiter itself was killed (SIGKILL reaches the whole group): the command went with it.
        resolve({ status: "failed", exitCode: code, signal, error: null });
      }
    });
  });
  return {
    pid,
    started: Promise.resolve(pid),
    kill: (signal) => _killGroup(pid, signal),
    done,
  };
}

/**
 * Re-adopts a command task whose supervisor died: resolves from its status file, or watches for
 * it while the waiter lives. Returns undefined when the task cannot be re-adopted (no waiter
 * alive and no status: the task is lost).
 */
export function adoptCommand(task: Task, files: TaskFiles): RunningTask | undefined {
  const record = readRecord<PidRecord>(files.pid);
  const pid = record?.attempt === task.attempt ? record.pid : null;
  const finished = readStatus(files.status);
  if (finished && finished.attempt === task.attempt) {
    return {
      pid,
      started: Promise.resolve(pid),
      kill: () => {},
      done: Promise.resolve(outcomeOf(finished)),
    };
  }
  if (!record || pid === null || !isSameProcessAlive(pid, record.startTime)) return undefined;
  const done = new Promise<TaskOutcome>((resolve) => {
    const check = () => {
      const status = readStatus(files.status);
      if (status && status.attempt === task.attempt) {
        cleanup();
        resolve(outcomeOf(status));
      } else if (!isSameProcessAlive(pid, record.startTime)) {
        cleanup();
        resolve({
          status: "lost",
          error: {
            name: "Error",
            message: "The task's waiter ended without recording its exit code",
          },
        });
      }
    };
    // The directory watch wakes us when the status appears; the slow timer covers a waiter
    // that dies without writing (no event then) and file systems without watch support.
    const watcher = watchTaskDir(files.dir, check);
    const timer = setInterval(check, 1000);
    const cleanup = () => {
      watcher?.close();
      clearInterval(timer);
    };
    check();
  });
  return { pid, started: Promise.resolve(pid), kill: (signal) => _killGroup(pid, signal), done };
}

/** How a status record translates into a task outcome. */
export function outcomeOf(status: StatusRecord): TaskOutcome {
  return {
    status: status.exitCode === 0 ? "succeeded" : "failed",
    exitCode: status.exitCode,
    signal: null,
  };
}

function _killGroup(pid: number | null, signal: NodeJS.Signals): void {
  if (pid === null) return;
  try {
    process.kill(-pid, signal);
  } catch { /* the group is gone */ }
}
