/**
 * Writing to a `--stdin` task's standard input: the FIFO `logs/<id>/stdin`, which the task's
 * waiter made and its holder process keeps open (see `runner/command_runner.ts`). Any number of
 * writers, one after the other or at once, reach the same command; the command sees end-of-file
 * only once the holder is killed ({@linkcode TaskStdin.close} with `eof`). Nothing goes through
 * the supervisor, so sends work while none runs.
 *
 * @example
 * ```ts
 * const stdin = await openTaskStdin(files, { id: 42 });
 * await stdin.write(new TextEncoder().encode("hello\n"));
 * stdin.close({ eof: true });
 * ```
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from "node:fs";
import { isSameProcessAlive } from "../runtime/process.ts";
import { TaskStateError } from "../task/errors.ts";
import { type PidRecord, readRecord, readStatus, type TaskFiles } from "./task_files.ts";

/** The size up to which a pipe write is atomic (POSIX minimum 512; 4096 on Linux). */
const PIPE_BUF = 4096;

/** Options for {@linkcode openTaskStdin}. */
export interface OpenStdinOptions {
  /** The task's id (for messages). */
  id: number;
  /** How long to wait for a task that has just started to make its FIFO. @default 5000 */
  readyMs?: number;
  signal?: AbortSignal;
}

/** An open writer to a task's standard input. */
export interface TaskStdin {
  /**
   * Writes all the bytes, waiting while the pipe is full (the command has not read yet).
   * Rejects with a TaskStateError when the task ends first.
   */
  write(bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
  /** Closes this writer; with `eof`, also ends the task's input (the command reads EOF). */
  close(options?: { eof?: boolean }): void;
}

/**
 * Opens a running `--stdin` task's standard input for writing. Throws a TaskStateError (one line
 * naming the task) when the task does not run, has no stdin, or its stdin was closed.
 */
export async function openTaskStdin(
  files: TaskFiles,
  options: OpenStdinOptions,
): Promise<TaskStdin> {
  const refuse = (reason: string) =>
    new TaskStateError(`Cannot send to task ${options.id}: ${reason}`);
  const deadline = Date.now() + (options.readyMs ?? 5000);
  let holder: number | undefined;
  let waiter: PidRecord | undefined;
  for (let delay = 1;; delay = Math.min(delay * 2, 50)) {
    options.signal?.throwIfAborted();
    waiter = readRecord<PidRecord>(files.pid);
    const status = readStatus(files.status);
    if (waiter && status?.attempt === waiter.attempt) throw refuse("it has ended");
    if (waiter && !isSameProcessAlive(waiter.pid, waiter.startTime)) {
      throw refuse("it has ended");
    }
    holder = _holderPid(files);
    if (waiter && holder !== undefined) break;
    if (Date.now() > deadline) {
      throw refuse("its standard input is not ready (was it started with --stdin?)");
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  if (!_isHolder(holder, waiter.pid)) {
    throw refuse("its standard input was closed (bgt send --eof)");
  }
  let fd: number;
  try {
    // Non-blocking: a full pipe must not block the client's event loop (nor a FIFO without
    // reader block the open forever).
    fd = openSync(files.stdin, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(
      code === "ENXIO" ? "its standard input was closed" : `${(error as Error).message}`,
    );
  }
  const record = waiter;
  const alive = () => isSameProcessAlive(record.pid, record.startTime);
  let closed = false;
  return {
    async write(bytes, writeOptions = {}) {
      let offset = 0;
      let delay = 1;
      while (offset < bytes.length) {
        writeOptions.signal?.throwIfAborted();
        try {
          // At most PIPE_BUF bytes at once: such a write is atomic (all, or EAGAIN and none),
          // so a runtime that retries partial writes inside writeSync cannot write twice.
          offset += writeSync(fd, bytes, offset, Math.min(PIPE_BUF, bytes.length - offset));
          delay = 1;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EPIPE" || (code === "EAGAIN" && delay >= 16 && !alive())) {
            throw refuse(`it has ended (${offset} of ${bytes.length} bytes written)`);
          }
          if (code !== "EAGAIN") throw refuse((error as Error).message);
          // The pipe is full: the command has not read yet.
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, 50);
        }
      }
    },
    close(closeOptions = {}) {
      if (!closed) {
        closed = true;
        closeSync(fd);
      }
      if (closeOptions.eof && holder !== undefined && _isHolder(holder, record.pid)) {
        try {
          process.kill(holder, "SIGKILL");
        } catch { /* already gone: the input has ended anyway */ }
      }
    },
  };
}

/** The pid the waiter recorded for the FIFO's holder, once written. */
function _holderPid(files: TaskFiles): number | undefined {
  try {
    const match = /^(\d+)\n$/.exec(readFileSync(files.stdinHolder, "utf8"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a live process of the task's group (not a reused pid elsewhere). */
function _isHolder(pid: number, group: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[0] !== "Z" && Number(fields[2]) === group;
  } catch {
    return false;
  }
}
