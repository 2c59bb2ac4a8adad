/**
 * Runs `command` and `shell` tasks under a waiter (DESIGN §5): a POSIX `sh` that leads the task's
 * process group, runs the argv exactly (`"$@"`, no shell parsing; a shell task's argv is
 * `/bin/sh -c <line>`, or dax's shell mode), and writes the exit code to the
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
import { closeSync } from "node:fs";
import { hasRawBytes, textToBytes } from "../runtime/raw_bytes.ts";
import { openOwnFile } from "../store/own_files.ts";
import { isAlive, isSameProcessAlive, processStartTime, selfCommand } from "../runtime/process.ts";
import {
  type PidRecord,
  prepareTaskFiles,
  readRange,
  readRecord,
  readStatus,
  type StatusRecord,
  statusTime,
  streamInfo,
  streamSize,
  type TaskFiles,
  watchTaskDir,
  writeRecord,
} from "../store/task_files.ts";
import { describeTask, shellOf, type Task, type TaskOutcome } from "../task/types.ts";
import type { RunningTask } from "./running_task.ts";
import { keepStreams, type StreamKeeper } from "./stream_keeper.ts";

/** Options for {@linkcode startCommand} and {@linkcode adoptCommand}. */
export interface CommandRunOptions {
  /**
   * Called when the command reports progress: a `{"progress": 0.4, "message": "…"}` line on
   * fd 3 (the data stream). Only the last report of each look (at most every 20 ms) is passed on.
   */
  onProgress?: (fraction: number, message: string | null) => void;
  /** What the waiter runs instead of the task's own argv (an isolated module task's process). */
  argv?: string[];
}

/**
 * The waiter. Catching HUP/INT/TERM (rather than ignoring them) keeps the waiter alive through a
 * signal sent to the whole group while the command gets the default action; the waiter writes
 * the status once the command has ended. It reads its script on its stdin, its arguments set at
 * the top (`s` status path, `a` attempt, then `set --` the argv, all quoted), so that its argv is
 * just its title (`bgt: task 45 make all` in `ps`) and an argv of any length fits (one string of
 * an argv or environment is limited to 128 KiB). The braces make sh read the whole script before
 * it runs any of it, with /dev/null as stdin.
 */
const WAITER = [
  "trap : HUP INT TERM",
  // The umask is set once the command has ended (it keeps its own): the status is made 0600.
  '"$@"; c=$?; umask 077; echo "$a $c" > "$s"; exit $c',
];

/**
 * The waiter of a `--stdin` task; also given `f` the FIFO path and `h` the holder-pid path. The
 * holder inherits the FIFO open read-write (fd 4, closed in the waiter before the command
 * starts), so opening it for reading never blocks and a `bgt send` finds a reader; `trap ''`
 * makes the holder ignore the signals a user sends to the group.
 */
const STDIN_WAITER = [
  "trap : HUP INT TERM",
  'mkfifo -m 600 "$f" || { echo "$a 126" > "$s"; exit 126; }',
  'exec 4<>"$f"',
  "(trap '' HUP INT QUIT TERM; exec sleep 2147483647) &",
  'k=$!; exec 4>&-; echo "$k" > "$h"',
  '"$@" < "$f"; c=$?',
  'kill -9 "$k" 2>/dev/null; echo "$a $c" > "$s"; exit $c',
];

/**
 * The waiter's whole script: its values, the variables to export, then its body, in braces
 * reading /dev/null. Words that hold bytes that are not UTF-8 (escaped in memory, see
 * `src/runtime/raw_bytes.ts`) are written as those bytes inside their single quotes, which sh
 * takes literally: the command gets them exactly, with no process more. A script of valid UTF-8
 * (the common case) is returned as the string.
 */
function _waiterScript(
  values: Record<string, string>,
  argv: readonly string[],
  body: string[],
  exports: Record<string, string> = {},
): string | Uint8Array {
  const assignments = Object.entries(values).map(([name, value]) =>
    `${name}=${_shellQuote([value])}`
  );
  const exported = Object.entries(exports).map(([name, value]) =>
    `export ${name}=${_shellQuote([value])}`
  );
  const script = [
    `{ ${assignments.join("; ")}`,
    ...exported,
    `set -- ${_shellQuote(argv)}`,
    ...body,
    "} </dev/null",
    "",
  ].join("\n");
  return hasRawBytes(script) ? textToBytes(script) : script;
}

/**
 * The environment the waiter is spawned with, and the variables whose values hold bytes that
 * are not UTF-8: spawn would encode those lossily, so the waiter's script exports them instead.
 */
function _waiterEnv(task: Task): { env: Record<string, string>; exports: Record<string, string> } {
  const env: Record<string, string> = { ...task.env, BGT_TASK_ID: String(task.id) };
  const exports: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (hasRawBytes(value) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      exports[name] = value;
      delete env[name];
    }
  }
  return { env, exports };
}

/** Longest process title of a waiter (the rest of a long command is cut). */
const MAX_TITLE = 200;

/**
 * The waiter's process title: `bgt: task 45 make all`.
 *
 * @example
 * ```ts
 * waiterTitle({ id: 45, name: null, spec: { kind: "command", argv: ["make", "all"] } });
 * // "bgt: task 45 make all"
 * ```
 */
export function waiterTitle(task: Pick<Task, "id" | "name" | "spec">): string {
  const title = `bgt: task ${task.id} ${describeTask(task)}`.replace(/\s+/g, " ");
  return title.length <= MAX_TITLE ? title : `${title.slice(0, MAX_TITLE - 1)}…`;
}

/** The words quoted for sh: each one single-quoted, read back exactly as given. */
function _shellQuote(words: readonly string[]): string {
  return words.map((word) => `'${word.replace(/'/g, "'\\''")}'`).join(" ");
}

/** How far back in the data stream a re-adopted task is searched for its last progress. */
const ADOPT_PROGRESS_WINDOW = 1 << 20;

/**
 * The argv a command or shell task runs. A `sh` line runs as `/bin/sh -c <line>`,
 * inheriting the waiter's fds, so `>&3` reaches the data stream; a `dax` line runs in the binary's
 * shell mode (`bgt __shell <line>`).
 */
function _commandArgv(task: Pick<Task, "spec">): string[] {
  const spec = task.spec;
  if (spec.kind === "command") return spec.argv;
  if (spec.kind === "shell") {
    return shellOf(spec) === "sh"
      ? ["/bin/sh", "-c", spec.line]
      : [...selfCommand(), "__shell", spec.line];
  }
  throw new TypeError(`Cannot run a ${spec.kind} task as a command`);
}

/** Starts the task's waiter and command; resolves `done` when the waiter ends. */
export function startCommand(
  task: Task,
  files: TaskFiles,
  options: CommandRunOptions = {},
): RunningTask {
  prepareTaskFiles(files);
  // A `--stdin` waiter writes the holder's pid before its command runs, and may write its status
  // then: both are made empty here, so that its `>` keeps mode 0600 without a umask the command
  // would inherit; made new (the earlier attempt's were removed), never through a symlink planted
  // there. The plain waiter sets its umask once its command has ended, and makes its status.
  if (task.stdin) {
    for (const path of [files.status, files.stdinHolder]) closeSync(openOwnFile(path, "create"));
  }
  const dataFrom = streamSize(files.data);
  const fds: number[] = [];
  try {
    for (const path of [files.stdout, files.stderr, files.data]) {
      fds.push(openOwnFile(path, "append"));
    }
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  let waiter;
  try {
    const { env, exports } = _waiterEnv(task);
    const script = _waiterScript(
      task.stdin
        ? { s: files.status, a: String(task.attempt), f: files.stdin, h: files.stdinHolder }
        : { s: files.status, a: String(task.attempt) },
      options.argv ?? _commandArgv(task),
      task.stdin ? STDIN_WAITER : WAITER,
      exports,
    );
    waiter = spawn("/bin/sh", [], {
      argv0: waiterTitle(task),
      cwd: task.cwd,
      env,
      detached: true,
      stdio: ["pipe", fds[0], fds[1], fds[2]],
    });
    // Should the supervisor die before the script is written, sh reads an incomplete script and
    // exits without a status: the task is lost, as when its waiter is killed.
    waiter.stdin?.on("error", () => {/* the waiter ended first: its exit tells */});
    waiter.stdin?.end(script);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const pid = waiter.pid ?? null;
  const startTime = pid === null ? null : processStartTime(pid);
  if (pid !== null) {
    const record: PidRecord = { pid, startTime, attempt: task.attempt };
    writeRecord(files.pid, record);
  }
  const keeper = pid === null ? undefined : keepStreams(files, {
    retain: task.retain,
    onProgress: options.onProgress,
    dataFrom,
  });
  const ended = new Promise<TaskOutcome>((resolve) => {
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
      // The waiter exits with the code its status file records (the file is for a supervisor
      // that was not there to see the exit): the status is read only when the waiter was killed.
      // The file's time is still when the command ended (this supervisor may see the exit late:
      // it was stopped, or busy).
      if (code !== null) {
        resolve(outcomeOf({ attempt: task.attempt, exitCode: code, endedAt: statusTime(files) }));
        return;
      }
      const status = readStatus(files.status);
      if (status && status.attempt === task.attempt) resolve(outcomeOf(status));
      else {
        // The waiter itself was killed (SIGKILL reaches the whole group): the command went with it.
        resolve({ status: "failed", exitCode: null, signal, error: null });
      }
    });
  });
  return {
    pid,
    started: Promise.resolve(pid),
    kill: (signal) => _killGroup(pid, startTime, signal),
    done: _afterKeeper(ended, keeper),
  };
}

/**
 * Re-adopts a command task whose supervisor died: resolves from its status file, or watches for
 * it while the waiter lives. Returns undefined when the task cannot be re-adopted (no waiter
 * alive and no status: the task is lost).
 */
export function adoptCommand(
  task: Task,
  files: TaskFiles,
  options: CommandRunOptions = {},
): RunningTask | undefined {
  const record = readRecord<PidRecord>(files.pid);
  const pid = record?.attempt === task.attempt ? record.pid : null;
  const alive = record !== undefined && pid !== null && isSameProcessAlive(pid, record.startTime);
  // Read after the liveness check: a waiter writes its status before it ends, so a waiter found
  // ended has its status there (read first, a status written in between was missed: lost).
  const status = readStatus(files.status);
  const finished = status?.attempt === task.attempt ? status : undefined;
  if (!finished && !alive) return undefined;
  // While no supervisor ran, the streams may have grown past --retain and progress records may
  // have been written: trim now, and look for the last progress in the recent data.
  const keeper = keepStreams(files, {
    retain: task.retain,
    onProgress: options.onProgress,
    dataFrom: _lineStartBefore(files, ADOPT_PROGRESS_WINDOW),
  });
  if (finished || !record || pid === null) {
    return {
      pid,
      started: Promise.resolve(pid),
      kill: () => {},
      done: _afterKeeper(Promise.resolve(outcomeOf(finished!)), keeper),
    };
  }
  const ended = new Promise<TaskOutcome>((resolve) => {
    const check = () => {
      // Liveness first, then the status (see above): an ended waiter's status is there.
      const alive = isSameProcessAlive(pid, record.startTime);
      const status = readStatus(files.status);
      if (status && status.attempt === task.attempt) {
        cleanup();
        resolve(outcomeOf(status));
      } else if (!alive) {
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
  return {
    pid,
    started: Promise.resolve(pid),
    kill: (signal) => _killGroup(pid, record?.startTime ?? null, signal),
    done: _afterKeeper(ended, keeper),
  };
}

/** Resolves with the outcome once the keeper has had its final look (trim, last progress). */
async function _afterKeeper(
  ended: Promise<TaskOutcome>,
  keeper: StreamKeeper | undefined,
): Promise<TaskOutcome> {
  const outcome = await ended;
  await keeper?.stop();
  return outcome;
}

/** A line start in the data stream about `window` bytes before its end (or its kept start). */
function _lineStartBefore(files: TaskFiles, window: number): number {
  const { start, limit } = streamInfo(files, "data");
  const from = Math.max(start, limit - window);
  if (from === start) return from;
  const bytes = readRange(files.data, from - 1, limit);
  const newline = bytes.indexOf(10);
  return newline < 0 ? limit : from + newline;
}

/** How a status record translates into a task outcome. */
export function outcomeOf(status: StatusRecord): TaskOutcome {
  return {
    status: status.exitCode === 0 ? "succeeded" : "failed",
    exitCode: status.exitCode,
    signal: null,
    endedAt: status.endedAt,
  };
}

/**
 * Signals the task's process group. The group id is the waiter's pid: when a process of that pid
 * lives but is not the waiter (its start time differs), the id was reused after the task ended
 * and the group is not ours — leave it alone.
 */
function _killGroup(pid: number | null, waiterStart: string | null, signal: NodeJS.Signals): void {
  if (pid === null) return;
  if (isAlive(pid) && !isSameProcessAlive(pid, waiterStart)) return;
  try {
    process.kill(-pid, signal);
  } catch { /* the group is gone */ }
}
